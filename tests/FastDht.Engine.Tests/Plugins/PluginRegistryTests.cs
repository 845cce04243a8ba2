using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Storage;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Plugins;

public sealed class PluginRegistryTests
{
    [Fact]
    public void The_default_registry_holds_the_built_in_parts()
    {
        var registry = PluginRegistry.CreateDefault();
        Assert.Equal(["native", "resp"], registry.ProtocolNamesRegistered);
        Assert.Equal(["sharded"], registry.StoreNames);
        Assert.Contains("wait-die", registry.LockStrategies.Names);
        Assert.True(registry.TryCreateStore("SHARDED", out var store));
        Assert.IsType<ShardedStore>(store);
    }

    [Fact]
    public void A_name_can_be_registered_once()
    {
        var registry = PluginRegistry.CreateDefault();
        registry.RegisterProtocol(new LineProtocol());
        Assert.Throws<ArgumentException>(() => registry.RegisterProtocol(new LineProtocol()));
        Assert.Throws<ArgumentException>(() => registry.RegisterStore("sharded", static () => new ShardedStore()));
    }

    [Fact]
    public async Task Unknown_protocol_or_store_names_fail_the_start_with_one_line()
    {
        var members = MemberList.Parse(["0=127.0.0.1:1"]);
        var options = new NodeOptions { Members = members, NodeId = 0, ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        options.Listeners["gopher"] = new IPEndPoint(IPAddress.Loopback, 0);
        var e = await Assert.ThrowsAsync<ClusterConfigurationException>(() => DhtNode.StartAsync(options));
        Assert.Contains("no wire protocol named 'gopher'", e.Message);

        var options2 = new NodeOptions { Members = members, NodeId = 0, ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), Store = "tape" };
        var e2 = await Assert.ThrowsAsync<ClusterConfigurationException>(() => DhtNode.StartAsync(options2));
        Assert.Contains("no store named 'tape'", e2.Message);
    }

    [Fact]
    public async Task An_application_protocol_and_store_plug_in_without_touching_the_engine()
    {
        var storesMade = 0;
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.Plugins.RegisterProtocol(new LineProtocol());
            o.Plugins.RegisterStore("counted", () =>
            {
                Interlocked.Increment(ref storesMade);
                return new ShardedStore();
            });
            o.Store = "counted";
            o.Listeners["line"] = new IPEndPoint(IPAddress.Loopback, 0);
        });
        Assert.Equal(3, storesMade);
        await Bounded.UntilAsync(
            () => cluster.RunningNodes.All(n => cluster.Members.Members.All(m => n.Context.GetListenerAddress(m.NodeId, "line") is not null)),
            "every node knows every node's line-protocol address");

        // A key owned by node 2, written through node 0's line listener and read through node 1's.
        var key = "";
        for (var i = 0; cluster.OwnerOf(Encoding.UTF8.GetBytes(key = $"line:{i}")) != 2; i++)
        {
        }
        Assert.Equal("OK", await SendLineAsync(cluster[0].GetListenerEndPoint("line")!, $"PUT {key} hello there"));
        Assert.Equal("VALUE hello there", await SendLineAsync(cluster[1].GetListenerEndPoint("line")!, $"GET {key}"));
        Assert.True(cluster[2].Store.TryGet(Encoding.UTF8.GetBytes(key), out _)); // it lives at its owner
        Assert.Equal("OK", await SendLineAsync(cluster[1].GetListenerEndPoint("line")!, $"DEL {key}"));
        Assert.Equal("NONE", await SendLineAsync(cluster[0].GetListenerEndPoint("line")!, $"GET {key}"));
        Assert.Equal("127.0.0.1:" + cluster[2].GetListenerEndPoint("line")!.Port, cluster[0].Context.GetListenerAddress(2, "line"));
    }

    private static async Task<string> SendLineAsync(IPEndPoint endPoint, string line)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint).WaitAsync(Bounded.Timeout);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).AsTask().WaitAsync(Bounded.Timeout);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return (await reader.ReadLineAsync().WaitAsync(Bounded.Timeout))!;
    }
}
