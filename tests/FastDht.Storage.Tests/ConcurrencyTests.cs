using FastDht.Storage.Internal;
using static FastDht.Storage.Tests.StoreTestKeys;

namespace FastDht.Storage.Tests;

/// <summary>Races between threads; every loop is bounded in count and every join in time.</summary>
[Collection(SpinningThreads.Name)]
public sealed class ConcurrencyTests
{
    private const int Threads = 4;
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Racing_PutIfAbsent_has_exactly_one_winner_per_key()
    {
        // Few shards and a tiny start so the race also crosses many rehashes.
        var store = new ShardedStore(new StoreOptions { ShardCount = 2, InitialCapacity = 1 });
        const int Keys = 5_000;
        var won = new bool[Threads][];
        RunThreads(Threads, t =>
        {
            won[t] = new bool[Keys];
            for (int n = 0; n < Keys; n++)
            {
                // Each thread walks the keys from a different start, so all orders of arrival occur.
                int i = (n + (t * Keys / Threads)) % Keys;
                won[t][i] = store.PutIfAbsent(Key(i), [(byte)t]);
            }
        });

        long totalWins = 0;
        for (int i = 0; i < Keys; i++)
        {
            int winners = 0;
            int winner = -1;
            for (int t = 0; t < Threads; t++)
            {
                if (won[t][i])
                {
                    winners++;
                    winner = t;
                }
            }

            Assert.Equal(1, winners);
            Assert.True(store.TryGet(Key(i), out var value));
            Assert.Equal(winner, value.Span[0]);
            totalWins += winners;
        }

        Assert.Equal(Keys, totalWins);
        Assert.Equal(Keys, store.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Racing_put_delete_and_get_never_observe_a_torn_or_changed_value(bool allKeysCollide)
    {
        var hasher = allKeysCollide ? KeyHasher.WithMask(0) : KeyHasher.Default;
        var store = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = 1 }, hasher);
        const int Keys = 32;
        const int WritesPerWriter = 20_000;
        const int Writers = 2;
        int writersLeft = Writers;
        int failures = 0;
        long valuesSeen = 0;
        // Every key present at the start, and every reader reads at least 1000 times: on a fast machine the writers
        // can finish before a reader thread is scheduled, and "nothing seen" must not depend on that race.
        for (int i = 0; i < Keys; i++)
        {
            store.Put(Key(i), Uniform(1, 8));
        }

        RunThreads(Writers + 2, t =>
        {
            if (t < Writers)
            {
                var random = new Random(t);
                for (int n = 0; n < WritesPerWriter; n++)
                {
                    int i = random.Next(Keys);
                    if (random.Next(4) == 0)
                    {
                        store.Delete(Key(i));
                    }
                    else
                    {
                        // Lengths vary so that a torn read would also show up as a wrong mix of sizes.
                        store.Put(Key(i), Uniform((byte)random.Next(1, 256), random.Next(0, 200)));
                    }
                }

                Interlocked.Decrement(ref writersLeft);
                return;
            }

            ReadOnlyMemory<byte> held = default;
            byte[] heldCopy = [];
            for (int n = 0; n < 2_000_000 && (n < 1000 || Volatile.Read(ref writersLeft) > 0); n++)
            {
                if (store.TryGet(Key(n % Keys), out var value))
                {
                    Interlocked.Increment(ref valuesSeen);
                    if (!IsUniform(value.Span))
                    {
                        Interlocked.Increment(ref failures);
                    }

                    if (n % 1000 == 0)
                    {
                        held = value;
                        heldCopy = value.ToArray();
                    }
                }

                if (!held.Span.SequenceEqual(heldCopy))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
        Assert.True(valuesSeen > 0);
    }

    [Fact]
    public void Keys_present_throughout_are_always_found_while_other_keys_churn_and_rehash()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 2, InitialCapacity = 1 });
        const int Stable = 200;
        for (int i = 0; i < Stable; i++)
        {
            store.Put(Key(i), Counter(i));
        }

        int writersLeft = 2;
        int misses = 0;
        int wrong = 0;
        RunThreads(4, t =>
        {
            if (t < 2)
            {
                // Grow through several rehashes, then delete (tombstones, rehash at the same size).
                for (int round = 0; round < 4; round++)
                {
                    int first = Stable + (t * 1_000_000) + (round * 10_000);
                    for (int i = first; i < first + 10_000; i++)
                    {
                        store.Put(Key(i), Counter(i));
                    }

                    for (int i = first; i < first + 10_000; i++)
                    {
                        store.Delete(Key(i));
                    }
                }

                Interlocked.Decrement(ref writersLeft);
                return;
            }

            for (int n = 0; n < 5_000_000 && Volatile.Read(ref writersLeft) > 0; n++)
            {
                int i = n % Stable;
                if (!store.TryGet(Key(i), out var value))
                {
                    Interlocked.Increment(ref misses);
                }
                else if (ReadCounter(value.Span) != i)
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });

        Assert.Equal(0, misses);
        Assert.Equal(0, wrong);
        Assert.Equal(Stable, store.Count);
    }

    [Fact]
    public void Compare_and_swap_increments_lose_no_update()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 1 });
        const int Counters = 3;
        const int IncrementsPerThread = 20_000;
        for (int c = 0; c < Counters; c++)
        {
            store.Put(Key(c), Counter(0));
        }

        int gaveUp = 0;
        RunThreads(Threads, t =>
        {
            for (int n = 0; n < IncrementsPerThread; n++)
            {
                byte[] key = Key((n + t) % Counters);
                bool done = false;

                // Bounded retries: a livelock here would fail the test instead of hanging it.
                for (int attempt = 0; attempt < 1_000_000 && !done; attempt++)
                {
                    store.TryGet(key, out var current);
                    done = store.TryReplace(key, current, Counter(ReadCounter(current.Span) + 1));
                }

                if (!done)
                {
                    Interlocked.Increment(ref gaveUp);
                }
            }
        });

        Assert.Equal(0, gaveUp);
        long total = 0;
        for (int c = 0; c < Counters; c++)
        {
            store.TryGet(Key(c), out var value);
            total += ReadCounter(value.Span);
        }

        Assert.Equal((long)Threads * IncrementsPerThread, total);
    }

    [Fact]
    public void GetAndPut_hands_every_written_value_to_exactly_one_later_writer()
    {
        // Each thread swaps in unique values; the values returned plus the final one are exactly the values written.
        var store = new ShardedStore(new StoreOptions { ShardCount = 1 });
        const int SwapsPerThread = 20_000;
        var returned = new List<long>[Threads];
        RunThreads(Threads, t =>
        {
            returned[t] = new List<long>(SwapsPerThread);
            for (int n = 0; n < SwapsPerThread; n++)
            {
                if (store.TryGetAndPut(Bytes("k"), Counter(((long)t * SwapsPerThread) + n), out var previous))
                {
                    returned[t].Add(ReadCounter(previous.Span));
                }
            }
        });

        var seen = new HashSet<long>();
        foreach (var list in returned)
        {
            foreach (long v in list)
            {
                Assert.True(seen.Add(v), $"value {v} returned twice");
            }
        }

        store.TryGet(Bytes("k"), out var last);
        Assert.True(seen.Add(ReadCounter(last.Span)));
        Assert.Equal(Threads * SwapsPerThread, seen.Count);
    }

    private static void RunThreads(int count, Action<int> body)
    {
        using var start = new Barrier(count);
        var errors = new Exception?[count];
        var threads = new Thread[count];
        for (int t = 0; t < count; t++)
        {
            int index = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait(JoinTimeout);
                    body(index);
                }
                catch (Exception e)
                {
                    errors[index] = e;
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(JoinTimeout), "a worker thread did not finish in time");
        }

        foreach (var error in errors)
        {
            if (error is not null)
            {
                throw new InvalidOperationException("a worker thread failed", error);
            }
        }
    }
}
