using FastDht.Engine.Keyspace.Internal;
using FastDht.Engine.Cluster;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Mesh.Internal;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// A primary's side of replication: the stream every change is appended to, and one <see cref="ReplicaSender"/> per node
/// that replicates any of this node's ranges. Exists only when the node runs with replicas.
/// </summary>
/// <remarks>
/// The replicas to feed are read from the cluster state at start. Until the state is agreed by consensus and changes
/// at run time (docs/replication.md, "Where the code is"), that set does not change; a sender that sees a newer state
/// resynchronizes its replica under it.
/// </remarks>
internal sealed class Replicator
{
    private readonly PeerMesh _mesh;
    private readonly LocalKeyspace _keyspace;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _senders = [];

    public Replicator(PeerMesh mesh, LocalKeyspace keyspace, TimeSpan timeout, ILogger logger)
    {
        _mesh = mesh;
        _keyspace = keyspace;
        _timeout = timeout;
        _logger = logger;
        Stream = new ReplicationStream();
    }

    public ReplicationStream Stream { get; }

    /// <summary>The nodes that copy some range this node is primary of in <paramref name="state"/>.</summary>
    public static List<ushort> ReplicasOf(ClusterState state, ushort self)
    {
        var result = new List<ushort>();
        foreach (var assignment in state.Slots.RangeAssignments)
        {
            if (assignment.Primary != self)
                continue;
            foreach (var replica in assignment.Replicas)
            {
                if (!result.Contains(replica))
                    result.Add(replica);
            }
        }
        return result;
    }

    /// <summary>Starts a sender for each replica of this node's ranges.</summary>
    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
        {
            foreach (var replica in ReplicasOf(_mesh.Cluster.Current, _mesh.Identity.SelfId))
            {
                Stream.AddReplica(replica);
                var sender = new ReplicaSender(_mesh, _keyspace, Stream, replica, _timeout, _logger);
                _senders.Add(Task.Run(() => sender.RunAsync(_stopping.Token)));
            }
        }
    }

    /// <summary>Stops the senders; replies still waiting for replicas are dropped with their connections (their outcome is unknown).</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Stream.Dispose();
        await Task.WhenAll(_senders).ConfigureAwait(false);
    }
}
