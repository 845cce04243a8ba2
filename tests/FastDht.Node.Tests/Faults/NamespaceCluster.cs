using System.Globalization;
using System.Text;
using System.Text.Json;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests.Faults;

/// <summary>
/// A cluster of real fastdht-node processes, each on a host of its own (<see cref="NetworkLab"/>: a network namespace
/// with its own address), with replicas and the Raft group; faults are real: signals to the processes and nftables
/// partitions. Everything (processes, namespaces, bridge) goes on dispose.
/// </summary>
internal sealed class NamespaceCluster : IAsyncDisposable
{
    public const string ClusterName = "fault-test";
    private const int NativePort = 7000;
    private const int HttpPort = 9180;

    private readonly NetworkLab _lab;
    private readonly ToolProcess?[] _nodes;
    private readonly string[][] _args;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private NamespaceCluster(NetworkLab lab, MemberList members, string[][] args)
    {
        _lab = lab;
        Members = members;
        _args = args;
        _nodes = new ToolProcess?[args.Length];
    }

    public MemberList Members { get; }

    public NetworkLab Lab => _lab;

    public int Count => _nodes.Length;

    /// <summary>
    /// Starts <paramref name="count"/> nodes with one replica per range (and <paramref name="more"/> arguments each),
    /// waits for the full mesh, the Raft leader and every replica in sync.
    /// </summary>
    public static async Task<NamespaceCluster> StartAsync(int count, TimeSpan failoverTimeout, TimeSpan electionTimeout, params string[] more)
    {
        var lab = NetworkLab.Create(count);
        var entries = new string[count];
        for (var i = 0; i < count; i++)
            entries[i] = string.Create(CultureInfo.InvariantCulture, $"{i}={lab.Address(i)}:{NativePort}");
        var args = new string[count][];
        for (var i = 0; i < count; i++)
        {
            args[i] =
            [
                "--members", string.Join(',', entries),
                "--node-id", i.ToString(CultureInfo.InvariantCulture),
                "--cluster", ClusterName,
                "--cluster-secret-file", ProcessCluster.SecretFile,
                "--replicas", "1",
                "--failover-timeout", Ms(failoverTimeout),
                "--election-timeout", Ms(electionTimeout),
                "--http", string.Create(CultureInfo.InvariantCulture, $"{lab.Address(i)}:{HttpPort}"),
                "--heartbeat-interval", "200ms",
                "--reconnect-base-delay", "20ms",
                "--reconnect-max-delay", "200ms",
                .. more,
            ];
        }
        var cluster = new NamespaceCluster(lab, MemberList.Parse(entries), args);
        try
        {
            for (var i = 0; i < count; i++)
                cluster._nodes[i] = ToolProcess.Start(lab.Namespace(i), ToolPaths.NodeDll, args[i]);
            for (var i = 0; i < count; i++)
            {
                for (var peer = 0; peer < count; peer++)
                {
                    if (peer != i)
                        await cluster.Node(i).WaitForLineAsync(string.Create(CultureInfo.InvariantCulture, $"Peer {peer} ({entries[peer][2..]}) is up")).ConfigureAwait(false);
                }
            }
            await cluster.WaitUntilAllInSyncAsync().ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Where node <paramref name="index"/> serves clients (its native port, reached over the bridge).</summary>
    public System.Net.IPEndPoint EndPointOf(int index) => new(_lab.Address(index), NativePort);

    public ToolProcess Node(int index) => _nodes[index] ?? throw new InvalidOperationException($"node {index} is not running");

    /// <summary>A smart client seeded with every node, with short timeouts so a dead or frozen node costs little.</summary>
    public Task<DhtClient> ConnectClientAsync()
    {
        var options = new DhtClientOptions
        {
            ClusterName = ClusterName,
            RequestTimeout = TimeSpan.FromSeconds(1),
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
        };
        for (var i = 0; i < Count; i++)
            options.Seeds.Add(string.Create(CultureInfo.InvariantCulture, $"{_lab.Address(i)}:{NativePort}"));
        return DhtClient.ConnectAsync(options);
    }

    /// <summary><paramref name="count"/> keys whose slots belong to the range the default table gives <paramref name="primary"/>.</summary>
    public IReadOnlyList<string> KeysOf(int primary, int count, string prefix)
    {
        var table = SlotTable.CreateDefault(Members);
        var keys = new List<string>();
        for (var i = 0; keys.Count < count; i++)
        {
            var key = prefix + i.ToString(CultureInfo.InvariantCulture);
            if (table.OwnerOf(KeySlot.Of(Encoding.UTF8.GetBytes(key))) == primary)
                keys.Add(key);
        }
        return keys;
    }

    /// <summary>The Raft leader every running voter names in its latest leader line.</summary>
    public async Task<int> WaitForLeaderAsync()
    {
        var leader = -1;
        await Bounded.UntilAsync(() => (leader = AgreedLeader()) >= 0, "the running nodes to agree on a Raft leader").ConfigureAwait(false);
        return leader;
    }

    /// <summary>Sends <paramref name="signal"/> to node <paramref name="index"/>; with SIGKILL, waits until it is gone.</summary>
    public async Task SignalAsync(int index, int signal)
    {
        Node(index).Signal(signal);
        if (signal == Signals.Kill)
            await Node(index).WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Applies <paramref name="fault"/> to node <paramref name="node"/>.</summary>
    public async Task StrikeAsync(Fault fault, int node)
    {
        switch (fault)
        {
            case Fault.Kill:
                await SignalAsync(node, Signals.Kill).ConfigureAwait(false);
                break;
            case Fault.Stop:
                await SignalAsync(node, Signals.Stop).ConfigureAwait(false);
                break;
            case Fault.Partition:
                _lab.Partition([node]);
                break;
            case Fault.Reject:
                _lab.Partition([node], reject: true);
                break;
        }
    }

    /// <summary>Ends <paramref name="fault"/> at node <paramref name="node"/>: a restart, SIGCONT, or the partition healed.</summary>
    public async Task HealAsync(Fault fault, int node)
    {
        switch (fault)
        {
            case Fault.Kill:
                await RestartAsync(node).ConfigureAwait(false);
                break;
            case Fault.Stop:
                await SignalAsync(node, Signals.Continue).ConfigureAwait(false);
                break;
            case Fault.Partition:
            case Fault.Reject:
                _lab.Heal();
                break;
        }
    }

    /// <summary>Starts node <paramref name="index"/> again (after a kill), with its arguments, in its namespace.</summary>
    public async Task RestartAsync(int index)
    {
        var old = Node(index);
        if (!old.HasExited)
            throw new InvalidOperationException($"node {index} is still running");
        await old.DisposeAsync().ConfigureAwait(false);
        _nodes[index] = ToolProcess.Start(_lab.Namespace(index), ToolPaths.NodeDll, _args[index]);
    }

    /// <summary>The primary and in-sync replicas of the range of <paramref name="slotOf"/>'s key, and the epoch, as node <paramref name="askedNode"/> reports on /cluster; null when it does not answer.</summary>
    public async Task<(ulong Epoch, int Primary, int[] InSync)?> RangeAsync(int askedNode, string slotOf)
    {
        var slot = KeySlot.Of(Encoding.UTF8.GetBytes(slotOf));
        var json = await ClusterJsonAsync(askedNode).ConfigureAwait(false);
        if (json is null)
            return null;
        using (json)
        {
            var root = json.RootElement;
            foreach (var range in root.GetProperty("slots").EnumerateArray())
            {
                if (range.GetProperty("first").GetInt32() <= slot && slot <= range.GetProperty("last").GetInt32())
                {
                    var inSync = new List<int>();
                    foreach (var r in range.GetProperty("inSync").EnumerateArray())
                        inSync.Add(r.GetInt32());
                    return (root.GetProperty("epoch").GetUInt64(), range.GetProperty("primary").GetInt32(), [.. inSync]);
                }
            }
        }
        return null;
    }

    /// <summary>The Raft group's voters in the state node <paramref name="askedNode"/> reports on /cluster; null when it does not answer.</summary>
    public async Task<int[]?> VotersAsync(int askedNode)
    {
        using var json = await ClusterJsonAsync(askedNode).ConfigureAwait(false);
        if (json is null)
            return null;
        var voters = new List<int>();
        foreach (var v in json.RootElement.GetProperty("raftVoters").EnumerateArray())
            voters.Add(v.GetInt32());
        return [.. voters];
    }

    /// <summary>Waits until every running node reports a state in which every range's replicas are all in sync.</summary>
    public Task WaitUntilAllInSyncAsync(TimeSpan? timeout = null) =>
        Bounded.UntilAsync(AllInSyncAsync, "every running node to report every replica in sync", timeout);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is null)
                continue;
            try
            {
                if (!node.HasExited)
                    node.Signal(Signals.Continue); // a test may have frozen it
            }
            catch (InvalidOperationException)
            {
                // Exited in between.
            }
            await node.DisposeAsync().ConfigureAwait(false);
        }
        _http.Dispose();
        _lab.Dispose();
    }

    /// <summary>Every node's /cluster answer (when it gives one) and output, for a failure message.</summary>
    public async Task<string> DescribeAsync()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            using var json = await ClusterJsonAsync(i).ConfigureAwait(false);
            var cluster = json is null ? "(no answer)" : JsonSerializer.Serialize(json.RootElement.GetProperty("slots"));
            text.Append(CultureInfo.InvariantCulture, $"--- node {i}: /cluster slots {cluster}{Environment.NewLine}{_nodes[i]?.Describe()}{Environment.NewLine}");
        }
        return text.ToString();
    }

    private async Task<bool> AllInSyncAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            if (_nodes[i] is not { HasExited: false })
                continue;
            using var json = await ClusterJsonAsync(i).ConfigureAwait(false);
            if (json is null)
                return false;
            foreach (var range in json.RootElement.GetProperty("slots").EnumerateArray())
            {
                if (range.GetProperty("inSync").GetArrayLength() != range.GetProperty("replicas").GetArrayLength())
                    return false;
            }
        }
        return true;
    }

    private async Task<JsonDocument?> ClusterJsonAsync(int node)
    {
        try
        {
            var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{_lab.Address(node)}:{HttpPort}/cluster"));
            await using var body = await _http.GetStreamAsync(uri).ConfigureAwait(false);
            return await JsonDocument.ParseAsync(body).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null; // starting, frozen or dead
        }
    }

    private int AgreedLeader()
    {
        const string Marker = "the Raft leader is now ";
        var agreed = -1;
        for (var i = 0; i < Count; i++)
        {
            if (_nodes[i] is not { HasExited: false } node)
                continue;
            var lines = node.Stdout;
            string? last = null;
            for (var l = lines.Length - 1; l >= 0 && last is null; l--)
            {
                var at = lines[l].IndexOf(Marker, StringComparison.Ordinal);
                if (at >= 0)
                    last = lines[l][(at + Marker.Length)..].Trim();
            }
            if (last is null)
                continue; // a learner, or not started yet
            if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var leader) || (agreed >= 0 && agreed != leader))
                return -1;
            agreed = leader;
        }
        return agreed;
    }

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{(long)t.TotalMilliseconds}ms");
}
