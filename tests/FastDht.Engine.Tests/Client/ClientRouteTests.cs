using System.Buffers;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Client.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Tests.Client;

public sealed class ClientRouteTests
{
    /// <summary>A ClusterInfo response body as a node encodes it (the frame minus its 12-byte header).</summary>
    private static byte[] ClusterInfoBody(ulong version, MemberInfo[] members, SlotRange[] ranges)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteClusterInfoResponse(writer, 1, version, members, ranges);
        return writer.WrittenSpan[ProtocolConstants.HeaderSize..].ToArray();
    }

    private static readonly MemberInfo[] ThreeMembers =
    [
        new(0, "127.0.0.1:7000", MemberState.Up),
        new(1, "127.0.0.1:7001", MemberState.Up),
        new(2, "127.0.0.1:7002", MemberState.Down),
    ];

    private static SlotRange[] DefaultRanges(int n)
    {
        var ranges = new SlotRange[n];
        for (var i = 0; i < n; i++)
            ranges[i] = SlotRange.ForMember(i, n, (ushort)i);
        return ranges;
    }

    [Fact]
    public void Cluster_info_decodes_into_the_public_view()
    {
        var view = ClusterInfoReader.Read(ClusterInfoBody(7, ThreeMembers, DefaultRanges(3)), reportedBy: 1);
        Assert.Equal(7UL, view.Epoch);
        Assert.Equal(1, view.ReportedBy);
        Assert.Equal(["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"], view.Members.Select(m => m.Address));
        Assert.Equal([true, true, false], view.Members.Select(m => m.IsUp));
        Assert.Equal(DefaultRanges(3), view.Ranges);
    }

    [Fact]
    public void A_malformed_cluster_info_is_a_clear_error()
    {
        var body = ClusterInfoBody(1, ThreeMembers, DefaultRanges(3));
        var e = Assert.Throws<DhtException>(() => ClusterInfoReader.Read(body.AsSpan(0, body.Length - 1), 2));
        Assert.Contains("node 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("foo", 2)]          // slot 12182, the third of three default ranges (protocol.md section 10)
    [InlineData("hello", 0)]        // slot 866
    [InlineData("bar", 0)]          // slot 5061
    [InlineData("somekey", 2)]      // slot 11058
    [InlineData("{user1000}.following", 0)] // slot 3443
    public void Keys_route_to_the_owner_of_their_slot(string key, ushort owner)
    {
        var route = ClientRoute.Build(ClusterInfoReader.Read(ClusterInfoBody(1, ThreeMembers, DefaultRanges(3)), 0), null);
        Assert.Equal(owner, route.OwnerOf(Encoding.UTF8.GetBytes(key)).NodeId);
    }

    [Fact]
    public void Every_slot_routes_to_the_node_the_table_names()
    {
        // Non-default, interleaved ranges: routing must follow the table, not the default split.
        SlotRange[] ranges = [new(0, 99, 2), new(100, 8000, 0), new(8001, 8001, 1), new(8002, 16383, 2)];
        var route = ClientRoute.Build(ClusterInfoReader.Read(ClusterInfoBody(3, ThreeMembers, ranges), 0), null);
        for (var k = 0; k < 2000; k++)
        {
            var key = Encoding.UTF8.GetBytes($"k{k}");
            var slot = KeySlot.Of(key);
            var expected = ranges.First(r => r.Contains(slot)).NodeId;
            var handle = route.OwnerOf(key);
            Assert.Equal(expected, handle.NodeId);
            Assert.Equal(ThreeMembers[expected].Address, handle.Address);
        }
    }

    [Fact]
    public void A_table_with_a_gap_is_refused()
    {
        SlotRange[] ranges = [new(0, 100, 0), new(102, 16383, 1)];
        var e = Assert.Throws<DhtException>(() => ClientRoute.Build(ClusterInfoReader.Read(ClusterInfoBody(1, ThreeMembers, ranges), 1), null));
        Assert.Contains("slot 101", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_naming_a_non_member_fails_the_lookup_clearly()
    {
        SlotRange[] ranges = [new(0, 16383, 9)];
        var route = ClientRoute.Build(ClusterInfoReader.Read(ClusterInfoBody(1, ThreeMembers, ranges), 1), null);
        var e = Assert.Throws<DhtException>(() => route.OwnerOf("foo"u8));
        Assert.Contains("node 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refresh_keeps_handles_of_unchanged_members_and_replaces_moved_ones()
    {
        var first = ClientRoute.Build(ClusterInfoReader.Read(ClusterInfoBody(1, ThreeMembers, DefaultRanges(3)), 0), null);
        MemberInfo[] moved = [ThreeMembers[0], ThreeMembers[1], new(2, "127.0.0.1:7999", MemberState.Up)];
        var second = ClientRoute.Build(ClusterInfoReader.Read(ClusterInfoBody(2, moved, DefaultRanges(3)), 0), first);

        Assert.True(first.TryGet(0, out var a0));
        Assert.True(second.TryGet(0, out var b0));
        Assert.Same(a0, b0);
        Assert.True(first.TryGet(2, out var a2));
        Assert.True(second.TryGet(2, out var b2));
        Assert.NotSame(a2, b2);
        Assert.Equal("127.0.0.1:7999", b2.Address);
        Assert.Equal(2UL, second.Epoch);
    }
}
