using FastDht.Locking.Strategies;

namespace FastDht.Locking.Tests;

/// <summary>
/// Many threads run random transactions against one table with retries. Checked: no two exclusive holders
/// and no shared holder beside an exclusive one at any moment; every exclusive grant's fencing token
/// validates while held; every transaction finishes (no deadlock, no livelock) within the bound; nothing leaks.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Workers = 4;
    private const int TransactionsPerWorker = 150;
    private const int KeyCount = 6;
    private const int MaxAttempts = 100_000;

    [Theory]
    [InlineData(WaitDieStrategy.StrategyName)]
    [InlineData(WoundWaitStrategy.StrategyName)]
    [InlineData(NoWaitStrategy.StrategyName)]
    [InlineData(OrderedStrategy.StrategyName)]
    [InlineData(TimeoutStrategy.StrategyName)]
    [InlineData(DeadlockDetectStrategy.StrategyName)]
    public async Task Random_transactions_keep_the_invariants_and_finish(string strategyName)
    {
        ILockStrategy strategy = strategyName == TimeoutStrategy.StrategyName
            ? new TimeoutStrategy(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(5))
            : LockStrategyRegistry.CreateDefault().Create(strategyName);

        // The real clock and a 1 ms expiry timer: the timeout strategy needs its waits to end by themselves.
        using var table = new LockTable(strategy, new LockTableOptions { ShardCount = 4, ExpiryScanInterval = TimeSpan.FromMilliseconds(1) });
        var run = new Run(table, strategy.RequiresOrderedAcquisition);
        var workers = new Task[Workers];
        for (int w = 0; w < Workers; w++)
        {
            int seed = w;
            workers[w] = Task.Run(() => run.WorkerAsync(seed));
        }

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(0, run.Violations);
        Assert.Equal(Workers * TransactionsPerWorker, run.Committed);
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.TransactionCount);
        Assert.Equal(0, table.OutstandingWaiters);
    }

    private sealed class Run
    {
        private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
        private readonly LockTable _table;
        private readonly bool _ordered;
        private readonly TxnIdGenerator _ids = new(1);
        private readonly BackoffPolicy _backoff = new(TimeSpan.FromTicks(200), TimeSpan.FromMilliseconds(1), BackoffJitter.Equal, seed: 11);
        private readonly byte[][] _keys = new byte[KeyCount][];
        private readonly int[] _writers = new int[KeyCount];
        private readonly int[] _readers = new int[KeyCount];
        private int _violations;
        private int _committed;

        public Run(LockTable table, bool ordered)
        {
            _table = table;
            _ordered = ordered;
            for (int i = 0; i < KeyCount; i++)
            {
                _keys[i] = [(byte)'k', (byte)i];
            }
        }

        public int Violations => Volatile.Read(ref _violations);

        public int Committed => Volatile.Read(ref _committed);

        public async Task WorkerAsync(int seed)
        {
            var random = new Random(seed);
            var keys = new List<int>(3);
            var modes = new LockMode[KeyCount];
            var tokens = new long[KeyCount];
            for (int t = 0; t < TransactionsPerWorker; t++)
            {
                keys.Clear();
                int count = random.Next(1, 4);
                while (keys.Count < count)
                {
                    int k = random.Next(KeyCount);
                    if (!keys.Contains(k))
                    {
                        keys.Add(k);
                        modes[k] = random.Next(3) == 0 ? LockMode.Shared : LockMode.Exclusive;
                    }
                }

                if (_ordered)
                {
                    keys.Sort();
                }

                // One id for every attempt: the transaction ages and cannot starve.
                TxnId txn = _ids.Next();
                for (int attempt = 0; ; attempt++)
                {
                    if (attempt == MaxAttempts)
                    {
                        Interlocked.Increment(ref _violations);
                        return;
                    }

                    int held = 0;
                    bool aborted = false;
                    foreach (int k in keys)
                    {
                        LockResult result = await _table.AcquireAsync(_keys[k], txn, modes[k], seed, Lease, attempt);
                        if (!result.IsGranted)
                        {
                            aborted = true;
                            break;
                        }

                        tokens[k] = result.FencingToken;
                        Enter(k, modes[k]);
                        held++;

                        // Hand the thread over while holding: other workers must meet this lock.
                        await Task.Yield();
                    }

                    if (!aborted && _table.MarkCommitting(txn))
                    {
                        foreach (int k in keys)
                        {
                            if (modes[k] == LockMode.Exclusive && !_table.ValidateFence(_keys[k], txn, tokens[k]))
                            {
                                Interlocked.Increment(ref _violations);
                            }
                        }

                        Leave(keys, keys.Count, modes);
                        _table.ReleaseAll(txn);
                        Interlocked.Increment(ref _committed);
                        break;
                    }

                    Leave(keys, held, modes);
                    _table.ReleaseAll(txn);
                    TimeSpan delay = _backoff.Delay(attempt);
                    if (delay >= TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(delay);
                    }
                    else
                    {
                        await Task.Yield();
                    }
                }
            }
        }

        private void Enter(int k, LockMode mode)
        {
            if (mode == LockMode.Exclusive)
            {
                if (Interlocked.Increment(ref _writers[k]) != 1 || Volatile.Read(ref _readers[k]) != 0)
                {
                    Interlocked.Increment(ref _violations);
                }
            }
            else
            {
                Interlocked.Increment(ref _readers[k]);
                if (Volatile.Read(ref _writers[k]) != 0)
                {
                    Interlocked.Increment(ref _violations);
                }
            }
        }

        private void Leave(List<int> keys, int count, LockMode[] modes)
        {
            for (int i = 0; i < count; i++)
            {
                int k = keys[i];
                if (modes[k] == LockMode.Exclusive)
                {
                    Interlocked.Decrement(ref _writers[k]);
                }
                else
                {
                    Interlocked.Decrement(ref _readers[k]);
                }
            }
        }
    }
}
