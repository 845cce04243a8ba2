using BenchmarkDotNet.Attributes;
using FastDht.Protocol;
using FastDht.Storage;

namespace FastDht.Benchmarks.Storage;

/// <summary>ShardedStore single-key operations on 1 and 2 threads; times are per operation of the whole group (wall time / total operations).</summary>
/// <remarks>
/// The store is built with default options (slots from its own hash, no extra cost); the
/// <c>KeySlot</c> methods use a second store configured as a node configures it, with Redis
/// Cluster's CRC16 slot function, to show what that function adds per operation.
/// </remarks>
public class StoreBenchmarks
{
    /// <summary>64 Ki operations per invoke: far longer than the barrier hand-off, short enough for many iterations.</summary>
    private const int OperationsPerInvoke = 1 << 16;

    /// <summary>64 Ki resident keys: 1 MiB of 16-byte values or 64 MiB of 1 KiB values, well past the CPU caches either way.</summary>
    private const int KeyCount = 1 << 16;

    private const int KeyLength = 16;

    private byte[][] _keys = [];
    private byte[][] _absent = [];
    private byte[] _value = [];
    private ShardedStore _store = null!;
    private ShardedStore _slottedStore = null!;
    private ParallelRunner _runner = null!;
    private Operation _operation;
    private long[] _sinks = [];

    private enum Operation
    {
        GetHit,
        GetHitKeySlot,
        GetMiss,
        PutOverwrite,
        PutOverwriteKeySlot,
        PutIfAbsentPresent,
        PutIfAbsentThenDelete,
    }

    [Params(1, 2)]
    public int ThreadCount { get; set; }

    [Params(16, 1024)]
    public int ValueSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = MakeKeys(0, KeyCount);
        _absent = MakeKeys(KeyCount, KeyCount);
        _value = new byte[ValueSize];
        Random.Shared.NextBytes(_value);
        _store = new ShardedStore();
        _slottedStore = new ShardedStore(new StoreOptions { SlotFunction = KeySlot.Of });
        foreach (byte[] key in _keys)
        {
            _store.Put(key, _value);
            _slottedStore.Put(key, _value);
        }

        // One sink per thread, 8 longs apart (64 bytes), so that the threads do not share a cache line.
        _sinks = new long[ThreadCount * 8];
        _runner = new ParallelRunner(ThreadCount, RunSlice);
    }

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void GetHit() => Run(Operation.GetHit);

    /// <summary>GetHit on a store whose slot function is Redis Cluster's CRC16, as a node's is.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void GetHitKeySlot() => Run(Operation.GetHitKeySlot);

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void GetMiss() => Run(Operation.GetMiss);

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void PutOverwrite() => Run(Operation.PutOverwrite);

    /// <summary>PutOverwrite on a store whose slot function is Redis Cluster's CRC16.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void PutOverwriteKeySlot() => Run(Operation.PutOverwriteKeySlot);

    /// <summary>PutIfAbsent on a key that exists: the lock-free early "no".</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void PutIfAbsentPresent() => Run(Operation.PutIfAbsentPresent);

    /// <summary>PutIfAbsent of a new key followed by its Delete; each counts as one operation, so the store size stays put.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public void PutIfAbsentThenDelete() => Run(Operation.PutIfAbsentThenDelete);

    private static byte[][] MakeKeys(int first, int count)
    {
        var keys = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            keys[i] = new byte[KeyLength];
            "key:"u8.CopyTo(keys[i]);
            (first + i).TryFormat(keys[i].AsSpan(4), out _, "D12");
        }

        return keys;
    }

    private void Run(Operation operation)
    {
        _operation = operation;
        _runner.Run();
    }

    private void RunSlice(int thread)
    {
        int operations = OperationsPerInvoke / ThreadCount;

        // Threads start at different keys: overlapping reads are fine, but writers should not all hit one key.
        int start = thread * (KeyCount / ThreadCount);
        ShardedStore store = _store;
        ShardedStore slotted = _slottedStore;
        byte[][] keys = _keys;
        byte[][] absent = _absent;
        byte[] value = _value;
        long sink = 0;
        switch (_operation)
        {
            case Operation.GetHit:
                for (int n = 0; n < operations; n++)
                {
                    if (store.TryGet(keys[(start + n) & (KeyCount - 1)], out var found))
                    {
                        sink += found.Length;
                    }
                }

                break;
            case Operation.GetHitKeySlot:
                for (int n = 0; n < operations; n++)
                {
                    if (slotted.TryGet(keys[(start + n) & (KeyCount - 1)], out var found))
                    {
                        sink += found.Length;
                    }
                }

                break;
            case Operation.GetMiss:
                for (int n = 0; n < operations; n++)
                {
                    if (!store.TryGet(absent[(start + n) & (KeyCount - 1)], out _))
                    {
                        sink++;
                    }
                }

                break;
            case Operation.PutOverwrite:
                for (int n = 0; n < operations; n++)
                {
                    store.Put(keys[(start + n) & (KeyCount - 1)], value);
                }

                break;
            case Operation.PutOverwriteKeySlot:
                for (int n = 0; n < operations; n++)
                {
                    slotted.Put(keys[(start + n) & (KeyCount - 1)], value);
                }

                break;
            case Operation.PutIfAbsentPresent:
                for (int n = 0; n < operations; n++)
                {
                    if (!store.PutIfAbsent(keys[(start + n) & (KeyCount - 1)], value))
                    {
                        sink++;
                    }
                }

                break;
            case Operation.PutIfAbsentThenDelete:
                // Each thread owns a disjoint block of absent keys, so no thread deletes another's key.
                int block = KeyCount / ThreadCount;
                for (int n = 0; n < operations / 2; n++)
                {
                    byte[] key = absent[start + (n % block)];
                    if (store.PutIfAbsent(key, value) && store.Delete(key))
                    {
                        sink++;
                    }
                }

                break;
        }

        _sinks[thread * 8] += sink;
    }
}
