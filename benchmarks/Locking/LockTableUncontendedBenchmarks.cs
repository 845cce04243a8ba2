using BenchmarkDotNet.Attributes;
using FastDht.Locking;
using FastDht.Locking.Strategies;

namespace FastDht.Benchmarks.Locking;

/// <summary>Acquire and release of a free key, one thread, per strategy (wait-die is the baseline).</summary>
/// <remarks>
/// The strategy is consulted only on a conflict, so all five should match: this suite guards the shared
/// fast path (shard lock, span lookup, entry and record pooling) and shows what it allocates per grant
/// (the copy of the key bytes).
/// </remarks>
public class LockTableUncontendedBenchmarks
{
    // 1024 keys per invocation: enough operations to amortize the call, few enough to stay in cache.
    private const int Operations = 1024;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private readonly byte[][] _keys = new byte[Operations][];
    private LockTable _waitDie = null!;
    private LockTable _woundWait = null!;
    private LockTable _noWait = null!;
    private LockTable _timeout = null!;
    private LockTable _ordered = null!;
    private TxnIdGenerator _ids = null!;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Operations; i++)
        {
            _keys[i] = System.Text.Encoding.ASCII.GetBytes($"user:{i:D8}");
        }

        var options = new LockTableOptions { ExpiryScanInterval = TimeSpan.Zero };
        _waitDie = new LockTable(new WaitDieStrategy(), options);
        _woundWait = new LockTable(new WoundWaitStrategy(), options);
        _noWait = new LockTable(new NoWaitStrategy(), options);
        _timeout = new LockTable(new TimeoutStrategy(), options);
        _ordered = new LockTable(new OrderedStrategy(), options);
        _ids = new TxnIdGenerator(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _waitDie.Dispose();
        _woundWait.Dispose();
        _noWait.Dispose();
        _timeout.Dispose();
        _ordered.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public long WaitDie() => AcquireRelease(_waitDie);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long WoundWait() => AcquireRelease(_woundWait);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long NoWait() => AcquireRelease(_noWait);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long Timeout() => AcquireRelease(_timeout);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long Ordered() => AcquireRelease(_ordered);

    private long AcquireRelease(LockTable table)
    {
        TxnId txn = _ids.Next();
        long sum = 0;
        byte[][] keys = _keys;
        for (int i = 0; i < keys.Length; i++)
        {
            ValueTask<LockResult> pending = table.AcquireAsync(keys[i], txn, LockMode.Exclusive, 1, Lease);
            sum += pending.Result.FencingToken;
            table.Release(keys[i], txn);
        }

        return sum;
    }
}
