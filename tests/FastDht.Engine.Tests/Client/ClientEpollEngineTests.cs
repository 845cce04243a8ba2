using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>
/// The smart client with its connections on FastDht's epoll engine (<see cref="DhtClientOptions.SocketEngine"/>): the
/// same answers to the same callers as on the runtime's engine, batches too. A lost or refused connection on either
/// engine: ClientClusterTests' stopped-node and unreachable-seed theories.
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
}
