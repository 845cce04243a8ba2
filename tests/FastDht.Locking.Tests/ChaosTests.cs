using FastDht.Locking.Strategies;

namespace FastDht.Locking.Tests;

/// <summary>
/// Transactions race with everything that ends a lock or a wait from outside: lease expiry (a fake clock
/// moved by another thread), session drops, cancellations, wounds. Checked: no exception, every wait ends,
/// and once everyone has gone nothing is left: no entry, no transaction record, no waiter out of the pool.
/// </summary>
public sealed class ChaosTests
{
    private const int Workers = 4;
    private const int TransactionsPerWorker = 200;
    private const int KeyCount = 5;

    [Theory]
    [InlineData(WaitDieStrategy.StrategyName)]
    [InlineData(WoundWaitStrategy.StrategyName)]
    [InlineData(NoWaitStrategy.StrategyName)]
    [InlineData(OrderedStrategy.StrategyName)]
    [InlineData(TimeoutStrategy.StrategyName)]
    [InlineData(DeadlockDetectStrategy.StrategyName)]
    public async Task Leases_sessions_and_cancellation_racing_with_transactions_leak_nothing(string strategyName)
    {
        var clock = new ManualTimeProvider();
        ILockStrategy strategy = LockStrategyRegistry.CreateDefault().Create(strategyName);
        var table = new LockTable(strategy, new LockTableOptions { ShardCount = 2, ExpiryScanInterval = TimeSpan.Zero }, clock, new CountingNotifier());
        var ids = new TxnIdGenerator(1, clock);
        var keys = new byte[KeyCount][];
        for (int i = 0; i < KeyCount; i++)
        {
            keys[i] = [(byte)'c', (byte)i];
        }

        int finished = 0;
        var workers = new Task[Workers];
        for (int w = 0; w < Workers; w++)
        {
            int seed = w;
            workers[w] = Task.Run(async () =>
            {
                var random = new Random(seed);
                var chosen = new List<int>(3);
                for (int t = 0; t < TransactionsPerWorker; t++)
                {
                    chosen.Clear();
                    int count = random.Next(1, 4);
                    while (chosen.Count < count)
                    {
                        int k = random.Next(KeyCount);
                        if (!chosen.Contains(k))
                        {
                            chosen.Add(k);
                        }
                    }

                    if (strategy.RequiresOrderedAcquisition)
                    {
                        chosen.Sort();
                    }

                    TxnId txn = ids.Next();

                    // A few attempts only: under chaos a transaction need not get through, it must just not leak.
                    for (int attempt = 0; attempt < 5; attempt++)
                    {
                        bool granted = true;
                        foreach (int k in chosen)
                        {
                            using var cts = new CancellationTokenSource();
                            LockMode mode = random.Next(3) == 0 ? LockMode.Shared : LockMode.Exclusive;
                            ValueTask<LockResult> pending = table.AcquireAsync(keys[k], txn, mode, seed, TimeSpan.FromMilliseconds(30), attempt, cts.Token);
                            if (random.Next(10) == 0)
                            {
                                await cts.CancelAsync();
                            }

                            LockResult result = await pending;
                            if (!result.IsGranted)
                            {
                                granted = false;
                                break;
                            }

                            await Task.Yield();
                        }

                        bool committed = granted && table.MarkCommitting(txn);
                        table.ReleaseAll(txn);
                        if (committed)
                        {
                            break;
                        }
                    }
                }

                Interlocked.Increment(ref finished);
            });
        }

        // The chaos: time passes (leases and waits end), and now and then a connection drops.
        var chaosRandom = new Random(99);
        Task all = Task.WhenAll(workers);
        for (int round = 0; !all.IsCompleted && round < 200_000; round++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(chaosRandom.Next(1, 10)));
            table.ExpireLeases();
            if (chaosRandom.Next(20) == 0)
            {
                table.ReleaseSession(chaosRandom.Next(Workers));
            }

            await Task.Delay(chaosRandom.Next(2) == 0 ? 0 : 1);
        }

        await all.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Workers, finished);

        // Leftovers can only be locks whose owner lost them to a dropped session or lease mid-release.
        for (int s = 0; s < Workers; s++)
        {
            table.ReleaseSession(s);
        }

        clock.Advance(TimeSpan.FromHours(1));
        table.ExpireLeases();
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.TransactionCount);
        Assert.Equal(0, table.OutstandingWaiters);
        table.Dispose();
    }

    private sealed class CountingNotifier : IWoundNotifier
    {
        public int Count;

        public void OnWounded(TxnId victim, TxnId woundedBy) => Interlocked.Increment(ref Count);
    }
}
