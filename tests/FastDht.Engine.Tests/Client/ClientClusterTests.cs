using System.Net;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>The smart client against real in-process nodes on 127.0.0.1.</summary>
public sealed class ClientClusterTests
{
    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"client:{i:D6}");

    internal static DhtClientOptions OptionsFor(TestCluster cluster, params int[] seeds)
    {
        var options = new DhtClientOptions { ClusterName = "test", RequestTimeout = TimeSpan.FromSeconds(3) };
        foreach (var i in seeds.Length == 0 ? [0] : seeds)
            options.Seeds.Add(cluster.Members.Get((ushort)i).Address);
        return options;
    }

    [Fact]
    public async Task A_key_put_through_the_client_is_read_through_every_node()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(OptionsFor(cluster, 1));
        var raw = new NativeTestClient[3];
        for (var i = 0; i < 3; i++)
            raw[i] = await NativeTestClient.ConnectAsync(cluster.EndPointOf(i));
        try
        {
            var owners = new HashSet<ushort>();
            for (var k = 0; k < 60; k++)
            {
                var key = Key(k);
                var value = Encoding.UTF8.GetBytes($"value {k}");
                Assert.Equal(cluster.OwnerOf(key), client.OwnerOf(key));
                owners.Add(client.OwnerOf(key));
                await client.PutAsync(key, value);
                Assert.Equal(value, await client.GetAsync(key));
                foreach (var node in raw)
                {
                    var got = await node.GetAsync(key);
                    Assert.Equal(StatusCode.Ok, got.Status);
                    Assert.Equal(value, got.Value);
                }
                // Straight to the owner: the key is stored there and nowhere else.
                Assert.True(cluster[client.OwnerOf(key)].Store.Count > 0);
            }
            Assert.Equal(3, owners.Count);
            Assert.Equal(60, cluster.RunningNodes.Sum(n => n.Store.Count));

            Assert.Null(await client.GetAsync(Key(999_999)));
            Assert.True(await client.DeleteAsync(Key(3)));
            Assert.False(await client.DeleteAsync(Key(3)));
            Assert.Null(await client.GetAsync(Key(3)));
            Assert.Equal(StatusCode.NotFound, (await raw[2].GetAsync(Key(3))).Status);

            await client.PutAsync("greeting", "héllo");
            Assert.Equal("héllo", await client.GetStringAsync("greeting"));
            Assert.False(await client.PutIfAbsentAsync("greeting", "other"));
            Assert.Equal("héllo", await client.GetStringAsync("greeting"));
        }
        finally
        {
            foreach (var node in raw)
                node.Dispose();
        }
    }

    [Fact]
    public async Task PutIfAbsent_raced_by_many_concurrent_calls_stores_each_key_exactly_once()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var first = await DhtClient.ConnectAsync(OptionsFor(cluster, 0));
        await using var second = await DhtClient.ConnectAsync(OptionsFor(cluster, 2));
        const int keys = 100;
        const int racersPerKey = 8;
        var wins = new int[keys];
        var calls = new List<Task>();
        for (var r = 0; r < racersPerKey; r++)
        {
            var client = r % 2 == 0 ? first : second;
            var racer = r;
            calls.Add(Task.Run(async () =>
            {
                // All calls of a racer are in flight at once: they share the client's connections, pipelined.
                var mine = new Task<bool>[keys];
                for (var k = 0; k < keys; k++)
                    mine[k] = client.PutIfAbsentAsync(Key((k + racer) % keys), Encoding.UTF8.GetBytes($"racer {racer}")).AsTask();
                for (var k = 0; k < keys; k++)
                {
                    if (await mine[k])
                        Interlocked.Increment(ref wins[(k + racer) % keys]);
                }
            }));
        }
        await Task.WhenAll(calls).WithinAsync("the racing PutIfAbsent calls");

        Assert.All(wins, w => Assert.Equal(1, w));
        for (var k = 0; k < keys; k++)
            Assert.StartsWith("racer ", Encoding.UTF8.GetString((await first.GetAsync(Key(k)))!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SocketEngineKind.Runtime)]
    [InlineData(SocketEngineKind.Epoll)]
    public async Task A_stopped_node_fails_its_keys_with_NodeUnavailable_naming_it_while_other_nodes_keep_working(SocketEngineKind engine)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var options = OptionsFor(cluster, 0);
        options.SocketEngine = engine;
        await using var client = await DhtClient.ConnectAsync(options);
        var byOwner = new Dictionary<ushort, byte[]>();
        for (var k = 0; byOwner.Count < 3; k++)
            byOwner.TryAdd(client.OwnerOf(Key(k)), Key(k));
        foreach (var (_, key) in byOwner)
            await client.PutAsync(key, "before"u8.ToArray()); // opens a connection to every node

        await cluster.StopNodeAsync(2);

        // Twice: once on the connection that just died, once on a fresh dial that is refused.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var e = await Assert.ThrowsAsync<DhtNodeUnavailableException>(() =>
                client.GetAsync(byOwner[2]).AsTask().WithinAsync("a call to the stopped node", options.RequestTimeout + options.ConnectTimeout));
            Assert.Equal(2, e.NodeId);
            Assert.Equal(cluster.Members.Get(2).Address, e.Address);
            Assert.Contains($"node 2 ({cluster.Members.Get(2).Address})", e.Message, StringComparison.Ordinal);
        }

        foreach (var id in new ushort[] { 0, 1 })
        {
            Assert.Equal("before"u8.ToArray(), await client.GetAsync(byOwner[id]));
            await client.PutAsync(byOwner[id], "after"u8.ToArray());
            Assert.Equal("after"u8.ToArray(), await client.GetAsync(byOwner[id]));
        }
        // A batch: the stopped node's request fails alone, unsent; the other is answered.
        var batch = new DhtBatch(2);
        batch.Get(byOwner[2]);
        batch.Get(byOwner[0]);
        await client.ExecuteAsync(batch).AsTask().WithinAsync("a batch with a request for the stopped node");
        Assert.Equal(StatusCode.NodeUnavailable, batch[0].Status);
        Assert.Equal("after"u8.ToArray(), batch[1].Value);

        // The node comes back on its address: a later call reconnects.
        await cluster.StartNodeAsync(2);
        await cluster.WaitForMeshAsync();
        await client.PutAsync(byOwner[2], "back"u8.ToArray());
        Assert.Equal("back"u8.ToArray(), await client.GetAsync(byOwner[2]));
        Assert.Equal(engine == SocketEngineKind.Epoll && EpollSocketEngine.IsSupported ? 3 : 0, client.ConnectionEngines.OnEpoll);
    }

    [Fact]
    public async Task Many_threads_share_one_client()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(OptionsFor(cluster, 1));
        const int threads = 8;
        const int perThread = 300;
        var workers = Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < perThread; i++)
            {
                var key = Encoding.UTF8.GetBytes($"t{t}:k{i}");
                var value = Encoding.UTF8.GetBytes($"value {t}/{i}");
                await client.PutAsync(key, value);
                Assert.Equal(value, await client.GetAsync(key));
                if (i % 3 == 0)
                    Assert.True(await client.DeleteAsync(key));
            }
        })).ToArray();
        await Task.WhenAll(workers).WithinAsync("the worker threads");

        Assert.Equal(threads * (perThread - ((perThread + 2) / 3)), cluster.RunningNodes.Sum(n => n.Store.Count));
    }

    [Fact]
    public async Task Cluster_info_lists_every_member_and_the_slot_ranges()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(OptionsFor(cluster, 2));
        var view = await client.GetClusterInfoAsync();
        Assert.Equal(3, view.Members.Count);
        Assert.All(view.Members, m => Assert.True(m.IsUp));
        Assert.Equal(cluster.Members.Members.Select(m => m.Address), view.Members.Select(m => m.Address));
        Assert.Equal(Enumerable.Range(0, 3).Select(i => SlotRange.ForMember(i, 3, (ushort)i)), view.Ranges);
        Assert.Equal(cluster[0].ClusterState.Epoch, view.Epoch);
        for (ushort id = 0; id < 3; id++)
            Assert.True(await client.PingAsync(id) >= TimeSpan.Zero);
    }

    [Fact]
    public async Task A_client_of_another_cluster_is_refused_with_a_clear_error()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var options = OptionsFor(cluster);
        options.ClusterName = "elsewhere";
        var e = await Assert.ThrowsAnyAsync<DhtException>(() => DhtClient.ConnectAsync(options).WithinAsync("the refused connect"));
        Assert.Contains("elsewhere", e.Message, StringComparison.Ordinal);
        Assert.Contains(cluster.Members.Get(0).Address, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SocketEngineKind.Runtime)]
    [InlineData(SocketEngineKind.Epoll)]
    public async Task Unreachable_seeds_fail_naming_each_and_a_later_seed_is_used(SocketEngineKind engine)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var closed = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: connects are refused
        var dead = closed.LocalEndPoint!.ToString()!;

        var options = new DhtClientOptions { ClusterName = "test", SocketEngine = engine };
        options.Seeds.Add(dead);
        var e = await Assert.ThrowsAsync<DhtNodeUnavailableException>(() => DhtClient.ConnectAsync(options).WithinAsync("the failing connect"));
        Assert.Contains(dead, e.Message, StringComparison.Ordinal);

        options.Seeds.Add(cluster.Members.Get(0).Address);
        await using var client = await DhtClient.ConnectAsync(options).WithinAsync("the connect through the second seed");
        await client.PutAsync("k", "v");
        Assert.Equal("v", await client.GetStringAsync("k"));
    }

    [Fact]
    public async Task A_node_that_never_answers_times_out_instead_of_hanging()
    {
        // A listener that accepts and reads but never answers: the Hello must fail by the request timeout.
        await using var silent = SocketListener.Start(new IPEndPoint(IPAddress.Loopback, 0), static async connection =>
        {
            await using (connection)
            {
                while (true)
                {
                    var read = await connection.Input.ReadAsync();
                    connection.Input.AdvanceTo(read.Buffer.End);
                    if (read.IsCompleted)
                        break;
                }
            }
        });
        var options = new DhtClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300), SweepInterval = TimeSpan.FromMilliseconds(20) };
        options.Seeds.Add(silent.LocalEndPoint.ToString());
        var e = await Assert.ThrowsAsync<DhtTimeoutException>(() => DhtClient.ConnectAsync(options).WithinAsync("the silent handshake"));
        Assert.Equal(options.RequestTimeout, e.Timeout);
        Assert.Contains(silent.LocalEndPoint.ToString(), e.Message, StringComparison.Ordinal);
        // Said once: "did not answer within 300 ms", not followed by the sweeper's own "no answer within 300 ms".
        Assert.EndsWith("did not answer within 300 ms", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_too_large_for_the_node_is_refused_before_sending_and_the_connection_stays_usable()
    {
        await using var cluster = await TestCluster.StartAsync(1, o => o.Limits = new ProtocolLimits { MaxFrameSize = 8192 });
        await using var client = await DhtClient.ConnectAsync(OptionsFor(cluster));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.PutAsync("big"u8.ToArray(), new byte[8192]).AsTask());
        Assert.Contains("8192", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetAsync(ReadOnlyMemory<byte>.Empty).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetAsync(new byte[70_000]).AsTask());

        // Just under the limit: 8 header + 2 + 3 (key) + 4 + value = 8192.
        await client.PutAsync("big"u8.ToArray(), new byte[8192 - 17]);
        Assert.Equal(8192 - 17, (await client.GetAsync("big"u8.ToArray()))!.Length);
    }

    [Fact]
    public async Task Answers_spanning_many_receive_segments_and_small_ones_pipelined_between_them_reach_their_callers_whole()
    {
        // A 300 KB answer spans many receives and pipe segments, and the small answers pipelined around it share
        // receives with its first and last bytes: each must reach its own caller, whole.
        await using var cluster = await TestCluster.StartAsync(1);
        await using var client = await DhtClient.ConnectAsync(OptionsFor(cluster));
        var big = new byte[300_000];
        new Random(7).NextBytes(big);
        await client.PutAsync("big"u8.ToArray(), big);
        for (var k = 0; k < 64; k++)
            await client.PutAsync(Key(k), Encoding.UTF8.GetBytes($"value {k}"));

        var bigReads = new Task<byte[]?>[4];
        var smallReads = new Task<byte[]?>[64];
        for (var k = 0; k < smallReads.Length; k++)
        {
            if (k % 16 == 0)
                bigReads[k / 16] = client.GetAsync("big"u8.ToArray()).AsTask();
            smallReads[k] = client.GetAsync(Key(k)).AsTask();
        }
        await Task.WhenAll(bigReads).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(smallReads).WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var read in bigReads)
            Assert.Equal(big, await read);
        for (var k = 0; k < smallReads.Length; k++)
            Assert.Equal(Encoding.UTF8.GetBytes($"value {k}"), await smallReads[k]);
    }

    [Fact]
    public async Task A_cancelled_call_throws_OperationCanceled_and_a_disposed_client_refuses_calls()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var client = await DhtClient.ConnectAsync(OptionsFor(cluster));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("k"u8.ToArray(), cancelled.Token).AsTask());

        using var live = new CancellationTokenSource();
        await client.PutAsync("k"u8.ToArray(), "v"u8.ToArray(), live.Token); // a cancellable call that completes normally
        Assert.Equal("v"u8.ToArray(), await client.GetAsync("k"u8.ToArray(), live.Token));

        await client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetAsync("k"u8.ToArray()).AsTask());
    }
}
