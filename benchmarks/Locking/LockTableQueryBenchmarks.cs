using BenchmarkDotNet.Attributes;
using FastDht.Locking;

namespace FastDht.Benchmarks.Locking;

/// <summary>The free-key test the store runs before a plain write: must allocate nothing.</summary>
public class LockTableQueryBenchmarks
{
    private const int Operations = 1024;

    private readonly byte[][] _keys = new byte[Operations][];
    private LockTable _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Operations; i++)
        {
            _keys[i] = System.Text.Encoding.ASCII.GetBytes($"user:{i:D8}");
        }

        _table = new LockTable(options: new LockTableOptions { ExpiryScanInterval = TimeSpan.Zero });

        // Every 16th key held, so the probe meets both outcomes.
        TxnId holder = new TxnIdGenerator(1).Next();
        for (int i = 0; i < Operations; i += 16)
        {
            _ = _table.AcquireAsync(_keys[i], holder, LockMode.Exclusive, 1, TimeSpan.FromHours(1)).Result;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _table.Dispose();

    [Benchmark(OperationsPerInvoke = Operations)]
    public int IsLocked()
    {
        int locked = 0;
        foreach (byte[] key in _keys)
        {
            if (_table.IsLocked(key))
            {
                locked++;
            }
        }

        return locked;
    }
}
