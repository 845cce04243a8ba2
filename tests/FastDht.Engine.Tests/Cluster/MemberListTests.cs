using FastDht.Engine.Cluster;

namespace FastDht.Engine.Tests.Cluster;

public sealed class MemberListTests
{
    [Fact]
    public void Positional_entries_are_numbered_in_order()
    {
        var list = MemberList.Parse("127.0.0.1:7001, 127.0.0.1:7002 127.0.0.1:7003");
        Assert.Equal(3, list.Count);
        Assert.Equal((ushort)0, list[0].NodeId);
        Assert.Equal("127.0.0.1:7003", list.Get(2).Address);
    }

    [Fact]
    public void Explicit_ids_are_kept_and_sorted()
    {
        var list = MemberList.Parse("5=hostB:7000,2=hostA:7000");
        Assert.Equal([(ushort)2, (ushort)5], list.Members.Select(m => m.NodeId));
        Assert.True(list.TryFindByAddress("HOSTB:7000", out var b));
        Assert.Equal((ushort)5, b.NodeId);
        Assert.False(list.TryGet(3, out _));
    }

    [Fact]
    public void Ipv6_literals_need_brackets()
    {
        var m = ClusterMember.Parse("[::1]:7000", 0);
        Assert.Equal("::1", m.Host);
        Assert.Equal("[::1]:7000", m.Address);
        Assert.Throws<FormatException>(() => ClusterMember.Parse("::1:7000", 0));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("1=a:1,1=b:2", "duplicate node id 1")]
    [InlineData("a:1,A:1", "duplicate address")]
    [InlineData("a:0", "host:port")]
    [InlineData("a:99999", "host:port")]
    [InlineData("nohost", "host:port")]
    [InlineData("x=a:1", "node id 'x'")]
    [InlineData("65535=a:1", "0..65534")]
    public void Bad_lists_fail_with_a_message_naming_the_problem(string text, string expected)
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => MemberList.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
