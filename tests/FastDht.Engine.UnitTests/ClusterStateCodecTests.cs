using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;

namespace FastDht.Engine.UnitTests;

/// <summary>The cluster state as a Raft entry and a ClusterPush body: it comes back equal, and any damage is a one-line error, never an exception.</summary>
public sealed class ClusterStateCodecTests
{
    private static ClusterState Sample()
    {
        var members = MemberList.Parse("0=127.0.0.1:7000,1=10.0.0.2:7001,2=node-c.example:7002,5=[::1]:7005");
        var initial = ClusterState.Initial(members, replicas: 2);
        // An in-sync set and a moved slot, as failover and migration make them.
        var slots = initial.Slots
            .Map(a => a.Primary == 0 ? new SlotAssignment(0, a.Replicas, a.Replicas[..1]) : a)
            .Assign(42, 42, new SlotAssignment(5, [1], [1]));
        return new ClusterState(77, members, slots, voters: [1, 2, 5]);
    }

    [Fact]
    public void A_state_comes_back_equal()
    {
        var state = Sample();
        Assert.True(ClusterStateCodec.TryDecode(ClusterStateCodec.Encode(state), out var back, out var error), error);
        Assert.Equal(77UL, back.Epoch);
        Assert.Equal(state.Members.Digest, back.Members.Digest);
        Assert.True(back.Slots.SameAssignment(state.Slots));
        Assert.Equal([1], back.Slots.AssignmentOf(42).InSync.ToArray());
        Assert.Equal([1, 2, 5], back.Voters);
    }

    [Fact]
    public void A_state_written_before_the_voters_were_part_of_it_decodes_with_the_voters_every_node_computed_then()
    {
        // Version 2 is version 3 without the voter list at the end: what a Raft log or snapshot of an earlier build holds.
        var state = Sample();
        var current = ClusterStateCodec.Encode(state);
        var old = current.AsSpan(0, current.Length - (1 + (2 * state.Voters.Count))).ToArray();
        old[0] = 2;
        Assert.True(ClusterStateCodec.TryDecode(old, out var back, out var error), error);
        Assert.Equal([0, 1, 2], back.Voters); // the first 3 members in id order
        Assert.True(back.Slots.SameAssignment(state.Slots));

        // A voter that is not a member is refused with a reason.
        current[^1] = 9;
        current[^2] = 0;
        Assert.False(ClusterStateCodec.TryDecode(current, out _, out var refused));
        Assert.Contains("voter", refused, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_and_a_trailing_byte_are_refused_with_a_reason()
    {
        var bytes = ClusterStateCodec.Encode(Sample());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(ClusterStateCodec.TryDecode(bytes.AsSpan(0, length), out _, out var error));
            Assert.False(string.IsNullOrEmpty(error));
        }
        Assert.False(ClusterStateCodec.TryDecode([.. bytes, 0], out _, out var trailing));
        Assert.Contains("after the cluster state", trailing, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_that_breaks_the_rules_is_refused_not_thrown()
    {
        var bytes = ClusterStateCodec.Encode(Sample());
        bytes[0] = 9;
        Assert.False(ClusterStateCodec.TryDecode(bytes, out _, out var version));
        Assert.Contains("version 9", version, StringComparison.Ordinal);
        // Every byte flipped in turn: decoded or refused, never an exception out of the codec.
        var good = ClusterStateCodec.Encode(Sample());
        for (var i = 0; i < good.Length; i++)
        {
            var damaged = (byte[])good.Clone();
            damaged[i] ^= 0xFF;
            _ = ClusterStateCodec.TryDecode(damaged, out _, out _);
        }
    }
}
