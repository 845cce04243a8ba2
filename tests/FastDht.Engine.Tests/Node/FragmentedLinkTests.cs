using System.Collections.Concurrent;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// Large frames on a peer link go in pieces, so the small frames written after one pass it (docs/known-issues.md §1: a
/// 60 MB value held heartbeats and serving-lease renewals behind its bytes), and the frames that must keep their order
/// (a client's SET and its GET right after) still keep it.
/// </summary>
public sealed class FragmentedLinkTests
{
    [Fact]
    public async Task A_ping_and_a_small_write_are_answered_while_a_60_MB_value_crosses_a_slow_link()
    {
        const int ValueSize = 60_000_000;
        var logs = new ConcurrentQueue<string>();
        using var loggers = new LogLineHook((_, line, _) => logs.Enqueue(line));
        await using var cluster = await RespCluster.StartAsync(2, o => o.ForwardTimeout = TimeSpan.FromSeconds(120), proxied: true, loggerFactory: loggers);
        try
        {
            var big = RespCluster.KeyOwnedBy(cluster, 1, "big");
            var small = RespCluster.KeyOwnedBy(cluster, 1, "small");
            var value = new string('v', ValueSize);
            await using (var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1)))
                Assert.Equal("+OK\r\n", await atOwner.CallAsync("SET", big, value));
            await Bounded.UntilAsync(() => cluster[0].Core.Mesh.GetLink(1) is not null && cluster[1].Core.Mesh.GetLink(0) is not null, "nodes 0 and 1 to be linked");
            var link = cluster[0].Core.Mesh.GetLink(1)!;

            // Node 1's bytes to node 0 cross the link in chunks of at most 16 KiB, each held 2 ms: 60 MB take seconds.
            cluster.ProxyOf(1).Delay(TimeSpan.FromMilliseconds(2), ProxyDirection.ServerToClient);
            cluster.ProxyOf(0).Delay(TimeSpan.FromMilliseconds(2), ProxyDirection.ClientToServer);
            var before = link.Connection.BytesReceived;
            await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
            var get = reader.CallAsync("GET", big);
            // The value is on its way: a few mebibytes of it have crossed.
            await Bounded.UntilAsync(() => link.Connection.BytesReceived - before > (4 << 20) || get.IsCompleted, "the value to be on its way", TimeSpan.FromSeconds(60));
            Assert.False(get.IsCompleted, "the GET was answered before its value could be seen on the link");

            // A heartbeat's answer and a forwarded write's answer leave node 1 after the value did, and arrive first.
            var ping = await link.CallAsync(new PingRequest("between"u8.ToArray()), ResponseShape.Body, TimeSpan.FromSeconds(60), 1).AsTask().WithinAsync("the ping", TimeSpan.FromSeconds(90));
            Assert.True(ping.Status == StatusCode.Ok, $"{ping.Status} {ping.ErrorMessage}");
            // Judged by what had crossed the link when the answer came: the last 4 MiB of the value had not.
            var crossed = link.Connection.BytesReceived - before;
            Assert.True(crossed < ValueSize - (4 << 20), $"the ping's answer came after {crossed} bytes: it waited behind the value");
            await using (var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0)))
                Assert.Equal("+OK\r\n", await writer.CallAsync("SET", small, "passed"));
            crossed = link.Connection.BytesReceived - before;
            Assert.True(crossed < ValueSize - (4 << 20), $"the write's answer came after {crossed} bytes: it waited behind the value");

            // The rest of the value at full speed: on a slowed link under CPU load the whole 60 MB took longer than the
            // test client waits for the first byte of a reply (20 s).
            cluster.ProxyOf(1).Delay(TimeSpan.Zero);
            cluster.ProxyOf(0).Delay(TimeSpan.Zero);
            var answer = await get.WithinAsync("the GET of the large value", TimeSpan.FromSeconds(120));
            Assert.True(answer == $"${ValueSize}\r\n{value}\r\n", $"the GET answered {answer[..Math.Min(answer.Length, 120)]}");
            Assert.Same(link, cluster[0].Core.Mesh.GetLink(1));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nnode logs:\n{string.Join('\n', logs)}", e);
        }
    }

    [Fact]
    public async Task A_pipelined_SET_of_a_large_value_and_GETs_through_a_non_owner_keep_their_order()
    {
        await using var cluster = await RespCluster.StartAsync(2);
        var key = RespCluster.KeyOwnedBy(cluster, 1, "ordered");
        await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await client.CallAsync("SET", key, "old"));
        for (var round = 0; round < 3; round++)
        {
            // 1 MiB: past the size that goes in pieces. The GET and the APPEND after it are small and must not pass it.
            var value = new string((char)('a' + round), 1 << 20);
            await client.SendAsync(RespTestClient.Encode("SET", key, value) + RespTestClient.Encode("GET", key) + RespTestClient.Encode("APPEND", key, "!") + RespTestClient.Encode("STRLEN", key));
            Assert.Equal("+OK\r\n", await client.ReadReplyAsync());
            var got = await client.ReadReplyAsync();
            Assert.True(got == $"${value.Length}\r\n{value}\r\n", $"round {round}: the GET answered {got[..Math.Min(got.Length, 40)]}");
            Assert.Equal($":{value.Length + 1}\r\n", await client.ReadReplyAsync());
            Assert.Equal($":{value.Length + 1}\r\n", await client.ReadReplyAsync());
        }
    }
}
