using FastDht.Storage.Internal;
using static FastDht.Storage.Tests.StoreTestKeys;

namespace FastDht.Storage.Tests;

public sealed class ShardedStoreTests
{
    [Fact]
    public void Get_of_a_missing_key_returns_false_and_empty()
    {
        var store = new ShardedStore();

        Assert.False(store.TryGet(Bytes("nope"), out var value));
        Assert.True(value.IsEmpty);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Put_then_get_returns_the_value()
    {
        var store = new ShardedStore();

        store.Put(Bytes("alpha"), Bytes("one"));

        Assert.True(store.TryGet(Bytes("alpha"), out var value));
        Assert.Equal(Bytes("one"), value.ToArray());
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Put_overwrites_and_keeps_the_count()
    {
        var store = new ShardedStore();

        store.Put(Bytes("k"), Bytes("first"));
        store.Put(Bytes("k"), Bytes("second value"));

        Assert.True(store.TryGet(Bytes("k"), out var value));
        Assert.Equal(Bytes("second value"), value.ToArray());
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void PutIfAbsent_stores_only_the_first_time()
    {
        var store = new ShardedStore();

        Assert.True(store.PutIfAbsent(Bytes("k"), Bytes("a")));
        Assert.False(store.PutIfAbsent(Bytes("k"), Bytes("b")));

        store.TryGet(Bytes("k"), out var value);
        Assert.Equal(Bytes("a"), value.ToArray());
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Delete_removes_once_and_allows_a_later_insert()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("v"));

        Assert.True(store.Delete(Bytes("k")));
        Assert.False(store.Delete(Bytes("k")));
        Assert.False(store.TryGet(Bytes("k"), out _));
        Assert.Equal(0, store.Count);

        Assert.True(store.PutIfAbsent(Bytes("k"), Bytes("again")));
        store.TryGet(Bytes("k"), out var value);
        Assert.Equal(Bytes("again"), value.ToArray());
    }

    [Fact]
    public void TryReplace_succeeds_only_against_the_current_snapshot()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("v1"));
        store.TryGet(Bytes("k"), out var first);

        Assert.True(store.TryReplace(Bytes("k"), first, Bytes("v2")));

        // The first snapshot is stale now, even though a caller could hold equal bytes.
        Assert.False(store.TryReplace(Bytes("k"), first, Bytes("v3")));
        store.TryGet(Bytes("k"), out var current);
        Assert.Equal(Bytes("v2"), current.ToArray());
    }

    [Fact]
    public void TryReplace_compares_identity_not_content()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("same"));
        store.TryGet(Bytes("k"), out var snapshot);
        store.Put(Bytes("k"), Bytes("same"));

        Assert.False(store.TryReplace(Bytes("k"), snapshot, Bytes("new")));
        Assert.False(store.TryReplace(Bytes("k"), Bytes("same"), Bytes("new")));
        Assert.False(store.TryReplace(Bytes("k"), default, Bytes("new")));
    }

    [Fact]
    public void TryReplace_of_a_missing_or_deleted_key_fails()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("v"));
        store.TryGet(Bytes("k"), out var snapshot);
        store.Delete(Bytes("k"));

        Assert.False(store.TryReplace(Bytes("k"), snapshot, Bytes("w")));
        Assert.False(store.TryGet(Bytes("k"), out _));
        Assert.False(store.TryReplace(Bytes("other"), snapshot, Bytes("w")));
    }

    [Fact]
    public void TryReplace_with_a_snapshot_of_another_key_fails()
    {
        var store = new ShardedStore();
        store.Put(Bytes("a"), Bytes("v"));
        store.Put(Bytes("b"), Bytes("v"));
        store.TryGet(Bytes("a"), out var snapshotOfA);

        Assert.False(store.TryReplace(Bytes("b"), snapshotOfA, Bytes("w")));
    }

    [Fact]
    public void TryGetAndPut_returns_the_previous_value()
    {
        var store = new ShardedStore();

        Assert.False(store.TryGetAndPut(Bytes("k"), Bytes("v1"), out var none));
        Assert.True(none.IsEmpty);
        Assert.True(store.TryGetAndPut(Bytes("k"), Bytes("v2"), out var previous));
        Assert.Equal(Bytes("v1"), previous.ToArray());

        store.TryGet(Bytes("k"), out var current);
        Assert.Equal(Bytes("v2"), current.ToArray());
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void A_held_snapshot_is_unchanged_by_later_overwrite_and_delete()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Uniform(0xAA, 100));
        store.TryGet(Bytes("k"), out var snapshot);

        store.Put(Bytes("k"), Uniform(0xBB, 100));
        store.Delete(Bytes("k"));
        store.Put(Bytes("k"), Uniform(0xCC, 3));
        store.Clear();

        Assert.Equal(Uniform(0xAA, 100), snapshot.ToArray());
    }

    [Fact]
    public void Empty_values_are_stored_and_distinct_from_absence()
    {
        var store = new ShardedStore();

        store.Put(Bytes("k"), ReadOnlySpan<byte>.Empty);

        Assert.True(store.TryGet(Bytes("k"), out var value));
        Assert.True(value.IsEmpty);
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void The_empty_key_is_a_key_like_any_other()
    {
        var store = new ShardedStore();

        store.Put(ReadOnlySpan<byte>.Empty, Bytes("v"));

        Assert.True(store.TryGet(ReadOnlySpan<byte>.Empty, out var value));
        Assert.Equal(Bytes("v"), value.ToArray());
        Assert.False(store.TryGet(new byte[] { 0 }, out _));
    }

    [Fact]
    public void Large_values_round_trip()
    {
        var store = new ShardedStore();
        var large = new byte[1 << 20];
        new Random(7).NextBytes(large);

        store.Put(Bytes("big"), large);

        Assert.True(store.TryGet(Bytes("big"), out var value));
        Assert.True(value.Span.SequenceEqual(large));
    }

    [Fact]
    public void Keys_of_many_lengths_stay_distinct()
    {
        // Lengths around the one-, two- and three-byte length prefixes (127/128, 16383/16384) and 64 KiB.
        int[] lengths = [1, 2, 15, 16, 17, 126, 127, 128, 129, 255, 256, 1000, 16383, 16384, 16385, 65535, 65536];
        var store = new ShardedStore();
        foreach (int length in lengths)
        {
            // Keys that share a prefix and differ only in length must not match each other.
            store.Put(Uniform(0x61, length), Counter(length));
        }

        Assert.Equal(lengths.Length, store.Count);
        foreach (int length in lengths)
        {
            Assert.True(store.TryGet(Uniform(0x61, length), out var value));
            Assert.Equal(length, ReadCounter(value.Span));
        }

        Assert.False(store.TryGet(Uniform(0x61, 3), out _));
        Assert.False(store.TryGet(Uniform(0x62, 16), out _));
    }

    [Fact]
    public void Growth_through_several_resizes_keeps_every_key()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = 1 });
        const int Keys = 20_000; // from 8 slots, ×1.4 per rehash: about 25 rehashes
        for (int i = 0; i < Keys; i++)
        {
            store.Put(Key(i), Counter(i));
        }

        Assert.Equal(Keys, store.Count);
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(store.TryGet(Key(i), out var value));
            Assert.Equal(i, ReadCounter(value.Span));
        }

        Assert.False(store.TryGet(Key(Keys), out _));
        var stats = store.GetStats();
        Assert.True(stats.IndexSlots >= Keys / Table.MaxLoad, $"slots {stats.IndexSlots}");
    }

    [Fact]
    public void EnsureCapacity_sizes_every_shard_for_its_share_so_the_load_that_follows_never_rehashes()
    {
        const int Keys = 20_000;
        var store = new ShardedStore(new StoreOptions { ShardCount = 8 });
        store.Put(Key(-1), Counter(-1));
        store.EnsureCapacity(Keys + 1);
        var sized = store.GetStats().IndexSlots;
        Assert.True(sized >= (Keys + 1) / Table.MaxLoad, $"slots {sized}");
        Assert.True(store.TryGet(Key(-1), out _)); // what was there is kept

        for (int i = 0; i < Keys; i++)
        {
            store.Put(Key(i), Counter(i));
        }

        Assert.Equal(sized, store.GetStats().IndexSlots); // no shard had to grow
        Assert.Equal(Keys + 1, store.Count);
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(store.TryGet(Key(i), out var value));
            Assert.Equal(i, ReadCounter(value.Span));
        }

        store.EnsureCapacity(10); // never shrinks
        Assert.Equal(sized, store.GetStats().IndexSlots);
    }

    [Fact]
    public void All_keys_colliding_on_one_slot_still_work()
    {
        // Mask 0: every key hashes to 0, so one shard, one home slot, one tag, one long probe chain.
        var store = new ShardedStore(new StoreOptions { ShardCount = 4, InitialCapacity = 1 }, KeyHasher.WithMask(0));
        const int Keys = 600;
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(store.PutIfAbsent(Key(i), Counter(i)));
        }

        // Delete every third key: tombstones in the middle of the chain must not cut it.
        for (int i = 0; i < Keys; i += 3)
        {
            Assert.True(store.Delete(Key(i)));
        }

        for (int i = 0; i < Keys; i++)
        {
            bool found = store.TryGet(Key(i), out var value);
            Assert.Equal(i % 3 != 0, found);
            if (found)
            {
                Assert.Equal(i, ReadCounter(value.Span));
            }
        }

        // Reinsert into tombstones, overwrite others.
        for (int i = 0; i < Keys; i++)
        {
            store.Put(Key(i), Counter(-i));
        }

        Assert.Equal(Keys, store.Count);
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(store.TryGet(Key(i), out var value));
            Assert.Equal(-i, ReadCounter(value.Span));
        }
    }

    [Fact]
    public void Churn_of_deletes_and_inserts_rehashes_tombstones_away_without_growing_forever()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = 100 });
        for (int round = 0; round < 200; round++)
        {
            for (int i = 0; i < 50; i++)
            {
                store.Put(Key((round * 50) + i), Counter(i));
            }

            for (int i = 0; i < 50; i++)
            {
                Assert.True(store.Delete(Key((round * 50) + i)));
            }
        }

        var stats = store.GetStats();
        Assert.Equal(0, stats.Keys);

        // 10,000 distinct keys went through; a table that never dropped tombstones would need more slots than that.
        Assert.True(stats.IndexSlots < 1000, $"slots {stats.IndexSlots}");
    }

    [Fact]
    public void Stats_count_keys_bytes_and_overhead()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 2 });
        store.Put(Bytes("abc"), Bytes("12345"));
        store.Put(Bytes("de"), ReadOnlySpan<byte>.Empty);
        store.Put(Bytes("abc"), Bytes("1234567"));
        store.Put(Bytes("gone"), Bytes("xyz"));
        store.Delete(Bytes("gone"));

        var stats = store.GetStats();

        Assert.Equal(2, stats.Keys);
        Assert.Equal(5, stats.KeyBytes);
        Assert.Equal(7, stats.ValueBytes);
        Assert.Equal(1, stats.Tombstones);

        // Two entries of 1+3+7 = 11 and 1+2 = 3 payload bytes: 40 and 32 bytes as arrays; plus the index.
        long entries = 40 + 32;
        long index = stats.IndexSlots * 9;
        Assert.InRange(stats.EstimatedBytes, entries + index, entries + index + 4096);
    }

    [Fact]
    public void Clear_removes_everything_and_the_store_stays_usable()
    {
        var store = new ShardedStore();
        for (int i = 0; i < 1000; i++)
        {
            store.Put(Key(i), Counter(i));
        }

        store.Clear();

        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.GetStats().KeyBytes);
        Assert.False(store.TryGet(Key(5), out _));
        store.Put(Key(5), Counter(5));
        Assert.True(store.TryGet(Key(5), out _));
        Assert.Equal(1, store.Count);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(8192)]
    public void A_shard_count_that_is_not_a_power_of_two_in_range_is_refused(int shardCount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardedStore(new StoreOptions { ShardCount = shardCount }));
    }

    [Fact]
    public void Auto_shard_count_is_a_power_of_two_of_at_least_eight_per_core()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 0 });

        Assert.True(int.IsPow2(store.ShardCount));
        Assert.True(store.ShardCount >= Math.Min(8 * Environment.ProcessorCount, StoreOptions.MaxShardCount));
    }

    [Fact]
    public void Initial_capacity_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardedStore(new StoreOptions { InitialCapacity = 0 }));
    }

    [Fact]
    public void Prefetch_changes_nothing_and_accepts_missing_empty_and_many_keys()
    {
        var store = new ShardedStore();
        for (var i = 0; i < 100; i++)
            store.Put(Bytes($"key{i}"), Bytes($"value{i}"));
        store.Delete(Bytes("key7")); // a tombstone on some probe chain

        // 40 keys (more than one round of 16), present, deleted, absent and empty ranges, laid out in one buffer.
        var source = new List<byte>();
        var keys = new List<Range>();
        for (var i = 0; i < 40; i++)
        {
            var key = i % 10 == 9 ? [] : Bytes(i < 30 ? $"key{i}" : $"absent{i}");
            keys.Add(new Range(source.Count, source.Count + key.Length));
            source.AddRange(key);
        }
        store.Prefetch(source.ToArray(), keys.ToArray());
        store.Prefetch([], []);

        Assert.Equal(99, store.Count);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i != 7, store.TryGet(Bytes($"key{i}"), out var value));
            if (i != 7)
                Assert.Equal(Bytes($"value{i}"), value.ToArray());
        }
    }

    /// <summary>
    /// Prefetch reads a shard's table three times without the shard's lock: a writer that shrinks it in between
    /// (FLUSHALL clears to a small table) must not make it index past the new table's end.
    /// </summary>
    [Fact]
    public async Task Prefetch_racing_a_writer_that_grows_and_clears_the_table_never_throws()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 1 });
        var source = new List<byte>();
        var keys = new List<Range>();
        for (var i = 0; i < 16; i++)
        {
            var key = Bytes($"key{i * 997}");
            keys.Add(new Range(source.Count, source.Count + key.Length));
            source.AddRange(key);
        }

        var (bytes, ranges) = (source.ToArray(), keys.ToArray());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var writer = Task.Run(() =>
        {
            for (var round = 0; round < 400 && !stop.IsCancellationRequested; round++)
            {
                for (var i = 0; i < 20_000; i++)
                    store.Put(Bytes($"key{i}"), Bytes("v"));
                store.Clear();
            }
        });

        Exception? thrown = null;
        for (var n = 0; n < 50_000_000 && !writer.IsCompleted && thrown is null; n++)
        {
            try
            {
                store.Prefetch(bytes, ranges);
            }
            catch (Exception e)
            {
                thrown = e;
            }
        }

        await stop.CancelAsync();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(thrown);
    }
}
