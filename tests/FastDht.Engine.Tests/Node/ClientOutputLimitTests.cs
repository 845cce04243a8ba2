using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

using static FastDht.Engine.Tests.Node.RawSockets;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// The client output limit: a client that sends commands and never reads the replies is closed once the node holds
/// too much for it, instead of pinning the output pause threshold (128 MiB) for as long as it stays connected; the
/// node's peer links are not bounded by it, nor by the client memory budget.
/// </summary>
public sealed class ClientOutputLimitTests
{
    private const int ValueSize = 1 << 20;
    // 200 MiB of replies: past the hard bound of these tests and past the output pause threshold, so a flush waits.
    private const int Requests = 200;

    [Fact]
    public async Task A_resp_client_that_never_reads_is_closed_past_the_hard_limit_and_the_others_are_served()
    {
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.ClientHardOutputLimit = 4 << 20;
            o.ClientSoftOutputLimit = 0;
        });
        await NonReaderIsClosedAsync(cluster);
    }

    [Fact]
    public async Task A_resp_client_whose_replies_stay_above_the_soft_limit_is_closed_while_its_flush_waits()
    {
        // Frames of 2 MiB: the output pauses at about 4 MiB, reached long before the soft time is up, so the flush
        // that waits for the client is the only place the bound can be enforced.
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 2 << 20 };
            o.ClientHardOutputLimit = 0;
            o.ClientSoftOutputLimit = 1 << 20;
            o.ClientSoftOutputTime = TimeSpan.FromSeconds(2);
        });
        await NonReaderIsClosedAsync(cluster);
    }

    [Fact]
    public async Task A_native_client_that_never_reads_is_closed_past_the_hard_limit()
    {
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.ClientHardOutputLimit = 4 << 20;
            o.ClientSoftOutputLimit = 0;
        });
        using var served = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await served.PutAsync("big"u8.ToArray(), new byte[ValueSize])).Status);

        // The hog keeps its socket's default receive buffer: the session sends a mebibyte of answers at a time
        // (FrameSession.MaxHeldResponseBytes), so the node's socket holds a few MiB when the limit closes the connection,
        // and the hog reads them before it sees the close. Through a 4 KiB buffer (shrunk below a segment) loopback moves
        // about 35 KB/s: one 1 MiB answer took longer than a read's 20 s bound.
        using var hog = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var frames = new ArrayBufferWriter<byte>();
        for (var i = 0; i < Requests; i++)
            FrameWriter.WriteGet(frames, hog.NextId(), "big"u8);
        await hog.SendRawAsync(frames.WrittenMemory);
        var counters = cluster[0].Core.ConnectionOptions.Counters;
        await Bounded.UntilAsync(() => counters.OutputLimitDisconnections == 1, "the node closes the native client that reads nothing");

        Assert.True(await hog.IsClosedByNodeAsync(), "the closed client's reads end");
        Assert.Equal(StatusCode.Ok, (await served.GetAsync("big"u8.ToArray())).Status);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    public async Task Peer_links_are_not_bounded_by_the_client_output_limit_nor_counted_in_the_client_memory_budget(int owner, int via)
    {
        // The owner bounds its clients' output and all their buffers far below one reply; a client of the other node
        // reads the owner's values through that node, so the replies cross a link between the two (either way round:
        // one of them dialed it).
        await using var cluster = await RespCluster.StartAsync(2, o =>
        {
            o.ClientHardOutputLimit = o.NodeId == owner ? 64 << 10 : 0;
            o.ClientSoftOutputLimit = 0;
            if (o.NodeId == owner)
                o.MaxMemoryClients = 64 << 10;
        });
        var key = RespCluster.KeyOwnedBy(cluster, owner);
        await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, via));
        var value = new string('v', 512 << 10);
        Assert.Equal("+OK\r\n", await client.CallAsync("SET", key, value));
        await client.SendAsync(string.Concat(Enumerable.Repeat(RespTestClient.Encode("GET", key), 20)));
        var expected = $"${value.Length}\r\n{value}\r\n";
        for (var i = 0; i < 20; i++)
            Assert.Equal(expected, await client.ReadReplyAsync());
        Assert.Equal(0, cluster[owner].Core.ConnectionOptions.Counters.OutputLimitDisconnections);
        var budget = cluster[owner].Core.ConnectionOptions.ClientBudget!;
        Assert.Equal(0, budget.EvictedClients);
        Assert.Equal(0, budget.Count); // the owner has links to the other node and no client of its own
    }

    /// <summary>A RESP client pipelines GETs of a large value and reads nothing: the node closes it (and only it).</summary>
    private static async Task NonReaderIsClosedAsync(TestCluster cluster)
    {
        var resp = RespCluster.RespOf(cluster, 0);
        await using var served = await RespTestClient.ConnectAsync(resp);
        Assert.Equal("+OK\r\n", await served.CallAsync("SET", "big", new string('x', ValueSize)));

        using var hog = await ConnectNotReadingAsync(resp);
        await SendAllAsync(hog, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(RespTestClient.Encode("GET", "big"), Requests))));
        var counters = cluster[0].Core.ConnectionOptions.Counters;
        await Bounded.UntilAsync(() => counters.OutputLimitDisconnections == 1, "the node closes the client that reads nothing");

        Assert.True(await ReadUntilClosedAsync(hog) < (long)Requests * ValueSize, "the closed client got only part of its replies");
        Assert.Equal("+PONG\r\n", await served.CallAsync("PING"));
        Assert.Contains("client_output_buffer_limit_disconnections:1\r\n", await served.CallAsync("INFO", "stats"), StringComparison.Ordinal);
    }
}
