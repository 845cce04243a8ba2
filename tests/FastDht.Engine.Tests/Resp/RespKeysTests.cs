using FastDht.Protocol;
using FastDht.Engine.CommandTable;
using System.Text;
using FastDht.Engine.Resp.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>KEYS over the whole cluster through any node, and Redis's glob rules.</summary>
public sealed class RespKeysTests
{
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[a-b]llo", "hcllo", false)]
    [InlineData("h\\*llo", "h*llo", true)]
    [InlineData("h\\*llo", "hello", false)]
    [InlineData("key:*:end", "key:1:2:end", true)]
    [InlineData("*a*b", "xxaxxbxxb", true)]
    [InlineData("a*", "", false)]
    [InlineData("", "", true)]
    public void Glob_patterns_match_as_in_redis(string pattern, string text, bool expected) =>
        Assert.Equal(expected, RespGlob.IsMatch(Encoding.ASCII.GetBytes(pattern), Encoding.ASCII.GetBytes(text)));

    [Fact]
    public async Task Keys_lists_the_matching_keys_of_every_node_and_leaves_out_expired_ones()
    {
        await using var cluster = await RespCluster.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1));
        var names = new List<string>();
        for (var node = 0; node < 3; node++)
        {
            for (var i = 0; i < 3; i++)
            {
                var key = RespCluster.KeyOwnedBy(cluster, node, $"user{i}");
                names.Add(key);
                Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "v"));
            }
        }
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "other", "v"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "user-gone", "v", "PX", "1"));
        await Bounded.UntilAsync(async () => await c.CallAsync("EXISTS", "user-gone") == ":0\r\n", "the key to expire");
        var reply = await c.CallAsync("KEYS", "user*");
        Assert.StartsWith($"*{names.Count}\r\n", reply, StringComparison.Ordinal);
        foreach (var name in names)
            Assert.Contains($"\r\n{name}\r\n", reply, StringComparison.Ordinal);
        Assert.Equal("*1\r\n$5\r\nother\r\n", await c.CallAsync("KEYS", "o?her"));
        Assert.Equal("*0\r\n", await c.CallAsync("KEYS", "nothing*"));
    }

    [Fact]
    public async Task A_keys_answer_too_large_for_the_peer_link_is_an_error_and_the_link_survives()
    {
        // 1 MiB frames (the default is 64 MiB), so a small key space is enough to outgrow one.
        await using var cluster = await RespCluster.StartAsync(configure: o => o.Limits = new ProtocolLimits { MaxFrameSize = 1 << 20 });
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        // 2000 keys of ~900 bytes on node 2: its part of KEYS * (~1.8 MB) would not fit a 1 MiB frame.
        var padding = new string('k', 900);
        for (var i = 0; ; i++)
        {
            var key = $"{padding}{i}";
            if (cluster.OwnerOf(Encoding.UTF8.GetBytes(key)) == 2)
                Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "v"));
            if (cluster[2].Store.Count >= 2000)
                break;
        }
        Assert.StartsWith("-CLUSTERDOWN not every node could be listed", await c.CallAsync("KEYS", "*"), StringComparison.Ordinal);
        // The link to node 2 is intact: a forwarded command behind it is answered.
        var probe = RespCluster.KeyOwnedBy(cluster, 2, "probe");
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", probe, "p"));
        Assert.Equal("$1\r\np\r\n", await c.CallAsync("GET", probe));
    }
}
