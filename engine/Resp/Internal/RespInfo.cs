using System.Buffers;
using System.Globalization;
using System.Text;
using FastDht.Engine.Node.Internal;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>INFO: the server, clients, stats, keyspace and cluster sections Redis clients read, with this node's real figures.</summary>
internal static class RespInfo
{
    private static readonly string RunId = Guid.NewGuid().ToString("N") + "00000000";

    public static void Write(IBufferWriter<byte> w, NodeCore core, RespCommand c, int respVersion)
    {
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < c.Count; i++)
            wanted.Add(Encoding.ASCII.GetString(c.GetArgument(i)));
        var all = wanted.Count == 0 || wanted.Contains("all") || wanted.Contains("default") || wanted.Contains("everything");
        var text = new StringBuilder();
        var stats = core.Statistics;
        var inv = CultureInfo.InvariantCulture;
        if (all || wanted.Contains("server"))
        {
            var uptime = DateTimeOffset.UtcNow - stats.StartedAt;
            var port = core.GetListenerAddress(core.SelfId, Plugins.ProtocolNames.Resp) is { } a && Cluster.ClusterMember.TrySplitHostPort(a, out _, out var p) ? p : 0;
            text.Append("# Server\r\n")
                .Append("redis_version:").Append(RespSession.RedisCompatibleVersion).Append("\r\n")
                .Append("fastdht_version:").Append(typeof(RespInfo).Assembly.GetName().Version).Append("\r\n")
                .Append("redis_mode:cluster\r\n")
                .Append("os:").Append(Environment.OSVersion.VersionString).Append("\r\n")
                .Append("arch_bits:").Append(IntPtr.Size * 8).Append("\r\n")
                .Append("process_id:").Append(Environment.ProcessId).Append("\r\n")
                .Append("run_id:").Append(RunId).Append("\r\n")
                .Append("tcp_port:").Append(port).Append("\r\n")
                .Append("uptime_in_seconds:").Append((long)uptime.TotalSeconds).Append("\r\n")
                .Append("uptime_in_days:").Append((long)uptime.TotalDays).Append("\r\n")
                .Append("fastdht_node_id:").Append(core.SelfId).Append("\r\n")
                .Append("fastdht_cluster:").Append(core.Options.ClusterName).Append("\r\n")
                .Append("\r\n");
        }
        if (all || wanted.Contains("clients"))
        {
            text.Append("# Clients\r\n")
                .Append("connected_clients:").Append(stats.ConnectedClients).Append("\r\n")
                .Append("blocked_clients:0\r\n")
                .Append("\r\n");
        }
        if (all || wanted.Contains("memory"))
        {
            text.Append("# Memory\r\n")
                .Append("used_memory:").Append(GC.GetTotalMemory(false)).Append("\r\n")
                .Append("fastdht_store_keys:").Append(core.Keyspace.Count).Append("\r\n")
                .Append("\r\n");
        }
        if (all || wanted.Contains("stats"))
        {
            var commands = stats.CommandsProcessed;
            text.Append("# Stats\r\n")
                .Append("total_connections_received:").Append(stats.ConnectionsReceived).Append("\r\n")
                .Append("total_commands_processed:").Append(commands).Append("\r\n")
                .Append("instantaneous_ops_per_sec:").Append(stats.SampleCommandRate()).Append("\r\n")
                .Append("rejected_connections:0\r\n")
                .Append("expired_keys:0\r\n")
                .Append("evicted_keys:0\r\n")
                .Append("keyspace_hits:").Append(stats.KeyspaceHits).Append("\r\n")
                .Append("keyspace_misses:").Append(stats.KeyspaceMisses).Append("\r\n")
                .Append("\r\n");
        }
        if (all || wanted.Contains("replication"))
        {
            text.Append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
        }
        if (all || wanted.Contains("cluster"))
        {
            text.Append("# Cluster\r\ncluster_enabled:1\r\n\r\n");
        }
        if (all || wanted.Contains("keyspace"))
        {
            text.Append("# Keyspace\r\n");
            var keys = core.Keyspace.Count;
            if (keys > 0)
                text.Append(inv, $"db0:keys={keys},expires=0,avg_ttl=0\r\n");
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (respVersion == 3)
            RespWriter.WriteVerbatimString(w, "txt"u8, bytes);
        else
            RespWriter.WriteBulkString(w, bytes);
    }
}
