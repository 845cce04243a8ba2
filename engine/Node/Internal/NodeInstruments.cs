using System.Diagnostics.Metrics;
using FastDht.Locking;

namespace FastDht.Engine.Node.Internal;

/// <summary>
/// Adds the node's other counters to its Meter as observable instruments: connections, bytes, keys, lock waits and
/// aborts, log and replication lag. Each is read from the part that keeps it when a listener asks; nothing here runs
/// on the request path.
/// </summary>
internal static class NodeInstruments
{
    private static readonly LockAbortReason[] Reasons = Enum.GetValues<LockAbortReason>();

    public static void Register(NodeParts node)
    {
        var meter = node.Metrics.Meter;
        var statistics = node.Statistics;
        var transport = node.ConnectionOptions.Counters;
        var locks = node.Locks;
        var strategy = locks.Strategy.Name;

        meter.CreateObservableUpDownCounter("fastdht.connections", () => new Measurement<long>(statistics.ConnectedClients, new KeyValuePair<string, object?>("kind", "client")), "{connection}", "Client connections open now (native and RESP).");
        meter.CreateObservableCounter("fastdht.connections.accepted", () => statistics.ConnectionsReceived, "{connection}", "Client connections accepted since start.");
        meter.CreateObservableCounter("fastdht.connections.output_limit_closed", () => transport.OutputLimitDisconnections, "{connection}", "Client connections closed for leaving more unread replies than the client output limit allows.");
        if (node.ConnectionOptions.ClientBudget is { } budget)
        {
            meter.CreateObservableCounter("fastdht.connections.evicted", () => budget.EvictedClients, "{connection}", "Client connections closed because all clients' buffers together passed the client memory budget (maxMemoryClients).");
            meter.CreateObservableCounter("fastdht.connections.unfinished_command_closed", () => budget.UnfinishedCommandClosures, "{connection}", "Client connections closed for holding part of a command longer than clientQueryTimeout.");
            meter.CreateObservableGauge("fastdht.connections.client_buffers", () => budget.RecentTotal, "By", "What all client connections' input and output buffers hold together (as of the last sweep, every 100 ms).");
        }
        meter.CreateObservableUpDownCounter("fastdht.peers.up", () => PeersUp(node), "{node}", "Other members this node has a live link to.");
        meter.CreateObservableCounter("fastdht.transport.bytes", () => Bytes(transport), "By", "Bytes read from and written to this node's sockets (clients and peers; the plain text under TLS).");
        meter.CreateObservableCounter("fastdht.keyspace.reads", () => Reads(statistics), "{read}", "Keyspace reads that found their key (hit) or not (miss), over every protocol.");
        meter.CreateObservableUpDownCounter("fastdht.keys", () => node.Store.Count, "{key}", "Keys held by this node.");
        meter.CreateObservableCounter("fastdht.lock.waits", () => new Measurement<long>(locks.Counters.Waits, new KeyValuePair<string, object?>("strategy", strategy)), "{wait}", "Lock requests that found their key taken and waited.");
        meter.CreateObservableCounter("fastdht.lock.aborts", () => Aborts(locks.Counters, strategy), "{abort}", "Lock requests aborted, by strategy and reason.");
        meter.CreateObservableGauge("fastdht.log.lag", () => LogLag(node), "By", "Bytes appended to the write-ahead log and not yet durable (absent without a data directory).");
        meter.CreateObservableGauge("fastdht.replication.lag", () => ReplicationLag(node), "By", "Bytes of changes streamed to the replicas and not yet acknowledged by every in-sync replica (absent without replicas).");
    }

    private static long PeersUp(NodeParts node)
    {
        long up = 0;
        foreach (var m in node.Cluster.Current.Members.Members)
        {
            if (m.NodeId != node.SelfId && node.Mesh.StateOf(m.NodeId) != Protocol.MemberState.Down)
                up++;
        }
        return up;
    }

    private static Measurement<long>[] Bytes(Transport.TransportCounters counters) =>
    [
        new(counters.BytesReceived, new KeyValuePair<string, object?>("direction", "in")),
        new(counters.BytesSent, new KeyValuePair<string, object?>("direction", "out")),
    ];

    private static Measurement<long>[] Reads(Plugins.NodeStatistics statistics) =>
    [
        new(statistics.KeyspaceHits, new KeyValuePair<string, object?>("result", "hit")),
        new(statistics.KeyspaceMisses, new KeyValuePair<string, object?>("result", "miss")),
    ];

    private static List<Measurement<long>> Aborts(LockCounters counters, string strategy)
    {
        var list = new List<Measurement<long>>();
        foreach (var reason in Reasons)
        {
            var n = counters.Aborts(reason);
            if (n != 0)
                list.Add(new Measurement<long>(n, new KeyValuePair<string, object?>("strategy", strategy), new KeyValuePair<string, object?>("reason", reason.ToString().ToLowerInvariant())));
        }
        return list;
    }

    private static Measurement<long>[] LogLag(NodeParts node) =>
        node.Keyspace.Log is { } log ? [new(Math.Max(0, log.AppendedPosition - log.DurablePosition))] : [];

    private static Measurement<long>[] ReplicationLag(NodeParts node) =>
        node.Replicator is { } replicator ? [new(Math.Max(0, replicator.Stream.AppendedPosition - replicator.Stream.AcknowledgedPosition))] : [];
}
