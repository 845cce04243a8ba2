using System.Buffers;
using System.Buffers.Binary;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// Large frames go over a peer link in fragments, so that small frames pass them (docs/transport.md, "Fragments";
/// docs/known-issues.md §1): over a link slowed to 16 KiB per 2 ms, a small frame sent after a large one arrives while
/// the large one is still crossing. Before, one TCP stream per pair carried every frame whole and in order, so the small
/// one came after the large one's last byte.
/// </summary>
public sealed class FragmentedLinkTests
{
    private const int LargeSize = 16 << 20;

    [Fact]
    public async Task A_heartbeat_sent_after_a_large_request_is_answered_while_the_large_one_still_crosses_the_link()
    {
        await using var cluster = await StartAsync();
        var link = cluster[0].Core.Mesh.GetLink(1);
        Assert.NotNull(link);
        await Bounded.UntilAsync(() => link.PeerTakesFragments, "node 1 to answer the fragment probe");
        var payload = new byte[LargeSize];
        new Random(13).NextBytes(payload);

        // Node 0's bytes to node 1 cross in chunks of at most 16 KiB, each held 2 ms: the large Ping takes at least 2 s.
        SlowFromNode0(cluster, TimeSpan.FromMilliseconds(2));
        var large = link.CallAsync(new PingRequest(payload), ResponseShape.Body, TimeSpan.FromSeconds(120), 1).AsTask();
        var small = await link.CallAsync(new PingRequest(new byte[] { 1, 2, 3 }), ResponseShape.Body, TimeSpan.FromSeconds(120), 1, urgent: true)
            .AsTask().WithinAsync("the small Ping");
        var largeDoneFirst = large.IsCompleted;
        SlowFromNode0(cluster, TimeSpan.Zero);
        var echoed = await large.WithinAsync("the large Ping");

        Assert.False(largeDoneFirst, "the small Ping was answered only after the large one: it waited behind it on the link");
        Assert.Equal(StatusCode.Ok, small.Status);
        Assert.Equal(new byte[] { 1, 2, 3 }, small.Payload);
        Assert.Equal(StatusCode.Ok, echoed.Status);
        Assert.True(payload.AsSpan().SequenceEqual(echoed.Payload), "the large Ping's echo differs from what was sent: the fragments were not reassembled in order");
        Assert.Same(link, cluster[0].Core.Mesh.GetLink(1));
    }

    [Fact]
    public async Task A_small_write_through_a_non_owner_is_answered_while_a_GET_of_a_large_value_still_crosses_the_link()
    {
        await using var cluster = await StartAsync();
        var big = RespCluster.KeyOwnedBy(cluster, 1, "big");
        var small = RespCluster.KeyOwnedBy(cluster, 1, "small");
        var value = new string('v', LargeSize - 1024);
        await using (var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1)))
            Assert.Equal("+OK\r\n", await atOwner.CallAsync("SET", big, value));
        var link = cluster[1].Core.Mesh.GetLink(0);
        Assert.NotNull(link);
        await Bounded.UntilAsync(() => link.PeerTakesFragments, "node 0 to answer the fragment probe");
        var toNode0 = cluster[0].Core.Mesh.GetLink(1);
        Assert.NotNull(toNode0);

        // Node 1's bytes to node 0 cross in chunks of at most 16 KiB, each held 2 ms: the GET's answer takes at least 2 s.
        SlowFromNode1(cluster, TimeSpan.FromMilliseconds(2));
        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        await using var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var before = toNode0.Connection.BytesReceived;
        var get = reader.CallAsync("GET", big);
        // The answer has begun to cross (a mebibyte of it is here) before the write is sent: the write comes after it.
        await Bounded.UntilAsync(() => toNode0.Connection.BytesReceived - before > (1 << 20), "the GET's answer to begin crossing the link");
        var set = await writer.CallAsync("SET", small, "w").WithinAsync("the small SET");
        // Judged on the link, not at the clients: node 0 relays the SET's answer at once, while the reader may still be
        // reading the value from node 0 even when the whole value crossed the link first.
        var crossedBeforeTheSet = toNode0.Connection.BytesReceived - before;
        SlowFromNode1(cluster, TimeSpan.Zero);
        var answer = await get.WithinAsync("the GET of the large value");

        Assert.Equal("+OK\r\n", set);
        Assert.True(crossedBeforeTheSet < value.Length, $"the small SET was answered after {crossedBeforeTheSet} bytes had crossed the link: its answer waited behind the whole value");
        Assert.True(answer == $"${value.Length}\r\n{value}\r\n", $"the GET answered {answer[..Math.Min(answer.Length, 120)]}");
    }

    [Fact]
    public async Task A_fragment_that_declares_a_frame_over_the_limit_closes_the_link_alone_and_the_nodes_link_again()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var key = Enumerable.Range(0, 100).Select(i => System.Text.Encoding.UTF8.GetBytes($"frag:{i}")).First(k => cluster.OwnerOf(k) == 1);
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, "before"u8.ToArray())).Status);
        var link = cluster[0].Core.Mesh.GetLink(1);
        Assert.NotNull(link);

        // The first piece of a "frame" of 1 GiB, past node 1's 64 MiB limit: node 1 must keep nothing of it and drop the link.
        var header = new byte[ProtocolConstants.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1u << 30);
        header[8] = (byte)Opcode.Put;
        var writer = await link.Connection.EnterWriteAsync().AsTask().WithinAsync("the link's writer lock");
        FrameWriter.WriteFragment(writer, new ReadOnlySequence<byte>(header));
        await link.Connection.ExitWriteAsync();
        await link.Completion.WithinAsync("node 1 to close the link");

        // Node 1 goes on, the nodes link again, and a write through node 0 to node 1's key goes through.
        await Bounded.UntilAsync(() => cluster[0].Core.Mesh.GetLink(1) is { IsUp: true, IsOpen: true } l && !ReferenceEquals(l, link), "nodes 0 and 1 to link again");
        await Bounded.UntilAsync(async () => (await client.PutAsync(key, "after"u8.ToArray())).Status == StatusCode.Ok, "a write through node 0 to node 1's key");
        Assert.Equal("after"u8.ToArray(), (await client.GetAsync(key)).Value);
    }

    private static Task<TestCluster> StartAsync() =>
        RespCluster.StartAsync(2, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 32 << 20 };
            o.ForwardTimeout = TimeSpan.FromSeconds(120);
        }, proxied: true);

    // The link node 0 dialed, through node 1's proxy, wins the tie-break; both proxies are slowed so either link is.
    private static void SlowFromNode0(TestCluster cluster, TimeSpan delay)
    {
        cluster.ProxyOf(1).Delay(delay, ProxyDirection.ClientToServer);
        cluster.ProxyOf(0).Delay(delay, ProxyDirection.ServerToClient);
    }

    private static void SlowFromNode1(TestCluster cluster, TimeSpan delay)
    {
        cluster.ProxyOf(1).Delay(delay, ProxyDirection.ServerToClient);
        cluster.ProxyOf(0).Delay(delay, ProxyDirection.ClientToServer);
    }
}
