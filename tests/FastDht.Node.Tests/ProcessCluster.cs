using System.Globalization;
using System.Net;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Node.Tests;

/// <summary>
/// A cluster of real fastdht-node processes on 127.0.0.1: started on reserved ports, ready once every node has logged
/// every peer up, and every process killed on dispose.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    public const string ClusterName = "process-test";

    private readonly ToolProcess[] _nodes;

    private ProcessCluster(MemberList members, ToolProcess[] nodes)
    {
        Members = members;
        _nodes = nodes;
    }

    public MemberList Members { get; }

    public ToolProcess this[int index] => _nodes[index];

    public IPEndPoint EndPointOf(int index) => new(IPAddress.Loopback, Members.Get((ushort)index).Port);

    /// <summary>
    /// Starts <paramref name="count"/> nodes with fast heartbeats and the extra arguments, and waits for the full mesh.
    /// A port taken by someone else between reservation and bind fails that attempt; one retry on fresh ports.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(int count, params string[] extraArgs)
    {
        for (var attempt = 1; ; attempt++)
        {
            var cluster = Launch(count, extraArgs);
            try
            {
                await cluster.WaitForMeshAsync().ConfigureAwait(false);
                return cluster;
            }
            catch (Exception) when (attempt == 1 && cluster.LostABindRace())
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>A key the default slot table gives to <paramref name="nodeId"/>, so a test can choose who forwards.</summary>
    public byte[] KeyOwnedBy(ushort nodeId, string prefix)
    {
        var table = SlotTable.CreateDefault(Members);
        for (var i = 0; i < 100_000; i++)
        {
            var key = Encoding.UTF8.GetBytes(prefix + i.ToString(CultureInfo.InvariantCulture));
            if (table.OwnerOf(KeySlot.Of(key)) == nodeId)
                return key;
        }
        throw new InvalidOperationException($"no key for node {nodeId} in 100000 tries");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
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
    }

    private static ProcessCluster Launch(int count, string[] extraArgs)
    {
        var ports = FreePorts.Reserve(count);
        var entries = new string[count];
        for (var i = 0; i < count; i++)
            entries[i] = string.Create(CultureInfo.InvariantCulture, $"{i}=127.0.0.1:{ports[i]}");
        var members = MemberList.Parse(entries);
        var nodes = new ToolProcess[count];
        for (var i = 0; i < count; i++)
        {
            string[] args =
            [
                "--members", string.Join(',', entries),
                "--node-id", i.ToString(CultureInfo.InvariantCulture),
                "--cluster", ClusterName,
                "--heartbeat-interval", "200ms",
                "--reconnect-base-delay", "20ms",
                "--reconnect-max-delay", "500ms",
                .. extraArgs,
            ];
            nodes[i] = ToolProcess.Start(ToolPaths.NodeDll, args);
        }
        return new ProcessCluster(members, nodes);
    }

    private async Task WaitForMeshAsync()
    {
        foreach (var m in Members.Members)
        {
            foreach (var peer in Members.Members)
            {
                if (peer.NodeId != m.NodeId)
                    await _nodes[m.NodeId].WaitForLineAsync($"Peer {peer.NodeId} ({peer.Address}) is up").ConfigureAwait(false);
            }
        }
    }

    private bool LostABindRace()
    {
        foreach (var node in _nodes)
        {
            foreach (var line in node.Stderr)
            {
                if (line.Contains("already in use", StringComparison.Ordinal))
                    return true;
            }
        }
        return false;
    }
}
