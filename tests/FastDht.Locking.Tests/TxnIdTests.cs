using CsCheck;

namespace FastDht.Locking.Tests;

public sealed class TxnIdTests
{
    [Fact]
    public void Order_is_timestamp_then_node_then_sequence()
    {
        Assert.True(new TxnId(1, 9, 9).IsOlderThan(new TxnId(2, 0, 0)));
        Assert.True(new TxnId(5, 1, 9).IsOlderThan(new TxnId(5, 2, 0)));
        Assert.True(new TxnId(5, 1, 1).IsOlderThan(new TxnId(5, 1, 2)));
        Assert.False(new TxnId(5, 1, 2).IsOlderThan(new TxnId(5, 1, 2)));
        Assert.Equal(new TxnId(5, 1, 2), new TxnId(5, 1, 2));
    }

    [Fact]
    public void Encoding_round_trips_and_preserves_order()
    {
        Gen.Select(Gen.Long[1, long.MaxValue], Gen.UShort, Gen.UInt, Gen.Long[1, long.MaxValue], Gen.UShort, Gen.UInt)
            .Sample((t1, n1, s1, t2, n2, s2) =>
            {
                var a = new TxnId(t1, n1, s1);
                var b = new TxnId(t2, n2, s2);
                Span<byte> ea = stackalloc byte[TxnId.EncodedSize];
                Span<byte> eb = stackalloc byte[TxnId.EncodedSize];
                a.WriteTo(ea);
                b.WriteTo(eb);
                return TxnId.ReadFrom(ea) == a
                    && Math.Sign(ea.SequenceCompareTo(eb)) == Math.Sign(a.CompareTo(b));
            });
    }

    [Fact]
    public void Generator_is_strictly_increasing_when_the_clock_stalls_or_steps_back()
    {
        var clock = new ManualTimeProvider();
        var generator = new TxnIdGenerator(7, clock);
        TxnId previous = generator.Next();
        for (int i = 0; i < 1000; i++)
        {
            if (i % 100 == 50)
            {
                clock.StepBack(TimeSpan.FromSeconds(1));
            }
            else if (i % 10 == 0)
            {
                clock.Advance(TimeSpan.FromTicks(10));
            }

            TxnId next = generator.Next();
            Assert.True(previous.IsOlderThan(next), $"{previous} should be older than {next}");
            Assert.Equal((ushort)7, next.NodeId);
            previous = next;
        }
    }

    [Fact]
    public void Generator_is_unique_across_threads()
    {
        var generator = new TxnIdGenerator(3);
        const int PerThread = 5000;
        var all = new TxnId[4][];
        Parallel.For(0, 4, t =>
        {
            var ids = new TxnId[PerThread];
            for (int i = 0; i < PerThread; i++)
            {
                ids[i] = generator.Next();
            }

            all[t] = ids;
        });

        var set = new HashSet<TxnId>();
        foreach (TxnId[] ids in all)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                Assert.True(set.Add(ids[i]));
                if (i > 0)
                {
                    Assert.True(ids[i - 1].IsOlderThan(ids[i]));
                }
            }
        }
    }

    [Fact]
    public void Generator_timestamp_is_microseconds_since_the_unix_epoch()
    {
        var clock = new ManualTimeProvider();
        TxnId id = new TxnIdGenerator(1, clock).Next();
        Assert.Equal((clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10, id.Timestamp);
    }
}
