using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// List pops and ranges found by walking the elements' lengths (no decode): elements of one-byte and multi-byte
/// lengths, both ends, with counts, and what stays behind, at each owner.
/// </summary>
public sealed class RespListPopTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    // Lengths around the LEB128 steps (127/128 bytes, 16383/16384) so the walk meets one-, two- and three-byte lengths.
    private static readonly string[] Items = ["a", new string('b', 127), new string('c', 128), "", new string('d', 16383), new string('e', 16384), "f"];

    private static string Bulk(string s) => "$" + s.Length + "\r\n" + s + "\r\n";

    private static string ArrayReply(IEnumerable<string> items)
    {
        var list = items.ToList();
        return "*" + list.Count + "\r\n" + string.Concat(list.Select(Bulk));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Pops_and_ranges_answer_and_keep_the_right_elements(int owner)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var key = RespCluster.KeyOwnedBy(Cluster, owner, "lpop");
        await c.CallAsync("DEL", key);
        Assert.Equal(":" + Items.Length + "\r\n", await c.CallAsync(["RPUSH", key, .. Items]));

        Assert.Equal(ArrayReply(Items), await c.CallAsync("LRANGE", key, "0", "-1"));
        Assert.Equal(ArrayReply(Items[2..5]), await c.CallAsync("LRANGE", key, "2", "4"));
        Assert.Equal(Bulk(Items[5]), await c.CallAsync("LINDEX", key, "-2"));
        Assert.Equal(Bulk(Items[4]), await c.CallAsync("LINDEX", key, "4"));
        Assert.Equal("$-1\r\n", await c.CallAsync("LINDEX", key, "7"));

        Assert.Equal(Bulk(Items[0]), await c.CallAsync("LPOP", key));
        // RPOP with a count answers the last element first.
        Assert.Equal(ArrayReply([Items[6], Items[5], Items[4]]), await c.CallAsync("RPOP", key, "3"));
        Assert.Equal(ArrayReply(Items[1..4]), await c.CallAsync("LRANGE", key, "0", "-1"));
        Assert.Equal("*0\r\n", await c.CallAsync("LPOP", key, "0"));
        Assert.Equal(ArrayReply(Items[1..3]), await c.CallAsync("LPOP", key, "2"));
        Assert.Equal(":1\r\n", await c.CallAsync("LLEN", key));
        // The last pop empties the list, which deletes the key.
        Assert.Equal(ArrayReply([Items[3]]), await c.CallAsync("RPOP", key, "10"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", key));
    }

    [Fact]
    public async Task Lmpop_and_blocking_pops_take_from_the_named_end()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "lmpop");
        await c.CallAsync("DEL", key);
        await c.CallAsync(["RPUSH", key, .. Items]);
        Assert.Equal("*2\r\n" + Bulk(key) + ArrayReply([Items[6], Items[5]]), await c.CallAsync("LMPOP", "1", key, "RIGHT", "COUNT", "2"));
        Assert.Equal("*2\r\n" + Bulk(key) + ArrayReply([Items[0], Items[1]]), await c.CallAsync("LMPOP", "1", key, "LEFT", "COUNT", "2"));
        Assert.Equal("*2\r\n" + Bulk(key) + Bulk(Items[4]), await c.CallAsync("BRPOP", key, "1"));
        Assert.Equal("*2\r\n" + Bulk(key) + Bulk(Items[2]), await c.CallAsync("BLPOP", key, "1"));
        Assert.Equal(Bulk(Items[3]), await c.CallAsync("RPOPLPUSH", key, key));
        Assert.Equal(ArrayReply([Items[3]]), await c.CallAsync("LRANGE", key, "0", "-1"));
    }
}
