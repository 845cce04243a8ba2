using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>
/// The coordinator of in-flight MultiPuts freezes or stops between prepare and commit (links held by proxies, the
/// peer timeout shortened): no 4-key group is ever left torn, whatever each MultiPut answered.
/// </summary>
public sealed class CoordinatorFailureTests
{
    private const int Groups = 6;
    private const int Writers = 8;

    private static Task<TestCluster> StartAsync() => TestCluster.StartAsync(3, o =>
    {
        o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        o.PeerTimeout = TimeSpan.FromMilliseconds(600);
        o.ForwardTimeout = TimeSpan.FromMilliseconds(1500);
        o.TxnTimeout = TimeSpan.FromSeconds(5);
    }, proxied: true);

    /// <summary>Groups of 4 keys, the i-th owned by <c>owners[i % owners.Length]</c>.</summary>
    private static byte[][][] MakeGroups(TestCluster cluster, int[] owners)
    {
        var groups = new byte[Groups][][];
        var next = 0;
        for (var g = 0; g < Groups; g++)
        {
            groups[g] = new byte[4][];
            for (var i = 0; i < 4; i++)
            {
                byte[] key;
                do
                    key = Encoding.UTF8.GetBytes($"g{g}:{next++}");
                while (cluster.OwnerOf(key) != owners[i % owners.Length]);
                groups[g][i] = key;
            }
        }
        return groups;
    }

    /// <summary>MultiPuts through node 0, each writing one value ("writer:seq") to every key of a random group, until stopped.</summary>
    private sealed class Load(TestCluster cluster, byte[][][] groups)
    {
        private readonly CancellationTokenSource _stop = new();
        private Task[] _writers = [];
        private int _answered;

        public int Answered => Volatile.Read(ref _answered);

        public void Start() => _writers = Enumerable.Range(0, Writers).Select(WriteAsync).ToArray();

        /// <summary>No writer starts another MultiPut; those in flight run on.</summary>
        public void StopIssuing() => _stop.Cancel();

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_writers).WithinAsync("the writers to stop");
        }

        private async Task WriteAsync(int w)
        {
            var random = new Random(w);
            for (var seq = 0; !_stop.IsCancellationRequested; seq++)
            {
                try
                {
                    using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
                    for (; !_stop.IsCancellationRequested; seq++)
                    {
                        await client.MultiPutAsync(groups[random.Next(groups.Length)], Encoding.UTF8.GetBytes($"w{w}:{seq}"));
                        Interlocked.Increment(ref _answered);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException)
                {
                    // Node 0 stopped (the second test) or is restarting: connect again until stopped.
                    try
                    {
                        await Task.Delay(20, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }
        }
    }

    private static async Task WaitForProgressAsync(Load load, int more)
    {
        var target = load.Answered + more;
        await Bounded.UntilAsync(() => load.Answered >= target, $"{more} more MultiPuts answered");
    }

    /// <summary>Waits until no node has a prepared attempt left, then checks every group holds one writer's value on every key.</summary>
    private static async Task AssertNoGroupTornAsync(TestCluster cluster, byte[][][] groups, int[] owners)
    {
        await Bounded.UntilAsync(() => cluster.RunningNodes.All(n => n.Core.Participant.PreparedCount == 0), "every prepared attempt is decided");
        foreach (var group in groups)
        {
            var values = group.Select(k =>
            {
                var store = cluster[cluster.OwnerOf(k)].Core.Store;
                return store.TryGet(k, out var v) ? Encoding.UTF8.GetString(v.Span) : "(absent)";
            }).ToArray();
            Assert.True(values.Distinct().Count() == 1, $"group torn: {string.Join(", ", values)}");
        }
    }

    [Fact]
    public async Task A_coordinator_frozen_between_prepare_and_commit_never_leaves_a_group_torn()
    {
        await using var cluster = await StartAsync();
        int[] owners = [0, 1, 2];
        var groups = MakeGroups(cluster, owners);
        for (var round = 0; round < 4; round++)
        {
            var load = new Load(cluster, groups);
            load.Start();
            try
            {
                await WaitForProgressAsync(load, 40);
                // The MultiPuts in flight now are the ones the freeze catches; none starts later to overwrite a torn group.
                load.StopIssuing();
                // Node 0 keeps running and answering its clients, but nothing it sends its peers arrives: to them it is
                // frozen (a SIGSTOP as seen from the network) for longer than the peer timeout, so their links drop.
                cluster.StallLink(0, 1, true);
                cluster.StallLink(0, 2, true);
                await Bounded.UntilAsync(() => !cluster[1].Core.Mesh.IsUp(0) && !cluster[2].Core.Mesh.IsUp(0), "nodes 1 and 2 declare node 0 down");
                // Longer than a peer timeout more: participants left prepared ask around and must not decide alone.
                await Task.Delay(800);
                cluster.StallLink(0, 1, false);
                cluster.StallLink(0, 2, false);
                await cluster.WaitForMeshAsync();
            }
            finally
            {
                await load.StopAsync();
            }
            await AssertNoGroupTornAsync(cluster, groups, owners);
        }
    }

    [Fact]
    public async Task A_coordinator_that_stops_between_prepare_and_commit_never_leaves_a_group_torn()
    {
        await using var cluster = await StartAsync();
        int[] owners = [1, 2];
        var groups = MakeGroups(cluster, owners);
        for (var round = 0; round < 3; round++)
        {
            var load = new Load(cluster, groups);
            load.Start();
            try
            {
                await WaitForProgressAsync(load, 40);
                load.StopIssuing();
                // Node 2 stops hearing from node 0 (commits to node 1 still arrive), then node 0 stops for good: whatever
                // node 2 prepared it must settle with node 1 and node 0's next incarnation, never alone.
                cluster.StallLink(0, 2, true);
                await Bounded.UntilAsync(() => !cluster[2].Core.Mesh.IsUp(0), "node 2 declares node 0 down");
                await cluster.StopNodeAsync(0);
                cluster.StallLink(0, 2, false);
                await cluster.StartNodeAsync(0);
                await cluster.WaitForMeshAsync();
            }
            finally
            {
                await load.StopAsync();
            }
            await AssertNoGroupTornAsync(cluster, groups, owners);
        }
    }
}
