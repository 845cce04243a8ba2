using FastDht.Storage.Internal;
using static FastDht.Storage.Tests.StoreTestKeys;

namespace FastDht.Storage.Tests;

/// <summary>Entry metadata (expiry, version): round trips, the compare-and-swap operations on it, and its memory cost.</summary>
[Collection(SpinningThreads.Name)]
public sealed class MetadataTests
{
    private static readonly EntryMetadata Ttl = EntryMetadata.Expiring(1_900_000_000_123);
    private static readonly EntryMetadata Both = new(1_900_000_000_456, 42);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1_900_000_000_000, 0)]
    [InlineData(0, 7)]
    [InlineData(-5, ulong.MaxValue)]
    [InlineData(long.MaxValue, 1)]
    public void Metadata_round_trips_with_the_value(long expiresAt, ulong version)
    {
        var store = new ShardedStore();
        var metadata = new EntryMetadata(expiresAt, version);

        // Keys around the one- and two-byte length prefixes, including the empty key: the prefix must not confuse the key length.
        foreach (int keyLength in new[] { 0, 1, 16, 127, 128, 300 })
        {
            byte[] key = Uniform(0x6B, keyLength);
            store.Put(key, Bytes("value"), metadata);

            Assert.True(store.TryGet(key, out var value, out var read));
            Assert.Equal(Bytes("value"), value.ToArray());
            Assert.Equal(metadata, read);
            Assert.True(store.TryGet(key, out var plain));
            Assert.Equal(Bytes("value"), plain.ToArray());
        }

        Assert.Equal(6, store.Count);
        Assert.Equal(metadata.HasExpiry ? 6 : 0, store.GetStats().KeysWithExpiry);
    }

    [Theory]
    [InlineData(0, 0, EntryType.List)]
    [InlineData(1_900_000_000_000, 0, EntryType.Hash)]
    [InlineData(0, 7, EntryType.SortedSet)]
    [InlineData(1_900_000_000_000, 9, EntryType.Set)]
    public void A_type_tag_round_trips_alone_and_with_the_other_fields_and_costs_one_byte(long expiresAt, ulong version, EntryType type)
    {
        var store = new ShardedStore();
        var metadata = new EntryMetadata(expiresAt, version, type);
        foreach (int keyLength in new[] { 0, 16, 128 })
        {
            byte[] key = Uniform(0x74, keyLength);
            store.Put(key, Bytes("value"), metadata);
            Assert.True(store.TryGet(key, out var value, out var read));
            Assert.Equal(Bytes("value"), value.ToArray());
            Assert.Equal(metadata, read);
            Assert.Equal(key, Entry.Key(Entry.Create(key, Bytes("v"), metadata)).ToArray());
        }

        // The tag costs its byte, plus the 3-byte prefix header when the entry had no other metadata.
        byte[] k = Bytes("key");
        int plain = Entry.Create(k, Bytes("v"), new EntryMetadata(expiresAt, version)).Length;
        int tagged = Entry.Create(k, Bytes("v"), metadata).Length;
        Assert.Equal(expiresAt == 0 && version == 0 ? 4 : 1, tagged - plain);

        // An expiry change keeps the type; a new version keeps it too.
        Assert.Equal(type, metadata.WithExpiry(0).Type);
        Assert.Equal(type, metadata.WithVersion(3).Type);
    }

    [Fact]
    public void An_entry_without_metadata_keeps_the_old_layout_byte_for_byte()
    {
        foreach (int keyLength in new[] { 0, 5, 127, 128, 20_000 })
        {
            byte[] key = Uniform(0x61, keyLength);
            byte[] plain = Entry.Create(key, Bytes("v"));
            byte[] viaMetadata = Entry.Create(key, Bytes("v"), EntryMetadata.None);

            Assert.Equal(plain, viaMetadata);
            Assert.False(Entry.HasMetadata(plain));
            Assert.Equal(key, Entry.Key(plain).ToArray());
        }

        // 16-byte key and value: 1 + 16 + 16 = 33 payload bytes, a 64-byte object as before; an expiry adds 11 (72 B), both fields 19 (80 B).
        Assert.Equal(33, Entry.Create(Key(1), Uniform(1, 16)).Length);
        Assert.Equal(64, Entry.FootprintOf(Entry.Create(Key(1), Uniform(1, 16)).Length));
        Assert.Equal(72, Entry.FootprintOf(Entry.Create(Key(1), Uniform(1, 16), Ttl).Length));
        Assert.Equal(80, Entry.FootprintOf(Entry.Create(Key(1), Uniform(1, 16), Both).Length));
    }

    [Fact]
    public void Metadata_entries_never_match_a_key_that_equals_their_prefix_bytes()
    {
        // A metadata entry starts 0x80 0x00 0x01 ...: keys made of those bytes must not match it, and vice versa.
        var store = new ShardedStore(new StoreOptions { ShardCount = 1 }, KeyHasher.WithMask(0));
        store.Put([0x80, 0x00], Bytes("a"), Ttl);
        store.Put([0x00], Bytes("b"), Ttl);
        store.Put([], Bytes("c"));

        Assert.True(store.TryGet([0x80, 0x00], out var a, out var ma));
        Assert.True(store.TryGet([0x00], out var b, out _));
        Assert.True(store.TryGet([], out var c, out var mc));
        Assert.Equal(Bytes("a"), a.ToArray());
        Assert.Equal(Bytes("b"), b.ToArray());
        Assert.Equal(Bytes("c"), c.ToArray());
        Assert.Equal(Ttl, ma);
        Assert.Equal(EntryMetadata.None, mc);
        Assert.False(store.TryGet([0x80], out _));
    }

    [Fact]
    public void Writes_without_metadata_drop_it_as_SET_drops_a_TTL()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("v1"), Ttl);

        store.Put(Bytes("k"), Bytes("v2"));

        Assert.True(store.TryGet(Bytes("k"), out _, out var metadata));
        Assert.Equal(EntryMetadata.None, metadata);
        Assert.Equal(0, store.GetStats().KeysWithExpiry);
    }

    [Fact]
    public void PutIfAbsent_and_GetAndPut_carry_metadata_both_ways()
    {
        var store = new ShardedStore();

        Assert.True(store.PutIfAbsent(Bytes("k"), Bytes("v1"), Ttl));
        Assert.False(store.PutIfAbsent(Bytes("k"), Bytes("x"), Both));
        Assert.True(store.TryGetAndPut(Bytes("k"), Bytes("v2"), Both, out var previous, out var previousMetadata));
        Assert.Equal(Bytes("v1"), previous.ToArray());
        Assert.Equal(Ttl, previousMetadata);

        Assert.True(store.TryGet(Bytes("k"), out var value, out var metadata));
        Assert.Equal(Bytes("v2"), value.ToArray());
        Assert.Equal(Both, metadata);
        Assert.False(store.TryGetAndPut(Bytes("new"), Bytes("v"), Ttl, out _, out var none));
        Assert.Equal(EntryMetadata.None, none);
    }

    [Fact]
    public void Keeping_metadata_carries_the_replaced_entrys_metadata_over()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("v1"), Both);

        Assert.True(store.TryGetAndPutKeepingMetadata(Bytes("k"), Bytes("v2"), out var previous));
        Assert.Equal(Bytes("v1"), previous.ToArray());
        Assert.True(store.TryGet(Bytes("k"), out var value, out var metadata));
        Assert.Equal(Bytes("v2"), value.ToArray());
        Assert.Equal(Both, metadata);

        // Absent key: stored without metadata.
        Assert.False(store.TryGetAndPutKeepingMetadata(Bytes("absent"), Bytes("v"), out _));
        Assert.True(store.TryGet(Bytes("absent"), out _, out var none));
        Assert.Equal(EntryMetadata.None, none);
    }

    [Fact]
    public void Replacing_metadata_is_a_compare_and_swap_on_the_snapshot()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Uniform(0xAB, 300), Ttl);
        store.TryGet(Bytes("k"), out var first);

        // EXPIRE: new metadata, same value, new identity.
        Assert.True(store.TryReplaceMetadata(Bytes("k"), first, Both));
        Assert.True(store.TryGet(Bytes("k"), out var second, out var metadata));
        Assert.Equal(Both, metadata);
        Assert.Equal(Uniform(0xAB, 300), second.ToArray());

        // The old snapshot is stale for every compare-and-swap now.
        Assert.False(store.TryReplaceMetadata(Bytes("k"), first, Ttl));
        Assert.False(store.TryReplace(Bytes("k"), first, Bytes("x"), Ttl));
        Assert.False(store.TryDelete(Bytes("k"), first));

        // PERSIST: expiry removed, version kept; with neither left the entry is plain again.
        Assert.True(store.TryReplaceMetadata(Bytes("k"), second, Both.WithExpiry(0)));
        store.TryGet(Bytes("k"), out var third, out metadata);
        Assert.Equal(new EntryMetadata(0, 42), metadata);
        Assert.True(store.TryReplaceMetadata(Bytes("k"), third, EntryMetadata.None));
        store.TryGet(Bytes("k"), out var fourth, out metadata);
        Assert.Equal(EntryMetadata.None, metadata);
        Assert.Equal(Uniform(0xAB, 300), fourth.ToArray());
        Assert.Equal(0, store.GetStats().KeysWithExpiry);
        Assert.Equal(300, store.GetStats().ValueBytes);

        Assert.False(store.TryReplaceMetadata(Bytes("other"), fourth, Ttl));
        Assert.False(store.TryReplaceMetadata(Bytes("k"), Bytes("not a snapshot"), Ttl));
    }

    [Fact]
    public void TryReplace_with_metadata_keeps_what_the_caller_read_or_changes_it()
    {
        var store = new ShardedStore();
        store.Put(Bytes("n"), Counter(1), Ttl);

        // INCR keeps the TTL: read value and metadata, write both back by compare-and-swap.
        store.TryGet(Bytes("n"), out var current, out var metadata);
        Assert.True(store.TryReplace(Bytes("n"), current, Counter(2), metadata));
        store.TryGet(Bytes("n"), out current, out metadata);
        Assert.Equal(2, ReadCounter(current.Span));
        Assert.Equal(Ttl, metadata);

        // The overload without metadata writes none.
        Assert.True(store.TryReplace(Bytes("n"), current, Counter(3)));
        store.TryGet(Bytes("n"), out _, out metadata);
        Assert.Equal(EntryMetadata.None, metadata);
    }

    [Fact]
    public void TryDelete_removes_only_the_snapshot_it_was_given()
    {
        var store = new ShardedStore();
        store.Put(Bytes("k"), Bytes("old"), Ttl);
        store.TryGet(Bytes("k"), out var expired);
        store.Put(Bytes("k"), Bytes("new"));

        // An expiry pass holding the old snapshot must not delete the newer value.
        Assert.False(store.TryDelete(Bytes("k"), expired));
        Assert.True(store.TryGet(Bytes("k"), out var current));
        Assert.True(store.TryDelete(Bytes("k"), current));
        Assert.False(store.TryGet(Bytes("k"), out _));
        Assert.False(store.TryDelete(Bytes("k"), current));
        Assert.False(store.TryDelete(Bytes("k"), default));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void TryGet_with_metadata_allocates_nothing()
    {
        var store = new ShardedStore();
        var keys = new byte[1_000][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key(i);
            store.Put(keys[i], Counter(i), i % 2 == 0 ? Both : default);
        }

        long checksum = ReadAll(store, keys, rounds: 50);
        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += ReadAll(store, keys, rounds: 20);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, checksum);
    }

    [Fact]
    public void Estimated_memory_counts_the_metadata_prefix()
    {
        var plain = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = 2_000 });
        var expiring = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = 2_000 });
        for (int i = 0; i < 1_000; i++)
        {
            plain.Put(Key(i), Uniform(1, 16));
            expiring.Put(Key(i), Uniform(1, 16), Ttl);
        }

        // Same index, entries 64 B against 72 B.
        Assert.Equal(8 * 1_000, expiring.GetStats().EstimatedBytes - plain.GetStats().EstimatedBytes);
    }

    [Fact]
    public void Metadata_bumps_are_never_lost_to_racing_writers_that_keep_metadata()
    {
        // A bumper raises the version by compare-and-swap of the metadata; a writer replaces the value keeping the metadata.
        // A keep-metadata write that carried over a stale version would lose bumps. Both do a fixed amount of work.
        var store = new ShardedStore(new StoreOptions { ShardCount = 1 });
        store.Put(Bytes("k"), Counter(0), new EntryMetadata(0, 1));
        const int Bumps = 20_000;
        const int Writes = 200_000;
        var bumper = new Thread(() =>
        {
            for (int n = 0; n < Bumps; n++)
            {
                // Each failure means a write landed in between; once the writer is done the swap succeeds at once.
                while (true)
                {
                    store.TryGet(Bytes("k"), out var snapshot, out var metadata);
                    if (store.TryReplaceMetadata(Bytes("k"), snapshot, metadata.WithVersion(metadata.Version + 1)))
                    {
                        break;
                    }
                }
            }
        });
        var writer = new Thread(() =>
        {
            for (int n = 0; n < Writes; n++)
            {
                store.TryGetAndPutKeepingMetadata(Bytes("k"), Counter(n), out _);
            }
        });

        bumper.Start();
        writer.Start();
        Assert.True(bumper.Join(TimeSpan.FromSeconds(60)));
        Assert.True(writer.Join(TimeSpan.FromSeconds(60)));

        Assert.True(store.TryGet(Bytes("k"), out _, out var final));
        Assert.Equal(1UL + Bumps, final.Version);
    }

    private static long ReadAll(ShardedStore store, byte[][] keys, int rounds)
    {
        long checksum = 0;
        for (int r = 0; r < rounds; r++)
        {
            foreach (byte[] key in keys)
            {
                if (store.TryGet(key, out var value, out var metadata))
                {
                    checksum += value.Length + (long)metadata.Version;
                }
            }
        }

        return checksum;
    }
}
