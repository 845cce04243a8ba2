using System.Net;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>
/// The smart client with its connections on FastDht's epoll engine (<see cref="DhtClientOptions.SocketEngine"/>):
/// the same answers to the same callers as on the runtime's engine, batches too, and a lost or refused connection
/// fails the calls that needed it, as on the runtime's.
/// </summary>
public sealed class ClientEpollEngineTests
{
    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"epoll:{i:D6}");

    private static DhtClientOptions EpollOptions(TestCluster cluster, int seed)
    {
        var options = ClientClusterTests.OptionsFor(cluster, seed);
        options.SocketEngine = SocketEngineKind.Epoll;
        return options;
    }

    [Fact]
    public async Task Pipelined_calls_and_a_batch_on_the_epoll_engine_each_get_their_own_answer_from_every_node()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(EpollOptions(cluster, 0));
        const int keys = 600;

        // All in flight at once, over the three connections: each answer must reach the call that asked for it.
        var puts = new Task[keys];
        for (var k = 0; k < keys; k++)
            puts[k] = client.PutAsync(Key(k), Encoding.UTF8.GetBytes($"value {k}")).AsTask();
        await Task.WhenAll(puts).WithinAsync("the pipelined puts");
        var gets = new Task<byte[]?>[keys];
        for (var k = 0; k < keys; k++)
            gets[k] = client.GetAsync(Key(k)).AsTask();
        await Task.WhenAll(gets).WithinAsync("the pipelined gets");
        for (var k = 0; k < keys; k++)
            Assert.Equal($"value {k}", Encoding.UTF8.GetString((await gets[k])!));

        var batch = new DhtBatch(keys + 1);
        for (var k = 0; k < keys; k++)
            batch.Get(Key(k));
        batch.Get(Key(keys)); // never written
        await client.ExecuteAsync(batch).AsTask().WithinAsync("the batch");
        for (var k = 0; k < keys; k++)
        {
            Assert.Equal(StatusCode.Ok, batch[k].Status);
            Assert.Equal($"value {k}", Encoding.UTF8.GetString(batch[k].Value!));
        }
        Assert.Equal(StatusCode.NotFound, batch[keys].Status);

        var owners = new HashSet<ushort>();
        for (var k = 0; k < keys; k++)
            owners.Add(client.OwnerOf(Key(k)));
        Assert.Equal(3, owners.Count);
        var (open, onEpoll) = client.ConnectionEngines;
        Assert.Equal(3, open);
        Assert.Equal(EpollSocketEngine.IsSupported ? 3 : 0, onEpoll);
    }

    [Fact]
    public async Task A_stopped_node_fails_its_calls_on_the_epoll_engine_with_NodeUnavailable_and_a_later_call_redials()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var options = EpollOptions(cluster, 0);
        await using var client = await DhtClient.ConnectAsync(options);
        var byOwner = new Dictionary<ushort, byte[]>();
        for (var k = 0; byOwner.Count < 3; k++)
            byOwner.TryAdd(client.OwnerOf(Key(k)), Key(k));
        foreach (var (_, key) in byOwner)
            await client.PutAsync(key, "before"u8.ToArray()); // opens a connection to every node

        await cluster.StopNodeAsync(2);

        // Twice: once on the connection that just closed, once on a fresh dial that is refused.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var e = await Assert.ThrowsAsync<DhtNodeUnavailableException>(() =>
                client.GetAsync(byOwner[2]).AsTask().WithinAsync("a call to the stopped node", options.RequestTimeout + options.ConnectTimeout + TimeSpan.FromSeconds(5)));
            Assert.Equal(2, e.NodeId);
        }
        var batch = new DhtBatch(2);
        batch.Get(byOwner[2]);
        batch.Get(byOwner[0]);
        await client.ExecuteAsync(batch).AsTask().WithinAsync("a batch with a request for the stopped node");
        Assert.Equal(StatusCode.NodeUnavailable, batch[0].Status);
        Assert.Equal("before"u8.ToArray(), batch[1].Value);

        await cluster.StartNodeAsync(2);
        await cluster.WaitForMeshAsync();
        await client.PutAsync(byOwner[2], "back"u8.ToArray());
        Assert.Equal("back"u8.ToArray(), await client.GetAsync(byOwner[2]));
        Assert.Equal(EpollSocketEngine.IsSupported ? 3 : 0, client.ConnectionEngines.OnEpoll);
    }

    [Fact]
    public async Task A_refused_seed_on_the_epoll_engine_fails_naming_it_and_the_next_seed_is_used()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var closed = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: connects are refused
        var dead = closed.LocalEndPoint!.ToString()!;

        var options = new DhtClientOptions { ClusterName = "test", SocketEngine = SocketEngineKind.Epoll };
        options.Seeds.Add(dead);
        var e = await Assert.ThrowsAsync<DhtNodeUnavailableException>(() => DhtClient.ConnectAsync(options).WithinAsync("the refused connect"));
        Assert.Contains(dead, e.Message, StringComparison.Ordinal);

        options.Seeds.Add(cluster.Members.Get(0).Address);
        await using var client = await DhtClient.ConnectAsync(options).WithinAsync("the connect through the second seed");
        await client.PutAsync("k", "v");
        Assert.Equal("v", await client.GetStringAsync("k"));
    }
}
