using System.Text;
using FastDht.Storage.Internal;
using static FastDht.Storage.Tests.ScanHelpers;
using static FastDht.Storage.Tests.StoreTestKeys;

namespace FastDht.Storage.Tests;

/// <summary>Enumeration by cursor: completeness, exactly-once, per-slot and slot-range selection, counts, and the guarantee under concurrent writes and resizes.</summary>
[Collection(SpinningThreads.Name)]
public sealed class EnumerationTests
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 7)]
    [InlineData(16, 10)]
    [InlineData(64, 100)]
    [InlineData(256, 3)]
    [InlineData(4096, 1000)]
    public void A_full_scan_visits_every_key_exactly_once(int shards, int count)
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = shards, InitialCapacity = 1 });
        const int Keys = 5_000;
        for (int i = 0; i < Keys; i++)
        {
            store.Put(Key(i), Counter(i));
        }

        // Deletes leave tombstones inside probe runs; the scan must step over them.
        for (int i = 0; i < Keys; i += 5)
        {
            store.Delete(Key(i));
        }

        var seen = ScanAll(store, SlotRange.All, count);

        var expected = new HashSet<string>();
        for (int i = 0; i < Keys; i++)
        {
            if (i % 5 != 0)
            {
                expected.Add($"key:{i:D12}");
            }
        }

        AssertExactly(expected, seen);
    }

    [Fact]
    public void A_scan_of_keys_that_all_collide_visits_each_once()
    {
        // Every key hashes to 0: one shard, one home position, one run that is the whole used table.
        var store = new ShardedStore(new StoreOptions { ShardCount = 4, InitialCapacity = 1 }, KeyHasher.WithMask(0));
        var expected = new HashSet<string>();
        for (int i = 0; i < 300; i++)
        {
            store.Put(Key(i), Counter(i));
            expected.Add($"key:{i:D12}");
        }

        AssertExactly(expected, ScanAll(store, SlotRange.All, 7));
    }

    [Fact]
    public void Runs_that_wrap_around_the_end_of_the_table_are_visited_once()
    {
        // A mask that keeps only the top bits of the home hash puts every key near the end of the table, so runs wrap to position 0.
        var store = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = 200 }, KeyHasher.WithMask(0xFFFF_FFFF_F000_0000));
        var expected = new HashSet<string>();
        for (int i = 0; i < 150; i++)
        {
            store.Put(Key(i), Counter(i));
            expected.Add($"key:{i:D12}");
        }

        foreach (int count in new[] { 1, 3, 1000 })
        {
            AssertExactly(expected, ScanAll(store, SlotRange.All, count));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(128)]
    public void Each_slot_scan_and_count_gives_exactly_that_slots_keys(int shards)
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = shards, InitialCapacity = 1, SlotFunction = HotSlot });
        const int Keys = 20_000;
        var bySlot = new Dictionary<int, HashSet<string>>();
        for (int i = 0; i < Keys; i++)
        {
            // One key in ten shares slot 7, as keys with one hash tag do.
            string key = i % 10 == 0 ? $"hot:{i}" : $"key:{i:D12}";
            byte[] bytes = Bytes(key);
            store.Put(bytes, Counter(i));
            int slot = HotSlot(bytes);
            Assert.Equal(slot, store.SlotOf(bytes));
            if (!bySlot.TryGetValue(slot, out var set))
            {
                bySlot[slot] = set = [];
            }

            set.Add(key);
        }

        // Every slot, including the empty ones: scan and count agree with the model.
        for (int slot = 0; slot < StoreOptions.SlotCount; slot += slot < 64 ? 1 : 37)
        {
            var expected = bySlot.TryGetValue(slot, out var set) ? set : [];
            var seen = ScanAll(store, SlotRange.Single(slot), 5);
            AssertExactly(expected, seen);
            Assert.All(seen, s => Assert.Equal(slot, s.Slot));
            Assert.Equal(expected.Count, store.CountKeysInSlot(slot));
        }

        Assert.True(store.CountKeysInSlot(7) >= Keys / 10);
    }

    [Theory]
    [InlineData(16, 0, 16383)]
    [InlineData(16, 100, 5460)]
    [InlineData(64, 5461, 10922)]
    [InlineData(64, 63, 64)]
    [InlineData(256, 10923, 16383)]
    [InlineData(8, 1000, 1700)]
    public void A_slot_range_scan_gives_exactly_the_ranges_keys(int shards, int first, int last)
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = shards, InitialCapacity = 16, SlotFunction = Crc32Slot });
        var expected = new HashSet<string>();
        for (int i = 0; i < 30_000; i++)
        {
            byte[] key = Key(i);
            store.Put(key, Counter(i));
            if (Crc32Slot(key) >= first && Crc32Slot(key) <= last)
            {
                expected.Add($"key:{i:D12}");
            }
        }

        var seen = ScanAll(store, new SlotRange(first, last), 50);
        AssertExactly(expected, seen);
        Assert.All(seen, s => Assert.InRange(s.Slot, first, last));
    }

    [Fact]
    public void Only_entries_with_an_expiry_are_visited_when_asked()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 16 });
        var expiring = new HashSet<string>();
        for (int i = 0; i < 2_000; i++)
        {
            if (i % 7 == 0)
            {
                store.Put(Key(i), Counter(i), EntryMetadata.Expiring(1_700_000_000_000 + i));
                expiring.Add($"key:{i:D12}");
            }
            else
            {
                // A version alone is not an expiry.
                store.Put(Key(i), Counter(i), new EntryMetadata(0, (ulong)i + 1));
            }
        }

        AssertExactly(expiring, ScanAll(store, SlotRange.All, 10, onlyWithExpiry: true));
        Assert.Equal(expiring.Count, store.GetStats().KeysWithExpiry);
    }

    [Fact]
    public void An_active_expiry_pass_deletes_by_snapshot_from_inside_the_visitor()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 4, InitialCapacity = 1 });
        for (int i = 0; i < 3_000; i++)
        {
            store.Put(Key(i), Counter(i), i % 2 == 0 ? EntryMetadata.Expiring(1000 + i) : default);
        }

        // The visitor deletes expired keys by snapshot while the scan runs: writes during a scan are allowed.
        var visitor = new ExpiringVisitor { Store = store, Now = 2000 };
        ulong cursor = 0;
        do
        {
            cursor = store.Scan(cursor, SlotRange.All, 20, ref visitor, onlyWithExpiry: true);
        }
        while (cursor != 0);

        for (int i = 0; i < 3_000; i++)
        {
            bool expired = i % 2 == 0 && 1000 + i <= 2000;
            Assert.Equal(!expired, store.TryGet(Key(i), out _));
        }

        Assert.Equal(501, visitor.Deleted);
        Assert.Equal(1500 - 501, store.GetStats().KeysWithExpiry);
    }

    [Fact]
    public void A_scan_allocates_nothing_per_key()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 16, SlotFunction = Crc32Slot });
        for (int i = 0; i < 10_000; i++)
        {
            store.Put(Key(i), Counter(i), i % 3 == 0 ? EntryMetadata.Expiring(5) : default);
        }

        var visitor = new CountingVisitor();
        ScanCounting(store, ref visitor, SlotRange.All);
        ScanCounting(store, ref visitor, SlotRange.Single(12));
        visitor = default;

        long before = GC.GetAllocatedBytesForCurrentThread();
        ScanCounting(store, ref visitor, SlotRange.All);
        ScanCounting(store, ref visitor, new SlotRange(100, 9000));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(visitor.Entries > 10_000);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_a_clear_error()
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 16 });
        var visitor = new CountingVisitor();

        Assert.Throws<ArgumentOutOfRangeException>(() => store.Scan(0, SlotRange.All, 0, ref visitor));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Scan(16UL << 32, SlotRange.All, 10, ref visitor));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.CountKeysInSlot(StoreOptions.SlotCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotRange(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotRange(0, StoreOptions.SlotCount));

        var broken = new ShardedStore(new StoreOptions { SlotFunction = static _ => StoreOptions.SlotCount });
        Assert.Throws<InvalidOperationException>(() => broken.Put(Bytes("k"), Bytes("v")));
        Assert.Equal(0, broken.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Keys_present_throughout_are_visited_exactly_once_while_writers_churn_and_tables_resize(bool bySlot)
    {
        // Few shards and a tiny start: the churn forces many rehashes (growth and tombstone clean-up) during the scans.
        var store = new ShardedStore(new StoreOptions { ShardCount = 2, InitialCapacity = 1, SlotFunction = Crc32Slot });
        const int Stable = 4_000;
        for (int i = 0; i < Stable; i++)
        {
            store.Put(Key(i), Counter(i));
        }

        var range = bySlot ? new SlotRange(2000, 9999) : SlotRange.All;
        var expected = new HashSet<string>();
        for (int i = 0; i < Stable; i++)
        {
            if (range.Contains(Crc32Slot(Key(i))))
            {
                expected.Add($"key:{i:D12}");
            }
        }

        const int Scans = 12;
        int scansLeft = Scans;
        int failures = 0;
        string? failure = null;
        var threads = new Thread[3];

        // Two writers: insert and delete churn keys (growing and cleaning tables) and overwrite stable keys.
        for (int w = 0; w < 2; w++)
        {
            int writer = w;
            threads[w] = new Thread(() =>
            {
                // Bounded too, in case the scanner is starved: the scans then simply race fewer writes.
                int n = 0;
                while (Volatile.Read(ref scansLeft) > 0 && n < 2_000_000)
                {
                    int churn = Stable + (writer * 1_000_000) + (n % 6_000);
                    store.Put(Key(churn), Counter(n));
                    if (n % 3 != 0)
                    {
                        store.Delete(Key(Stable + (writer * 1_000_000) + ((n + 3_000) % 6_000)));
                    }

                    store.Put(Key(n % Stable), Counter(n % Stable));
                    n++;
                }
            });
        }

        threads[2] = new Thread(() =>
        {
            try
            {
                for (int scan = 0; scan < Scans; scan++)
                {
                    var seen = ScanAll(store, range, 1 + (scan * 7));
                    var stable = new HashSet<string>();
                    foreach (var (key, slot) in seen)
                    {
                        if (!range.Contains(slot))
                        {
                            throw new InvalidOperationException($"{key} in slot {slot} is outside the range");
                        }

                        // A stable key is visited once; a churning key may be seen twice (deleted and re-added behind another key).
                        if (expected.Contains(key) && !stable.Add(key))
                        {
                            throw new InvalidOperationException($"{key} visited twice");
                        }
                    }

                    if (stable.Count != expected.Count)
                    {
                        throw new InvalidOperationException($"scan {scan} missed {expected.Count - stable.Count} stable keys");
                    }

                    Interlocked.Decrement(ref scansLeft);
                }
            }
            catch (Exception e)
            {
                failure = e.Message;
                Interlocked.Increment(ref failures);
                Volatile.Write(ref scansLeft, 0);
            }
        });

        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(JoinTimeout), "a thread did not finish in time");
        }

        Assert.True(failures == 0, failure);
        Assert.True(store.GetStats().IndexSlots > 0);
    }

    private static void ScanCounting(ShardedStore store, ref CountingVisitor visitor, SlotRange range)
    {
        ulong cursor = 0;
        do
        {
            cursor = store.Scan(cursor, range, 64, ref visitor);
        }
        while (cursor != 0);
    }

    private static void AssertExactly(HashSet<string> expected, List<(string Key, int Slot)> seen)
    {
        var distinct = new HashSet<string>();
        foreach (var (key, _) in seen)
        {
            Assert.True(distinct.Add(key), $"{key} visited twice");
        }

        Assert.True(expected.SetEquals(distinct), $"expected {expected.Count} keys, visited {distinct.Count}: missing {string.Join(", ", expected.Except(distinct).Take(5))}; extra {string.Join(", ", distinct.Except(expected).Take(5))}");
    }

    private struct ExpiringVisitor : IStoreEntryVisitor
    {
        public ShardedStore Store;
        public long Now;
        public int Deleted;

        public void Visit(in StoreEntry entry)
        {
            if (entry.Metadata.ExpiresAt <= Now && Store.TryDelete(entry.Key.Span, entry.Value))
            {
                Deleted++;
            }
        }
    }
}
