using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using FastDht.Locking;
using FastDht.Locking.Strategies;

namespace FastDht.Benchmarks.Locking;

/// <summary>
/// Two threads run transactions that both lock the same two keys exclusively, each in its own order
/// (sorted for ordered acquisition), retrying with backoff and the same transaction id: committed
/// transactions per second and aborts, per strategy (wait-die is the baseline).
/// </summary>
/// <remarks>
/// The worst case for a lock manager: every transaction collides. Opposite orders make deadlocks possible,
/// so the strategies differ in how they avoid or break them: wait-die and no-wait abort, wound-wait wounds,
/// timeout waits for its limit (driven by a 1 ms expiry timer), ordered sorts the keys and never aborts.
/// Backoff spins rather than sleeps: microsecond delays are below the OS timer's resolution.
/// </remarks>
public class LockTableContendedBenchmarks
{
    // 256 transactions per thread per invocation: long enough for collisions to reach a steady pattern.
    private const int TransactionsPerThread = 256;
    private const int Threads = 2;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly byte[][] Keys = [[(byte)'k', (byte)'0'], [(byte)'k', (byte)'1']];

    private readonly TxnIdGenerator _ids = new(1);
    private readonly Dictionary<string, (long Aborts, long Committed)> _tally = new();
    private LockTable _waitDie = null!;
    private LockTable _woundWait = null!;
    private LockTable _noWait = null!;
    private LockTable _timeout = null!;
    private LockTable _ordered = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The expiry timer matters only to the timeout strategy; 1 ms is about the OS timer's resolution.
        var options = new LockTableOptions { ExpiryScanInterval = TimeSpan.FromMilliseconds(1) };
        _waitDie = new LockTable(new WaitDieStrategy(), options);
        _woundWait = new LockTable(new WoundWaitStrategy(), options);
        _noWait = new LockTable(new NoWaitStrategy(), options);
        _timeout = new LockTable(new TimeoutStrategy(TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1)), options);
        _ordered = new LockTable(new OrderedStrategy(), options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Aborts are the other half of the comparison: printed into the benchmark log, one line per strategy.
        foreach (KeyValuePair<string, (long Aborts, long Committed)> pair in _tally)
        {
            Console.WriteLine($"// {pair.Key}: {pair.Value.Aborts} aborted attempts over {pair.Value.Committed} committed transactions ({(double)pair.Value.Aborts / Math.Max(1, pair.Value.Committed):F3} per transaction)");
        }

        _waitDie.Dispose();
        _woundWait.Dispose();
        _noWait.Dispose();
        _timeout.Dispose();
        _ordered.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Threads * TransactionsPerThread)]
    public int WaitDie() => RunPair(_waitDie);

    [Benchmark(OperationsPerInvoke = Threads * TransactionsPerThread)]
    public int WoundWait() => RunPair(_woundWait);

    [Benchmark(OperationsPerInvoke = Threads * TransactionsPerThread)]
    public int NoWait() => RunPair(_noWait);

    [Benchmark(OperationsPerInvoke = Threads * TransactionsPerThread)]
    public int Timeout() => RunPair(_timeout);

    [Benchmark(OperationsPerInvoke = Threads * TransactionsPerThread)]
    public int Ordered() => RunPair(_ordered);

    /// <summary>Runs both threads to completion; returns the total number of aborted attempts.</summary>
    private int RunPair(LockTable table)
    {
        bool ordered = table.Strategy.RequiresOrderedAcquisition;
        Task<int> first = Task.Run(() => RunThreadAsync(table, reversed: false, seed: 1));
        Task<int> second = Task.Run(() => RunThreadAsync(table, reversed: !ordered, seed: 2));
        int aborts = first.GetAwaiter().GetResult() + second.GetAwaiter().GetResult();
        _tally.TryGetValue(table.Strategy.Name, out (long Aborts, long Committed) tally);
        _tally[table.Strategy.Name] = (tally.Aborts + aborts, tally.Committed + (Threads * TransactionsPerThread));
        return aborts;
    }

    private async Task<int> RunThreadAsync(LockTable table, bool reversed, int seed)
    {
        var backoff = new BackoffPolicy(TimeSpan.FromMicroseconds(1), TimeSpan.FromMicroseconds(100), BackoffJitter.Equal, seed);
        int aborts = 0;
        for (int t = 0; t < TransactionsPerThread; t++)
        {
            TxnId txn = _ids.Next();
            for (int attempt = 0; ; attempt++)
            {
                bool granted = true;
                for (int i = 0; i < Keys.Length && granted; i++)
                {
                    byte[] key = Keys[reversed ? Keys.Length - 1 - i : i];
                    LockResult result = await table.AcquireAsync(key, txn, LockMode.Exclusive, seed, Lease, attempt).ConfigureAwait(false);
                    granted = result.IsGranted;
                }

                if (granted && table.MarkCommitting(txn))
                {
                    table.ReleaseAll(txn);
                    break;
                }

                table.ReleaseAll(txn);
                aborts++;
                Spin(backoff.Delay(attempt));
            }
        }

        return aborts;
    }

    private static void Spin(TimeSpan delay)
    {
        long until = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        var spinner = default(SpinWait);
        while (Stopwatch.GetTimestamp() < until)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
