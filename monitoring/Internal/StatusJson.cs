using System.Text.Json;
using FastDht.Engine.Node;

namespace FastDht.Monitoring.Internal;

/// <summary>The endpoint's JSON answers: the cluster as the node sees it, and its recent load.</summary>
/// <remarks>Written with <see cref="Utf8JsonWriter"/> field by field: the shape is the documented one (docs/monitoring.md), not whatever a serializer makes of the engine's types.</remarks>
internal static class StatusJson
{
    /// <summary><c>/cluster</c>: this node, the epoch, every member with its state and primary slot ranges, and the slot table.</summary>
    public static byte[] Cluster(DhtNode node)
    {
        var state = node.ClusterState;
        var peers = node.GetPeers();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("node", node.NodeId);
            json.WriteString("cluster", node.ClusterName);
            json.WriteNumber("epoch", state.Epoch);
            json.WriteString("state", node.IsServing ? "serving" : "not serving");
            if (node.RaftLeader is { } leader)
                json.WriteNumber("raftLeader", leader);
            else
                json.WriteNull("raftLeader");
            if (node.RaftVoters is { } voters)
            {
                json.WriteStartArray("raftVoters");
                foreach (var voter in voters)
                    json.WriteNumberValue(voter);
                json.WriteEndArray();
            }
            else
            {
                json.WriteNull("raftVoters");
            }
            json.WriteNumber("slotCount", Engine.Cluster.SlotTable.SlotCount);
            json.WriteStartArray("members");
            foreach (var p in peers)
            {
                json.WriteStartObject();
                json.WriteNumber("id", p.NodeId);
                json.WriteString("address", p.Address);
                json.WriteString("state", p.State.ToString().ToLowerInvariant());
                json.WriteBoolean("self", p.IsSelf);
                json.WriteNumber("primarySlots", CountPrimarySlots(state, p.NodeId));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("slots");
            var ranges = state.Slots.Ranges;
            var assignments = state.Slots.RangeAssignments;
            for (var i = 0; i < ranges.Count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("first", ranges[i].FirstSlot);
                json.WriteNumber("last", ranges[i].LastSlot);
                json.WriteNumber("primary", assignments[i].Primary);
                json.WriteStartArray("replicas");
                foreach (var r in assignments[i].Replicas)
                    json.WriteNumberValue(r);
                json.WriteEndArray();
                json.WriteStartArray("inSync");
                foreach (var r in assignments[i].InSync)
                    json.WriteNumberValue(r);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary><c>/history</c>: one sample per interval, oldest first, for the page's charts.</summary>
    public static byte[] History(DhtNode node)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("intervalSeconds", Engine.Diagnostics.NodeMetrics.SampleInterval.TotalSeconds);
            json.WriteNumber("operations", node.Metrics.TotalOperations());
            json.WriteStartArray("samples");
            foreach (var s in node.Metrics.History)
            {
                json.WriteStartObject();
                json.WriteString("at", s.At);
                json.WriteNumber("opsPerSecond", Math.Round(s.OperationsPerSecond, 1));
                json.WriteNumber("p50Ms", s.P50Milliseconds);
                json.WriteNumber("p99Ms", s.P99Milliseconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static int CountPrimarySlots(Engine.Cluster.ClusterState state, ushort nodeId)
    {
        var count = 0;
        var ranges = state.Slots.Ranges;
        var assignments = state.Slots.RangeAssignments;
        for (var i = 0; i < ranges.Count; i++)
        {
            if (assignments[i].Primary == nodeId)
                count += ranges[i].Count;
        }
        return count;
    }
}
