using FastDht.Engine.Keyspace;
using FastDht.Engine.Keyspace.Internal;
using FastDht.Locking;
using FastDht.Storage;
using Xunit;

namespace FastDht.Engine.UnitTests;

/// <summary>A change record applied at a replica: skipped on another version, refused (not acknowledged) when it does not fit its base.</summary>
public sealed class ReplicatedChangeTests
{
    private static readonly byte[] Key = "list"u8.ToArray();

    [Fact]
    public void A_change_that_does_not_fit_the_value_of_its_base_version_is_refused_and_changes_nothing()
    {
        var store = new ShardedStore();
        var keyspace = new LocalKeyspace(store, new LockTable());
        var old = Filled(300, 1);
        var next = Filled(310, 1);
        Assert.True(keyspace.ApplyReplicated(StreamRecords.KindPutVersioned, Key, old, 0, EntryType.String, version: 11));
        var delta = ChangeDelta(old, next, baseVersion: 11, version: 13);

        // The replica's copy at version 11 differs from the one the primary planned against (shorter): the delta's
        // splices run past it.
        Assert.True(keyspace.ApplyReplicated(StreamRecords.KindPutVersioned, Key, Filled(10, 2), 0, EntryType.String, version: 11));
        Assert.False(keyspace.ApplyReplicated(StreamRecords.KindChange, Key, delta, 0, version: 13, baseVersion: 11));
        Assert.True(store.TryGet(Key, out var kept, out var metadata));
        Assert.Equal(Filled(10, 2), kept.ToArray());
        Assert.Equal(11UL, metadata.Version);
    }

    [Fact]
    public void A_change_of_another_version_is_skipped_and_one_of_its_base_is_applied()
    {
        var store = new ShardedStore();
        var keyspace = new LocalKeyspace(store, new LockTable());
        var old = Filled(300, 1);
        var next = Filled(310, 1);
        var delta = ChangeDelta(old, next, baseVersion: 11, version: 13);
        Assert.True(keyspace.ApplyReplicated(StreamRecords.KindPutVersioned, Key, next, 0, EntryType.String, version: 13));
        Assert.True(keyspace.ApplyReplicated(StreamRecords.KindChange, Key, delta, 0, version: 13, baseVersion: 11)); // the copy already had it
        Assert.True(store.TryGet(Key, out var skipped, out _));
        Assert.Equal(next, skipped.ToArray());

        Assert.True(keyspace.ApplyReplicated(StreamRecords.KindPutVersioned, Key, old, 0, EntryType.String, version: 11));
        Assert.True(keyspace.ApplyReplicated(StreamRecords.KindChange, Key, delta, 0, version: 13, baseVersion: 11));
        Assert.True(store.TryGet(Key, out var applied, out var metadata));
        Assert.Equal(next, applied.ToArray());
        Assert.Equal(13UL, metadata.Version);
    }

    private static byte[] Filled(int length, byte seed)
    {
        var value = new byte[length];
        for (var i = 0; i < length; i++)
            value[i] = (byte)(seed + i);
        return value;
    }

    /// <summary>The delta bytes a replica receives: a change record written as the primary streams it, read back.</summary>
    private static byte[] ChangeDelta(byte[] old, byte[] next, ulong baseVersion, ulong version)
    {
        Assert.True(ValueDelta.TryPlan(old, next, out var plan));
        var record = new byte[StreamRecords.ChangeSize(Key.Length, plan.EncodedSize)];
        StreamRecords.WriteChange(record, Key, baseVersion, version, plan, next);
        Assert.True(StreamRecords.TryRead(record, out var kind, out _, out var delta, out _, out _, out _, out _, out _));
        Assert.Equal(StreamRecords.KindChange, kind);
        return delta.ToArray();
    }
}
