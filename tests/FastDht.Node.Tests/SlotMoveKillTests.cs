using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests;

/// <summary>
/// A real fastdht-node process SIGKILLed in the middle of a slot move that an operator started with
/// <c>fastdht cluster move-slots</c> (issue 12; the outcomes are docs/elasticity.md's "A node that dies mid-move"):
/// node 0's whole range moves to node 2, throttled so the copy is still running when node 0 (the source) or node 2
/// (the target) is killed once the target holds keys of it. Writers keep writing the range throughout; the killed
/// node is started again, the cluster settles, and then every key must hold what the checker allows: its last
/// acknowledged value, or a later one whose write failed (it may have been applied).
/// </summary>
public sealed class SlotMoveKillTests : IDisposable
{
    private const int KeyCount = 3000;
    private const int Writers = 4;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "fastdht-movekill-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public void Dispose()
    {
        _http.Dispose();
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// With one replica (and so a Raft group) and memory only, or without replicas and with a data directory: no
    /// acknowledged write is lost. A killed target makes the move fail and be undone (the source serves the slots
    /// throughout); a killed source's replica is promoted, or without replicas the source comes back from its disk and
    /// clears the "moving" mark itself. Either way the target keeps none of the keys of the step that was cut, and the
    /// slots move again afterwards (to a third node, which a leftover mark would refuse). A kill that comes after one of
    /// the shell's steps handed over (it moves at most 1024 slots a step) leaves that step's slots moved: with a replica
    /// they have an in-sync one from the handover on, so nothing of them is lost either (docs/elasticity.md,
    /// "Durability and replicas").
    /// </summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 2)]
    [InlineData(0, 0)]
    [InlineData(0, 2)]
    public async Task A_node_killed_mid_move_loses_no_acknowledged_write_and_the_slots_move_again(int replicas, int killed)
    {
        string[] durability = replicas > 0
            ? ["--replicas", "1", "--replica-timeout", "30s", "--failover-timeout", "1500ms"]
            : ["--data-dir", Path.Combine(_root, "node{node}"), "--fsync", "always"];
        await using var cluster = await StartAsync(durability);
        if (replicas > 0)
            await WaitUntilAllInSyncAsync(cluster);
        await using var client = await ConnectAsync(cluster);
        var keys = KeysOfRange(cluster, 0);
        var range = SlotTable.CreateDefault(cluster.Members).Ranges[0];
        var possible = await LoadAsync(client, keys);

        using var stop = new CancellationTokenSource();
        var acknowledged = new StrongBox<int>();
        var writers = StartWriters(client, keys, possible, acknowledged, stop.Token);
        await GrowsAsync(acknowledged, 50, "writes before the move");

        await using var move = StartShell(cluster, 0, "cluster", "move-slots", $"{range.FirstSlot}-{range.LastSlot}", "2");
        await Bounded.UntilAsync(async () => await KeysAtAsync(cluster, 2) > 0, "the target to hold keys of the moving range");
        Assert.False(move.HasExited, $"the move ended before the kill: the copy was not throttled enough{Environment.NewLine}{move.Describe()}");
        await cluster.KillAsync(killed);

        // The operator's command reports the failure (the slots stayed where they were).
        Assert.NotEqual(0, await move.WaitForExitAsync());
        if (killed == 2)
        {
            Assert.True(move.Stderr.Any(l => l.Contains("stay at node 0", StringComparison.Ordinal)), move.Describe());
            await GrowsAsync(acknowledged, 100, "writes to the slots to go on at the source while the target is down");
        }
        else if (replicas > 0)
        {
            await GrowsAsync(acknowledged, 100, "writes to the slots to go on at the promoted replica");
        }

        var restarted = await cluster.RestartAsync(killed, $"Node {killed} of cluster");
        foreach (var peer in cluster.Members.Members)
        {
            if (peer.NodeId != killed)
                await restarted.WaitForLineAsync($"Peer {peer.NodeId} ({peer.Address}) is up");
        }
        if (replicas > 0)
            await WaitUntilAllInSyncAsync(cluster);
        else if (killed == 0)
            await restarted.WaitForLineAsync("cleared slots"); // the restarted source's own clearing of the stale mark
        // The target holds none of the keys of the step that was cut: it dropped its partial copy (or lost it with its
        // process). It holds those of a step of the shell's that handed over before the kill (slots 0-1023 first): it
        // serves them, or copies them from the replica promoted in its place. Nothing else is written to node 2's slots,
        // and with a replica it copies node 1's empty range only.
        await Bounded.UntilAsync(async () => await KeysAtAsync(cluster, 2) == await HandedOverAsync(client, keys, killed),
            "the target to hold none of the keys it received but those of the steps that handed over");
        await GrowsAsync(acknowledged, 100, "writes to the slots to go on after the restart");

        // A leftover mark ("moving to node 2") would refuse a move to any other node.
        var owner = await OwnerAsync(client, keys[0]);
        var next = owner == 0 ? 1 : 2;
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(keys[0]));
        await MoveAgainAsync(cluster, owner, slot, next);

        await stop.CancelAsync();
        await writers.WithinAsync("the writers to stop");
        await ReadBackAsync(cluster, keys, possible);
    }

    /// <summary>
    /// Without replicas and without a data directory the source's keys live only in its memory: killed mid-move, they
    /// are gone, as for any such node (docs/elasticity.md). What must still hold: the restarted source serves its slots
    /// again (empty), nothing is left marked moving, and the keys the target had received are never served.
    /// </summary>
    [Fact]
    public async Task A_source_killed_mid_move_without_replicas_or_disk_comes_back_empty_and_the_partial_copy_is_never_served()
    {
        await using var cluster = await StartAsync([]);
        await using var client = await ConnectAsync(cluster);
        var keys = KeysOfRange(cluster, 0);
        var range = SlotTable.CreateDefault(cluster.Members).Ranges[0];
        await LoadAsync(client, keys);

        await using var move = StartShell(cluster, 0, "cluster", "move-slots", $"{range.FirstSlot}-{range.LastSlot}", "2");
        await Bounded.UntilAsync(async () => await KeysAtAsync(cluster, 2) > 0, "the target to hold keys of the moving range");
        Assert.False(move.HasExited, move.Describe());
        await cluster.KillAsync(0);
        Assert.NotEqual(0, await move.WaitForExitAsync());

        var restarted = await cluster.RestartAsync(0, "Node 0 of cluster");
        await restarted.WaitForLineAsync("cleared slots");
        await Bounded.UntilAsync(async () => await KeysAtAsync(cluster, 2) == 0, "the target to drop the keys it received");

        await using var fresh = await ConnectAsync(cluster);
        foreach (var key in keys)
            Assert.Null(await RetryingCalls.GetAsync(fresh, key, RetryingCalls.AnyRefusal));
        await RetryingCalls.PutAsync(fresh, keys[0], "after", RetryingCalls.AnyRefusal);
        Assert.Equal("after", await RetryingCalls.GetAsync(fresh, keys[0], RetryingCalls.AnyRefusal));
        Assert.Equal(0, await OwnerAsync(fresh, keys[0]));
        await MoveAgainAsync(cluster, 0, KeySlot.Of(Encoding.UTF8.GetBytes(keys[0])), 1);
        Assert.Equal("after", await RetryingCalls.GetAsync(fresh, keys[0], RetryingCalls.AnyRefusal));
    }

    /// <summary>Three nodes with a status endpoint each, copying moved slots at 256 KiB/s (a 3 MB range takes seconds).</summary>
    private static Task<ProcessCluster> StartAsync(string[] durability) =>
        ProcessCluster.StartAsync(3, ["--http", "127.0.0.1:{http}", "--slot-move-rate", "262144", .. durability]);

    private static Task<DhtClient> ConnectAsync(ProcessCluster cluster)
    {
        var options = new DhtClientOptions { ClusterName = ProcessCluster.ClusterName, RequestTimeout = TimeSpan.FromSeconds(2) };
        foreach (var m in cluster.Members.Members)
            options.Seeds.Add(m.Address.ToString());
        return DhtClient.ConnectAsync(options);
    }

    private static string[] KeysOfRange(ProcessCluster cluster, ushort owner)
    {
        var table = SlotTable.CreateDefault(cluster.Members);
        var keys = new List<string>(KeyCount);
        for (var i = 0; keys.Count < KeyCount; i++)
        {
            var key = "m" + i.ToString(CultureInfo.InvariantCulture);
            if (table.OwnerOf(KeySlot.Of(Encoding.UTF8.GetBytes(key))) == owner)
                keys.Add(key);
        }
        return [.. keys];
    }

    /// <summary>Writes a 1000-byte value to every key (3 MB for the copy to send); returns what each key may hold.</summary>
    private static async Task<Dictionary<string, List<string>>> LoadAsync(DhtClient client, string[] keys)
    {
        var initial = new string('i', 1000);
        var loaders = new Task[8];
        for (var l = 0; l < loaders.Length; l++)
        {
            var first = l;
            loaders[l] = Task.Run(async () =>
            {
                for (var i = first; i < keys.Length; i += loaders.Length)
                    await RetryingCalls.PutAsync(client, keys[i], initial, RetryingCalls.AnyRefusal);
            });
        }
        await Task.WhenAll(loaders).WithinAsync("the keys to be loaded", TimeSpan.FromMinutes(1));
        var possible = new Dictionary<string, List<string>>(keys.Length);
        foreach (var key in keys)
            possible[key] = [initial];
        return possible;
    }

    /// <summary>
    /// <see cref="Writers"/> writers, each over its own share of the keys (so a key's possible values need no lock):
    /// before each write its value is added to what the key may hold; once acknowledged, it is all the key may hold.
    /// Short values and a pause keep the writes' bytes below the copy's, so the throttle holds.
    /// </summary>
    private static Task StartWriters(DhtClient client, string[] keys, Dictionary<string, List<string>> possible, StrongBox<int> acknowledged, CancellationToken stop)
    {
        var writers = new Task[Writers];
        for (var w = 0; w < Writers; w++)
        {
            var writer = w;
            writers[w] = Task.Run(async () =>
            {
                for (var n = 1; !stop.IsCancellationRequested; n++)
                {
                    var key = keys[(n * Writers + writer) % keys.Length];
                    var value = string.Create(CultureInfo.InvariantCulture, $"w{writer}-{n}");
                    var values = possible[key];
                    values.Add(value);
                    try
                    {
                        await client.PutAsync(key, value);
                        values.Clear();
                        values.Add(value);
                        Interlocked.Increment(ref acknowledged.Value);
                    }
                    catch (DhtException)
                    {
                        // Unavailable while the slots' owner is down (until a replica is promoted or it comes back):
                        // the write may or may not have been applied, so its value stays possible.
                    }
                    await Task.Delay(2);
                }
            });
        }
        return Task.WhenAll(writers);
    }

    private static async Task ReadBackAsync(ProcessCluster cluster, string[] keys, Dictionary<string, List<string>> possible)
    {
        await using var fresh = await ConnectAsync(cluster);
        foreach (var key in keys)
        {
            var read = await RetryingCalls.GetAsync(fresh, key, RetryingCalls.AnyRefusal);
            Assert.True(read is not null && possible[key].Contains(read), $"{key} (slot {KeySlot.Of(Encoding.UTF8.GetBytes(key))}) reads {Shorten(read)}, not one of {string.Join(", ", possible[key].Select(Shorten))}{Environment.NewLine}{Describe(cluster)}");
        }
    }

    /// <summary>What each node logged about slots, replicas and the Raft group, for a failure message.</summary>
    private static string Describe(ProcessCluster cluster)
    {
        var text = new StringBuilder();
        for (var i = 0; i < cluster.Members.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"--- node {i}:{Environment.NewLine}");
            foreach (var line in cluster[i].Stdout)
            {
                if (!line.Contains("Peer ", StringComparison.Ordinal) && !line.Contains("Listening", StringComparison.Ordinal))
                    text.AppendLine(line);
            }
        }
        return text.ToString();
    }

    private static string Shorten(string? value) => value is null ? "nothing" : value.Length > 20 ? value[..8] + $"...({value.Length} chars)" : value;

    /// <summary>The owner of <paramref name="key"/>'s slot in a freshly fetched cluster view.</summary>
    private static async Task<int> OwnerAsync(DhtClient client, string key)
    {
        await client.GetClusterInfoAsync();
        return client.OwnerOf(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>
    /// How many of <paramref name="keys"/> (node 0's range) are in slots a step of the move handed over to node 2 before
    /// the kill: owned by node 2, or, when node 2 was the one killed, by the replica promoted in its place.
    /// </summary>
    private static async Task<long> HandedOverAsync(DhtClient client, string[] keys, int killed)
    {
        await client.GetClusterInfoAsync();
        var count = 0L;
        foreach (var key in keys)
        {
            var owner = client.OwnerOf(Encoding.UTF8.GetBytes(key));
            if (owner == 2 || (killed == 2 && owner != 0))
                count++;
        }
        return count;
    }

    /// <summary>Moves one slot with the shell, retried while refused for a moment (a lease being renewed on a loaded machine).</summary>
    private static async Task MoveAgainAsync(ProcessCluster cluster, int owner, int slot, int target)
    {
        var last = "";
        try
        {
            await Bounded.UntilAsync(
                async () =>
                {
                    await using var shell = StartShell(cluster, owner, "cluster", "move-slots", $"{slot}-{slot}", target.ToString(CultureInfo.InvariantCulture));
                    var code = await shell.WaitForExitAsync();
                    last = shell.Describe();
                    return code == 0;
                },
                $"slot {slot} to move from node {owner} to node {target}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: {last}", e);
        }
    }

    private static ToolProcess StartShell(ProcessCluster cluster, int seed, params string[] command) =>
        ToolProcess.Start(ToolPaths.ShellDll, ["--node", cluster.Members.Get((ushort)seed).Address.ToString(), "--cluster", ProcessCluster.ClusterName, .. command]);

    /// <summary>The keys node <paramref name="node"/> holds (its <c>fastdht_keys</c> gauge), or -1 when its endpoint does not answer.</summary>
    private async Task<long> KeysAtAsync(ProcessCluster cluster, int node)
    {
        string text;
        try
        {
            text = await _http.GetStringAsync(new Uri($"http://{cluster.HttpEndPointOf(node)}/metrics"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return -1;
        }
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("fastdht_keys ", StringComparison.Ordinal) || line.StartsWith("fastdht_keys{", StringComparison.Ordinal))
                return long.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return -1;
    }

    /// <summary>Waits until every running node's /cluster shows every range's replicas in sync.</summary>
    private Task WaitUntilAllInSyncAsync(ProcessCluster cluster) =>
        Bounded.UntilAsync(
            async () =>
            {
                for (var i = 0; i < cluster.Members.Members.Count; i++)
                {
                    if (cluster[i].HasExited)
                        continue;
                    try
                    {
                        using var json = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync(new Uri($"http://{cluster.HttpEndPointOf(i)}/cluster")));
                        foreach (var range in json.RootElement.GetProperty("slots").EnumerateArray())
                        {
                            if (range.GetProperty("inSync").GetArrayLength() != range.GetProperty("replicas").GetArrayLength())
                                return false;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        return false;
                    }
                }
                return true;
            },
            "every replica to be in sync");

    /// <summary>Waits until <paramref name="acknowledged"/> grew by <paramref name="by"/>.</summary>
    private static Task GrowsAsync(StrongBox<int> acknowledged, int by, string what)
    {
        var target = Volatile.Read(ref acknowledged.Value) + by;
        return Bounded.UntilAsync(() => Volatile.Read(ref acknowledged.Value) >= target, what);
    }
}
