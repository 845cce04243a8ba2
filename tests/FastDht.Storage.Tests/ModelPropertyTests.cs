using CsCheck;
using FastDht.Storage.Internal;

namespace FastDht.Storage.Tests;

/// <summary>Random operation sequences against a dictionary model, including versions for compare-and-swap, entry metadata and enumeration.</summary>
[Collection(SpinningThreads.Name)]
public sealed class ModelPropertyTests
{
    private const int KeySpace = 24;

    private enum OpKind
    {
        Get,
        Put,
        PutIfAbsent,
        Delete,
        ReplaceCurrent,
        ReplaceHeld,
        GetAndPut,
        Clear,
        GetWithMetadata,
        PutWithMetadata,
        PutIfAbsentWithMetadata,
        GetAndPutWithMetadata,
        GetAndPutKeepingMetadata,
        ReplaceMetadataCurrent,
        ReplaceMetadataHeld,
        ReplaceKeepingMetadata,
        DeleteHeld,
        Scan,
    }

    private static readonly Gen<EntryMetadata> GenMetadata =
        Gen.Frequency(
            (2, Gen.Const(EntryMetadata.None)),
            (3, Gen.Long[1, 1_000].Select(EntryMetadata.Expiring)),
            (1, Gen.ULong[1, 1_000].Select(v => new EntryMetadata(0, v))),
            (2, Gen.Select(Gen.Long[1, 1_000], Gen.ULong[1, 1_000], (e, v) => new EntryMetadata(e, v))));

    private static readonly Gen<(OpKind Kind, int Key, byte[] Value, EntryMetadata Metadata)> GenOp =
        Gen.Select(
            Gen.Frequency((8, Gen.Const(OpKind.Get)), (8, Gen.Const(OpKind.Put)), (5, Gen.Const(OpKind.PutIfAbsent)),
                (5, Gen.Const(OpKind.Delete)), (4, Gen.Const(OpKind.ReplaceCurrent)), (4, Gen.Const(OpKind.ReplaceHeld)),
                (4, Gen.Const(OpKind.GetAndPut)), (1, Gen.Const(OpKind.Clear)), (6, Gen.Const(OpKind.GetWithMetadata)),
                (6, Gen.Const(OpKind.PutWithMetadata)), (3, Gen.Const(OpKind.PutIfAbsentWithMetadata)),
                (3, Gen.Const(OpKind.GetAndPutWithMetadata)), (4, Gen.Const(OpKind.GetAndPutKeepingMetadata)),
                (4, Gen.Const(OpKind.ReplaceMetadataCurrent)), (3, Gen.Const(OpKind.ReplaceMetadataHeld)),
                (3, Gen.Const(OpKind.ReplaceKeepingMetadata)), (3, Gen.Const(OpKind.DeleteHeld)), (2, Gen.Const(OpKind.Scan))),
            Gen.Int[0, KeySpace - 1],
            Gen.Byte.Array[0, 40],
            GenMetadata);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Store_behaves_like_a_dictionary(bool allKeysCollide, bool withSlotFunction)
    {
        GenOp.Array[0, 300].Sample(
            ops => Run(ops, allKeysCollide ? KeyHasher.WithMask(0) : KeyHasher.Default, withSlotFunction ? ScanHelpers.Crc32Slot : null),
            iter: 400,
            threads: 1);
    }

    private static byte[] KeyOf(int k) =>
        // Keys of different lengths and shared prefixes: "k", "kk", ... and a few numbered ones.
        k < 8 ? StoreTestKeys.Uniform((byte)'k', k) : StoreTestKeys.Bytes($"key-{k}");

    private static void Run((OpKind Kind, int Key, byte[] Value, EntryMetadata Metadata)[] ops, KeyHasher hasher, KeySlotFunction? slotFunction)
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 2, InitialCapacity = 1, SlotFunction = slotFunction }, hasher);
        var model = new Dictionary<int, (byte[] Value, int Version, EntryMetadata Metadata)>();
        var held = new Dictionary<int, (ReadOnlyMemory<byte> Snapshot, int Version)>();
        int nextVersion = 0;

        foreach (var (kind, k, value, metadata) in ops)
        {
            byte[] key = KeyOf(k);
            bool present = model.TryGetValue(k, out var current);
            switch (kind)
            {
                case OpKind.Get:
                    Assert.Equal(present, store.TryGet(key, out var got));
                    if (present)
                    {
                        Assert.Equal(current.Value, got.ToArray());
                        held[k] = (got, current.Version);
                    }

                    break;
                case OpKind.Put:
                    store.Put(key, value);
                    model[k] = (value, ++nextVersion, EntryMetadata.None);
                    break;
                case OpKind.PutIfAbsent:
                    Assert.Equal(!present, store.PutIfAbsent(key, value));
                    if (!present)
                    {
                        model[k] = (value, ++nextVersion, EntryMetadata.None);
                    }

                    break;
                case OpKind.Delete:
                    Assert.Equal(present, store.Delete(key));
                    model.Remove(k);
                    break;
                case OpKind.ReplaceCurrent:
                {
                    bool found = store.TryGet(key, out var snapshot);
                    Assert.Equal(present, found);
                    Assert.Equal(present, store.TryReplace(key, snapshot, value));
                    if (present)
                    {
                        model[k] = (value, ++nextVersion, EntryMetadata.None);
                    }

                    break;
                }

                case OpKind.ReplaceHeld:
                    if (held.TryGetValue(k, out var h))
                    {
                        // Succeeds only if nothing was written to the key since the snapshot was taken.
                        bool expected = present && current.Version == h.Version;
                        Assert.Equal(expected, store.TryReplace(key, h.Snapshot, value));
                        if (expected)
                        {
                            model[k] = (value, ++nextVersion, EntryMetadata.None);
                        }
                    }

                    break;
                case OpKind.GetAndPut:
                    Assert.Equal(present, store.TryGetAndPut(key, value, out var previous));
                    if (present)
                    {
                        Assert.Equal(current.Value, previous.ToArray());
                    }

                    model[k] = (value, ++nextVersion, EntryMetadata.None);
                    break;
                case OpKind.Clear:
                    store.Clear();
                    model.Clear();
                    break;
                case OpKind.GetWithMetadata:
                    Assert.Equal(present, store.TryGet(key, out var withMetadata, out var readMetadata));
                    if (present)
                    {
                        Assert.Equal(current.Value, withMetadata.ToArray());
                        Assert.Equal(current.Metadata, readMetadata);
                        held[k] = (withMetadata, current.Version);
                    }

                    break;
                case OpKind.PutWithMetadata:
                    store.Put(key, value, metadata);
                    model[k] = (value, ++nextVersion, metadata);
                    break;
                case OpKind.PutIfAbsentWithMetadata:
                    Assert.Equal(!present, store.PutIfAbsent(key, value, metadata));
                    if (!present)
                    {
                        model[k] = (value, ++nextVersion, metadata);
                    }

                    break;
                case OpKind.GetAndPutWithMetadata:
                    Assert.Equal(present, store.TryGetAndPut(key, value, metadata, out var replaced, out var replacedMetadata));
                    if (present)
                    {
                        Assert.Equal(current.Value, replaced.ToArray());
                        Assert.Equal(current.Metadata, replacedMetadata);
                    }

                    model[k] = (value, ++nextVersion, metadata);
                    break;
                case OpKind.GetAndPutKeepingMetadata:
                    Assert.Equal(present, store.TryGetAndPutKeepingMetadata(key, value, out var kept));
                    if (present)
                    {
                        Assert.Equal(current.Value, kept.ToArray());
                    }

                    model[k] = (value, ++nextVersion, present ? current.Metadata : EntryMetadata.None);
                    break;
                case OpKind.ReplaceMetadataCurrent:
                {
                    store.TryGet(key, out var snapshot);
                    Assert.Equal(present, store.TryReplaceMetadata(key, snapshot, metadata));
                    if (present)
                    {
                        model[k] = (current.Value, ++nextVersion, metadata);
                    }

                    break;
                }

                case OpKind.ReplaceMetadataHeld:
                    if (held.TryGetValue(k, out var heldForMetadata))
                    {
                        bool expected = present && current.Version == heldForMetadata.Version;
                        Assert.Equal(expected, store.TryReplaceMetadata(key, heldForMetadata.Snapshot, metadata));
                        if (expected)
                        {
                            model[k] = (current.Value, ++nextVersion, metadata);
                        }
                    }

                    break;
                case OpKind.ReplaceKeepingMetadata:
                {
                    // INCR's shape: read value and metadata, compare-and-swap a new value with the same metadata.
                    bool found = store.TryGet(key, out var snapshot, out var seen);
                    Assert.Equal(present, found);
                    Assert.Equal(present, store.TryReplace(key, snapshot, value, seen));
                    if (present)
                    {
                        model[k] = (value, ++nextVersion, current.Metadata);
                    }

                    break;
                }

                case OpKind.DeleteHeld:
                    if (held.TryGetValue(k, out var heldForDelete))
                    {
                        bool expected = present && current.Version == heldForDelete.Version;
                        Assert.Equal(expected, store.TryDelete(key, heldForDelete.Snapshot));
                        if (expected)
                        {
                            model.Remove(k);
                        }
                    }

                    break;
                case OpKind.Scan:
                    CheckEnumeration(store, model, value.Length % 5 + 1);
                    break;
            }

            Assert.Equal(model.Count, store.Count);
        }

        long keyBytes = 0, valueBytes = 0;
        foreach (var (k, entry) in model)
        {
            Assert.True(store.TryGet(KeyOf(k), out var v));
            Assert.Equal(entry.Value, v.ToArray());
            keyBytes += KeyOf(k).Length;
            valueBytes += entry.Value.Length;
        }

        var stats = store.GetStats();
        Assert.Equal(model.Count, stats.Keys);
        Assert.Equal(keyBytes, stats.KeyBytes);
        Assert.Equal(valueBytes, stats.ValueBytes);
        Assert.Equal(model.Values.Count(e => e.Metadata.HasExpiry), stats.KeysWithExpiry);
        CheckEnumeration(store, model, 3);
    }

    /// <summary>A full scan, an expiry scan and every occupied slot's scan and count agree with the model.</summary>
    private static void CheckEnumeration(ShardedStore store, Dictionary<int, (byte[] Value, int Version, EntryMetadata Metadata)> model, int count)
    {
        var all = new Dictionary<string, (byte[] Value, EntryMetadata Metadata)>();
        foreach (var (k, entry) in model)
        {
            all[System.Text.Encoding.Latin1.GetString(KeyOf(k))] = (entry.Value, entry.Metadata);
        }

        var visitor = new ModelVisitor { Seen = [] };
        ulong cursor = 0;
        do
        {
            cursor = store.Scan(cursor, SlotRange.All, count, ref visitor);
        }
        while (cursor != 0);

        Assert.Equal(all.Count, visitor.Seen.Count);
        foreach (var (key, value, metadata, _) in visitor.Seen)
        {
            Assert.True(all.TryGetValue(key, out var expected), key);
            Assert.Equal(expected.Value, value);
            Assert.Equal(expected.Metadata, metadata);
        }

        var expiring = new ModelVisitor { Seen = [] };
        cursor = 0;
        do
        {
            cursor = store.Scan(cursor, SlotRange.All, count, ref expiring, onlyWithExpiry: true);
        }
        while (cursor != 0);

        Assert.Equal(all.Values.Count(e => e.Metadata.HasExpiry), expiring.Seen.Count);

        // Every occupied slot once (the model has at most 24 keys).
        var slots = new HashSet<int>();
        foreach (var (key, _, _, slot) in visitor.Seen)
        {
            if (!slots.Add(slot))
            {
                continue;
            }

            Assert.Equal(store.SlotOf(System.Text.Encoding.Latin1.GetBytes(key)), slot);
            var inSlot = new ModelVisitor { Seen = [] };
            cursor = 0;
            do
            {
                cursor = store.Scan(cursor, SlotRange.Single(slot), count, ref inSlot);
            }
            while (cursor != 0);

            int expectedInSlot = visitor.Seen.Count(s => s.Slot == slot);
            Assert.Equal(expectedInSlot, inSlot.Seen.Count);
            Assert.Equal(expectedInSlot, store.CountKeysInSlot(slot));
        }
    }

    private struct ModelVisitor : IStoreEntryVisitor
    {
        public List<(string Key, byte[] Value, EntryMetadata Metadata, int Slot)> Seen;

        public readonly void Visit(in StoreEntry entry) =>
            Seen.Add((System.Text.Encoding.Latin1.GetString(entry.Key.Span), entry.Value.ToArray(), entry.Metadata, entry.Slot));
    }
}
