using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Plugins;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>While a node replays its log it listens, answers Ping, and refuses keyed requests with Loading (RESP -LOADING).</summary>
public sealed class LoadingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fastdht-loading-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_loading_node_answers_loading_to_keyed_requests_and_ping_and_serves_once_loaded()
    {
        // The replay is held at its first step by the node's own "loading" log line (event 300), so the test sees the
        // node in the middle of loading for as long as it likes, whatever the machine's speed.
        using var gate = new ManualResetEventSlim();
        using var holding = new ManualResetEventSlim();
        using var loggers = HoldAtLoading(gate, holding);
        var respPort = FreePort();
        var cluster = await TestCluster.StartAsync(1, o =>
        {
            o.DataDir = _dir;
            o.Listeners[ProtocolNames.Resp] = new IPEndPoint(IPAddress.Loopback, respPort);
        }, start: false, loggerFactory: loggers);
        await using (cluster)
        {
            var starting = cluster.StartNodeAsync(0);
            await Bounded.UntilAsync(() => holding.IsSet, "the node holds in its replay");
            Assert.False(starting.IsCompleted);

            using var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
            Assert.Equal(StatusCode.Ok, (await native.RequestAsync((w, id) => FrameWriter.WritePing(w, id, "hi"u8))).Status);
            var get = await native.GetAsync("k"u8.ToArray());
            Assert.Equal(StatusCode.Loading, get.Status);
            Assert.Contains("loading", get.ErrorMessage);
            Assert.Equal(StatusCode.Loading, (await native.PutAsync("k"u8.ToArray(), "v"u8.ToArray())).Status);
            await using var resp = await RespTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, respPort));
            Assert.StartsWith("-LOADING", await resp.CallAsync("SET", "k", "v"), StringComparison.Ordinal);
            Assert.StartsWith("-LOADING", await resp.CallAsync("GET", "k"), StringComparison.Ordinal);
            Assert.Equal("+PONG\r\n", await resp.CallAsync("PING"));

            gate.Set();
            await starting.WithinAsync("the node to finish loading");
            Assert.Equal("+OK\r\n", await resp.CallAsync("SET", "k", "v"));
            Assert.Equal(StatusCode.Ok, (await native.GetAsync("k"u8.ToArray())).Status);
        }
    }

    [Fact]
    public async Task A_loading_node_is_shown_loading_not_down_by_itself_by_its_peers_over_resp_and_up_once_loaded()
    {
        using var gate = new ManualResetEventSlim();
        using var holding = new ManualResetEventSlim();
        using var loggers = HoldAtLoading(gate, holding);
        var cluster = await TestCluster.StartAsync(2, o =>
        {
            if (o.NodeId == 1)
                o.DataDir = _dir;
            o.Listeners[ProtocolNames.Resp] = new IPEndPoint(IPAddress.Loopback, 0);
        }, start: false, loggerFactory: loggers);
        await using (cluster)
        {
            await cluster.StartNodeAsync(0);
            var starting = cluster.StartNodeAsync(1);
            await Bounded.UntilAsync(() => holding.IsSet, "node 1 holds in its replay");

            // Node 1 about itself.
            using (var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1)))
                Assert.Equal(MemberState.Loading, StateIn(await native.RequestAsync(FrameWriter.WriteClusterInfo), 1));
            // Node 0 about node 1: its heartbeat's Ping was answered Loading.
            await Bounded.UntilAsync(() => cluster[0].GetPeers()[1].State == MemberState.Loading, "node 0 sees node 1 loading");
            Assert.True(cluster[0].GetPeers()[1].IsUp); // alive: not down
            using (var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
                Assert.Equal(MemberState.Loading, StateIn(await native.RequestAsync(FrameWriter.WriteClusterInfo), 1));
            await using (var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0)))
            {
                // Node 0 learns node 1's RESP address over the mesh, which a loaded machine may not have done yet.
                var line = "";
                await Bounded.UntilAsync(async () =>
                {
                    var nodes = await resp.CallAsync("CLUSTER", "NODES");
                    line = nodes.Split('\n').Single(l => l.Contains("@" + cluster.EndPointOf(1).Port, StringComparison.Ordinal));
                    return line.Contains("master,loading", StringComparison.Ordinal);
                }, "node 0's CLUSTER NODES to show node 1 loading");
                Assert.Contains("connected", line);
                Assert.DoesNotContain("fail", line);
                Assert.Contains("loading", await resp.CallAsync("CLUSTER", "SHARDS"));
            }

            gate.Set();
            await starting.WithinAsync("node 1 to finish loading");
            await Bounded.UntilAsync(() => cluster[0].GetPeers()[1].State == MemberState.Up, "node 0 sees node 1 up");
            using (var native = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1)))
                Assert.Equal(MemberState.Up, StateIn(await native.RequestAsync(FrameWriter.WriteClusterInfo), 1));
        }
    }

    private static MemberState StateIn(RawResponse response, ushort nodeId)
    {
        Assert.Equal(StatusCode.Ok, response.Status);
        Assert.True(ResponseDecoder.TryReadClusterInfo(response.Body, out _, out var members, out _, out _));
        foreach (var member in members)
        {
            if (member.NodeId == nodeId)
                return member.State;
        }
        throw new InvalidOperationException($"node {nodeId} is not in the answer");
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Loggers that hold the thread logging event 300 (the node's "loading" line) until the gate opens (bounded), and drop everything.</summary>
    private static LogLineHook HoldAtLoading(ManualResetEventSlim gate, ManualResetEventSlim holding) =>
        new((id, _, _) =>
        {
            if (id.Id != 300)
                return;
            holding.Set();
            gate.Wait(Bounded.Timeout);
        });
}
