using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

using static FastDht.Engine.Tests.Node.RawSockets;

namespace FastDht.Engine.Tests.Node;

/// <summary>A client that hangs up with commands still queued in the node: its session ends at once and gives its buffers back, instead of running them for no one.</summary>
public sealed class HungUpClientTests
{
    private const int ValueSize = 4 << 20;

    [Fact]
    public async Task A_client_that_resets_its_connection_with_thousands_of_GETs_queued_leaves_at_once()
    {
        // Frames of 8 MiB: the hog's input and output pause at 16 MiB each. Output limits off and a budget far above what
        // one hog holds, so nothing but the hog's own reset closes it (the budget is on only to report its input).
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 8 << 20 };
            o.ClientHardOutputLimit = 0;
            o.ClientSoftOutputLimit = 0;
            o.MaxMemoryClients = 1L << 30;
        });
        var resp = RespCluster.RespOf(cluster, 0);
        await using var served = await RespTestClient.ConnectAsync(resp);
        Assert.Equal("+OK\r\n", await served.CallAsync("SET", "big", new string('x', ValueSize)));
        var statistics = cluster[0].Core.Statistics;
        var budget = cluster[0].Core.ConnectionOptions.ClientBudget!;
        var clientsBefore = statistics.ConnectedClients;
        var accountsBefore = budget.Count;

        // The hog pipelines 6 MiB of GETs (about 290,000) and reads nothing: its session stops at the first replies (the
        // output pipe is full) and the rest of the GETs wait in its input.
        using var hog = await ConnectNotReadingAsync(resp);
        hog.SendBufferSize = 64 * 1024;
        var get = RespTestClient.Encode("GET", "big");
        var gets = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(get, (6 << 20) / get.Length)));
        await SendAllAsync(hog, gets);
        await Bounded.UntilAsync(() => budget.RecentMaxInputBuffer >= 4 << 20, "the node holds at least 4 MiB of the hog's GETs unread");
        Assert.Equal(clientsBefore + 1, statistics.ConnectedClients);

        // The hog hangs up with a reset (SO_LINGER 0, as a close with unread data does): the node's pending send fails.
        hog.LingerState = new LingerOption(true, 0);
        hog.Close();

        // Its session ends: before the fix it went on to build every queued 4 MiB reply for a closed connection (about a
        // terabyte of copying), keeping the session, its CLIENT LIST entry and its buffers for as long.
        await Bounded.UntilAsync(() => statistics.ConnectedClients == clientsBefore, "the hung-up client's session ends");
        await Bounded.UntilAsync(() => budget.Count == accountsBefore, "the hung-up client's buffers leave the budget (its connection is disposed)");
        // CLIENT LIST shows only the served client (one "id=" per line).
        var clients = await served.CallAsync("CLIENT", "LIST");
        Assert.Equal(clients.IndexOf("id=", StringComparison.Ordinal), clients.LastIndexOf("id=", StringComparison.Ordinal));
        Assert.DoesNotContain("cmd=get ", clients, StringComparison.Ordinal);
        Assert.Equal("+PONG\r\n", await served.CallAsync("PING"));
    }
}
