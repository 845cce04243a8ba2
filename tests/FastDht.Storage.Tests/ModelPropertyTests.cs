using CsCheck;
using FastDht.Storage.Internal;

namespace FastDht.Storage.Tests;

/// <summary>Random operation sequences against a dictionary model, including versions for compare-and-swap.</summary>
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
    }

    private static readonly Gen<(OpKind Kind, int Key, byte[] Value)> GenOp =
        Gen.Select(
            Gen.Frequency((8, Gen.Const(OpKind.Get)), (8, Gen.Const(OpKind.Put)), (5, Gen.Const(OpKind.PutIfAbsent)),
                (5, Gen.Const(OpKind.Delete)), (4, Gen.Const(OpKind.ReplaceCurrent)), (4, Gen.Const(OpKind.ReplaceHeld)),
                (4, Gen.Const(OpKind.GetAndPut)), (1, Gen.Const(OpKind.Clear))),
            Gen.Int[0, KeySpace - 1],
            Gen.Byte.Array[0, 40]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Store_behaves_like_a_dictionary(bool allKeysCollide)
    {
        GenOp.Array[0, 300].Sample(
            ops => Run(ops, allKeysCollide ? KeyHasher.WithMask(0) : KeyHasher.Default),
            iter: 400);
    }

    private static byte[] KeyOf(int k) =>
        // Keys of different lengths and shared prefixes: "k", "kk", ... and a few numbered ones.
        k < 8 ? StoreTestKeys.Uniform((byte)'k', k) : StoreTestKeys.Bytes($"key-{k}");

    private static void Run((OpKind Kind, int Key, byte[] Value)[] ops, KeyHasher hasher)
    {
        var store = new ShardedStore(new StoreOptions { ShardCount = 2, InitialCapacity = 1 }, hasher);
        var model = new Dictionary<int, (byte[] Value, int Version)>();
        var held = new Dictionary<int, (ReadOnlyMemory<byte> Snapshot, int Version)>();
        int nextVersion = 0;

        foreach (var (kind, k, value) in ops)
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
                    model[k] = (value, ++nextVersion);
                    break;
                case OpKind.PutIfAbsent:
                    Assert.Equal(!present, store.PutIfAbsent(key, value));
                    if (!present)
                    {
                        model[k] = (value, ++nextVersion);
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
                        model[k] = (value, ++nextVersion);
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
                            model[k] = (value, ++nextVersion);
                        }
                    }

                    break;
                case OpKind.GetAndPut:
                    Assert.Equal(present, store.TryGetAndPut(key, value, out var previous));
                    if (present)
                    {
                        Assert.Equal(current.Value, previous.ToArray());
                    }

                    model[k] = (value, ++nextVersion);
                    break;
                case OpKind.Clear:
                    store.Clear();
                    model.Clear();
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
    }
}
