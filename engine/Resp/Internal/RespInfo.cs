using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// INFO [section ...]: Redis's sections that mean something for a FastDht node (server, clients, memory, persistence,
/// stats, replication, cpu, modules, commandstats, errorstats, latencystats, cluster, keyspace), with this node's real figures.
/// </summary>
/// <remarks>
/// Section selection follows Redis 7: no argument or <c>default</c> gives every section but commandstats, latencystats
/// and modules, <c>all</c> adds commandstats and latencystats, <c>everything</c> adds modules too; names are case-insensitive, a section is printed
/// once however often it is asked for, and an unknown name prints nothing. The figures are this node's; INFO keyspace
/// counts this node's own keys (DBSIZE counts the cluster's).
/// </remarks>
internal static class RespInfo
{
    private static readonly string RunId = Guid.NewGuid().ToString("N") + "00000000";

    private static readonly string[] DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "errorstats", "cluster", "keyspace"];

    private static readonly string[] EverySection = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"];

    public static void Write(IBufferWriter<byte> w, RespHost node, RespServer server, RespCommand c, int respVersion)
    {
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < c.Count; i++)
        {
            var name = Encoding.ASCII.GetString(c.GetArgument(i)).ToLowerInvariant();
            switch (name)
            {
                case "default":
                    wanted.UnionWith(DefaultSections);
                    break;
                case "all":
                    wanted.UnionWith(DefaultSections);
                    wanted.Add("commandstats");
                    wanted.Add("latencystats");
                    break;
                case "everything":
                    wanted.UnionWith(EverySection);
                    break;
                default:
                    wanted.Add(name);
                    break;
            }
        }
        if (c.Count == 1)
            wanted.UnionWith(DefaultSections);
        var text = new StringBuilder();
        foreach (var section in EverySection)
        {
            if (!wanted.Contains(section))
                continue;
            if (text.Length > 0)
                text.Append("\r\n");
            WriteSection(text, section, node, server);
        }
        WriteText(w, Encoding.UTF8.GetBytes(text.ToString()), respVersion);
    }

    /// <summary>
    /// A report for people (INFO, CLIENT INFO, CLIENT LIST, CLUSTER NODES, CLUSTER INFO): a verbatim string of format
    /// <c>txt</c> under RESP3, a bulk string under RESP2, as Redis 7 answers them (its <c>addReplyVerbatim</c>).
    /// </summary>
    public static void WriteText(IBufferWriter<byte> w, ReadOnlySpan<byte> text, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteVerbatimString(w, "txt"u8, text);
        else
            RespWriter.WriteBulkString(w, text);
    }

    private static void WriteSection(StringBuilder text, string section, RespHost node, RespServer server)
    {
        var stats = node.Statistics;
        var inv = CultureInfo.InvariantCulture;
        switch (section)
        {
            case "server":
            {
                var uptime = DateTimeOffset.UtcNow - stats.StartedAt;
                var port = node.GetListenerAddress(node.SelfId, Plugins.ProtocolNames.Resp) is { } a && Cluster.ClusterMember.TrySplitHostPort(a, out _, out var p) ? p : 0;
                text.Append("# Server\r\n")
                    .Append("redis_version:").Append(RespSession.RedisCompatibleVersion).Append("\r\n")
                    .Append("fastdht_version:").Append(typeof(RespInfo).Assembly.GetName().Version).Append("\r\n")
                    .Append("redis_mode:cluster\r\n")
                    .Append("os:").Append(Environment.OSVersion.VersionString).Append("\r\n")
                    .Append("arch_bits:").Append(IntPtr.Size * 8).Append("\r\n")
                    .Append("multiplexing_api:epoll\r\n")
                    .Append("runtime:.NET ").Append(Environment.Version).Append("\r\n")
                    .Append("process_id:").Append(Environment.ProcessId).Append("\r\n")
                    .Append("run_id:").Append(RunId).Append("\r\n")
                    .Append("tcp_port:").Append(port).Append("\r\n")
                    .Append("server_time_usec:").Append(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000).Append("\r\n")
                    .Append("uptime_in_seconds:").Append((long)uptime.TotalSeconds).Append("\r\n")
                    .Append("uptime_in_days:").Append((long)uptime.TotalDays).Append("\r\n")
                    .Append("hz:10\r\n")
                    .Append("executable:").Append(Environment.ProcessPath).Append("\r\n")
                    .Append("fastdht_node_id:").Append(node.SelfId).Append("\r\n")
                    .Append("fastdht_cluster:").Append(node.ClusterName).Append("\r\n");
                break;
            }
            case "clients":
            {
                var resp = 0;
                var pubsub = 0;
                var tracking = 0;
                foreach (var session in server.Clients)
                {
                    resp++;
                    if (session.IsSubscribed)
                        pubsub++;
                    if (session.IsTracking)
                        tracking++;
                }
                text.Append("# Clients\r\n")
                    .Append("connected_clients:").Append(stats.ConnectedClients).Append("\r\n")
                    .Append("blocked_clients:").Append(server.Blocked.Count).Append("\r\n")
                    .Append("tracking_clients:").Append(tracking).Append("\r\n")
                    .Append("pubsub_clients:").Append(pubsub).Append("\r\n")
                    // As of the client memory budget's last sweep (every 100 ms): the biggest buffers of one client.
                    .Append("client_recent_max_input_buffer:").Append(node.Connections?.ClientBudget?.RecentMaxInputBuffer ?? 0).Append("\r\n")
                    .Append("client_recent_max_output_buffer:").Append(node.Connections?.ClientBudget?.RecentMaxOutputBuffer ?? 0).Append("\r\n")
                    .Append("fastdht_resp_clients:").Append(resp).Append("\r\n");
                break;
            }
            case "memory":
            {
                using var process = Process.GetCurrentProcess();
                var used = GC.GetTotalMemory(false);
                var info = GC.GetGCMemoryInfo();
                text.Append("# Memory\r\n")
                    .Append("used_memory:").Append(used).Append("\r\n")
                    .Append("used_memory_human:").Append(Human(used)).Append("\r\n")
                    .Append("used_memory_rss:").Append(process.WorkingSet64).Append("\r\n")
                    .Append("used_memory_rss_human:").Append(Human(process.WorkingSet64)).Append("\r\n")
                    .Append("used_memory_peak:").Append(process.PeakWorkingSet64).Append("\r\n")
                    .Append("used_memory_peak_human:").Append(Human(process.PeakWorkingSet64)).Append("\r\n")
                    .Append("total_system_memory:").Append(info.TotalAvailableMemoryBytes).Append("\r\n")
                    .Append("maxmemory:").Append(server.MaxMemory).Append("\r\n")
                    .Append("maxmemory_human:").Append(Human(server.MaxMemory)).Append("\r\n")
                    .Append("maxmemory_policy:noeviction\r\n")
                    .Append("mem_clients_normal:").Append(node.Connections?.ClientBudget?.RecentTotal ?? 0).Append("\r\n")
                    .Append("maxmemory_clients:").Append(node.Connections?.ClientBudget?.Limit ?? 0).Append("\r\n")
                    // What the node's Lua states hold (running scripts and pooled states), and the most they may together.
                    .Append("used_memory_lua:").Append(server.Scripts.Memory.Used).Append("\r\n")
                    // The script cache (EVAL and SCRIPT LOAD texts), as Redis counts it.
                    .Append("used_memory_scripts_eval:").Append(server.Scripts.CachedBytes).Append("\r\n")
                    .Append("number_of_cached_scripts:").Append(server.Scripts.CachedScripts).Append("\r\n")
                    .Append("fastdht_script_memory_limit:").Append(server.Scripts.Memory.Limit).Append("\r\n")
                    .Append("mem_allocator:dotnet-gc\r\n")
                    .Append("fastdht_store_keys:").Append(node.Keyspace.Count).Append("\r\n")
                    // Collections since start, per generation (each gen1 collection counts in gen0 too, as
                    // GC.CollectionCount does): what benchmarks/cpu-per-request-ab.sh turns into GCs per million requests.
                    .Append("fastdht_gc_gen0_collections:").Append(GC.CollectionCount(0)).Append("\r\n")
                    .Append("fastdht_gc_gen1_collections:").Append(GC.CollectionCount(1)).Append("\r\n")
                    .Append("fastdht_gc_gen2_collections:").Append(GC.CollectionCount(2)).Append("\r\n")
                    .Append("fastdht_gc_pause_total_ms:").Append((long)GC.GetTotalPauseDuration().TotalMilliseconds).Append("\r\n")
                    // Bytes allocated since start (all threads): its difference over a run divided by the run's requests
                    // is the allocation per request, without attaching a tracer to the node.
                    .Append("fastdht_gc_allocated_bytes:").Append(GC.GetTotalAllocatedBytes(false)).Append("\r\n")
                    // As of the last collection: the heap, what it held free between objects, what that collection
                    // promoted, and the old generations' sizes; whether a long-running node's heap grows or fragments.
                    .Append("fastdht_gc_heap_bytes:").Append(info.HeapSizeBytes).Append("\r\n")
                    .Append("fastdht_gc_fragmented_bytes:").Append(info.FragmentedBytes).Append("\r\n")
                    .Append("fastdht_gc_promoted_bytes:").Append(info.PromotedBytes).Append("\r\n")
                    .Append("fastdht_gc_gen2_bytes:").Append(GenerationSize(info, 2)).Append("\r\n")
                    .Append("fastdht_gc_loh_bytes:").Append(GenerationSize(info, 3)).Append("\r\n")
                    .Append("fastdht_gc_committed_bytes:").Append(info.TotalCommittedBytes).Append("\r\n");
                break;
            }
            case "persistence":
            {
                var log = node.Keyspace.Log;
                text.Append("# Persistence\r\n")
                    .Append("loading:").Append(node.IsLoading ? 1 : 0).Append("\r\n")
                    .Append("async_loading:0\r\n")
                    // The rdb_ fields describe FastDht's snapshots (SAVE/BGSAVE), the aof_ ones its log.
                    .Append("rdb_bgsave_in_progress:").Append(log is { IsSnapshotting: true } ? 1 : 0).Append("\r\n")
                    .Append("rdb_last_save_time:").Append(RespSession.LastSaveSeconds(node)).Append("\r\n")
                    .Append("rdb_last_bgsave_status:").Append(log?.LastSnapshotFailure is null ? "ok" : "err").Append("\r\n")
                    .Append("aof_enabled:").Append(log is null ? 0 : 1).Append("\r\n")
                    .Append("aof_rewrite_in_progress:0\r\n")
                    .Append("aof_last_write_status:").Append(log is null || log.IsWritable ? "ok" : "err").Append("\r\n");
                if (log is not null)
                {
                    text.Append("fastdht_fsync:").Append(node.Fsync.ToString().ToLowerInvariant()).Append("\r\n")
                        .Append("fastdht_log_appended:").Append(log.AppendedPosition).Append("\r\n")
                        .Append("fastdht_log_durable:").Append(log.DurablePosition).Append("\r\n")
                        .Append("fastdht_snapshot_position:").Append(log.SnapshotPosition).Append("\r\n");
                    var counts = log.Statistics;
                    text.Append("fastdht_log_records:").Append(counts.Records).Append("\r\n")
                        .Append("fastdht_log_write_rounds:").Append(counts.WriteRounds).Append("\r\n")
                        .Append("fastdht_log_fsyncs:").Append(counts.Fsyncs).Append("\r\n")
                        .Append("fastdht_log_waits:").Append(counts.Waits).Append("\r\n")
                        .Append("fastdht_log_wake_batches:").Append(counts.WakeBatches).Append("\r\n")
                        .Append("fastdht_log_holds:").Append(counts.Holds).Append("\r\n")
                        .Append("fastdht_log_held_us:").Append(counts.HeldMicroseconds).Append("\r\n");
                }
                break;
            }
            case "stats":
                text.Append("# Stats\r\n")
                    .Append("total_connections_received:").Append(stats.ConnectionsReceived).Append("\r\n")
                    .Append("total_commands_processed:").Append(stats.CommandsProcessed).Append("\r\n")
                    .Append("total_error_replies:").Append(server.Errors.Total).Append("\r\n")
                    .Append("instantaneous_ops_per_sec:").Append(stats.SampleCommandRate()).Append("\r\n")
                    .Append("rejected_connections:").Append(node.Connections?.AcceptLimit?.Refused ?? 0).Append("\r\n")
                    .Append("client_output_buffer_limit_disconnections:").Append(node.Connections?.Counters.OutputLimitDisconnections ?? 0).Append("\r\n")
                    .Append("expired_keys:").Append(node.Expiry.Removed).Append("\r\n")
                    .Append("evicted_clients:").Append(node.Connections?.ClientBudget?.EvictedClients ?? 0).Append("\r\n")
                    .Append("fastdht_unfinished_command_disconnections:").Append(node.Connections?.ClientBudget?.UnfinishedCommandClosures ?? 0).Append("\r\n")
                    .Append("evicted_keys:0\r\n")
                    .Append("tracking_total_keys:").Append(server.Tracking.KeyCount).Append("\r\n")
                    .Append("tracking_total_items:").Append(server.Tracking.ItemCount).Append("\r\n")
                    .Append("tracking_total_prefixes:").Append(server.Tracking.PrefixCount).Append("\r\n")
                    .Append("keyspace_hits:").Append(stats.KeyspaceHits).Append("\r\n")
                    .Append("keyspace_misses:").Append(stats.KeyspaceMisses).Append("\r\n")
                    .Append("pubsub_channels:").Append(server.PubSub.Active('c', null).Count).Append("\r\n")
                    .Append("pubsub_patterns:").Append(server.PubSub.PatternCount).Append("\r\n")
                    .Append("pubsubshard_channels:").Append(server.PubSub.Active('s', null).Count).Append("\r\n");
                break;
            case "replication":
                text.Append("# Replication\r\n")
                    .Append("role:master\r\n")
                    .Append("connected_slaves:0\r\n")
                    .Append("master_failover_state:no-failover\r\n")
                    .Append("master_replid:").Append(RunId).Append("\r\n")
                    .Append("master_repl_offset:").Append(node.Keyspace.Log?.AppendedPosition ?? 0).Append("\r\n");
                break;
            case "cpu":
            {
                using var process = Process.GetCurrentProcess();
                text.Append("# CPU\r\n")
                    .Append("used_cpu_sys:").Append(process.PrivilegedProcessorTime.TotalSeconds.ToString("F6", inv)).Append("\r\n")
                    .Append("used_cpu_user:").Append(process.UserProcessorTime.TotalSeconds.ToString("F6", inv)).Append("\r\n")
                    // FastDht starts no child processes (Redis forks for snapshots).
                    .Append("used_cpu_sys_children:0.000000\r\n")
                    .Append("used_cpu_user_children:0.000000\r\n")
                    // The .NET thread pool's threads now and the work items it ran since start: items per request
                    // counts the hops between threads a request takes, which CPU per request alone does not show.
                    .Append("fastdht_threadpool_threads:").Append(ThreadPool.ThreadCount).Append("\r\n")
                    .Append("fastdht_threadpool_completed_items:").Append(ThreadPool.CompletedWorkItemCount).Append("\r\n");
                break;
            }
            case "modules":
                text.Append("# Modules\r\n");
                break;
            case "commandstats":
            {
                text.Append("# Commandstats\r\n");
                var totals = server.SnapshotStats();
                foreach (var spec in RespCommandSpecs.All)
                {
                    var calls = totals.Calls(spec.Kind);
                    var rejected = totals.Rejected(spec.Kind);
                    var failed = totals.Failed(spec.Kind);
                    if (calls == 0 && rejected == 0 && failed == 0)
                        continue;
                    var micros = totals.Ticks(spec.Kind) * 1_000_000 / Stopwatch.Frequency;
                    text.Append("cmdstat_").Append(spec.Name).Append(":calls=").Append(calls - rejected)
                        .Append(",usec=").Append(micros)
                        .Append(",usec_per_call=").Append((calls == 0 ? 0 : (double)micros / calls).ToString("F2", inv))
                        .Append(",rejected_calls=").Append(rejected)
                        .Append(",failed_calls=").Append(failed).Append("\r\n");
                }
                break;
            }
            case "errorstats":
                text.Append("# Errorstats\r\n");
                server.Errors.WriteTo(text);
                break;
            case "latencystats":
                text.Append("# Latencystats\r\n");
                server.Latency.WriteTo(text);
                break;
            case "cluster":
                text.Append("# Cluster\r\ncluster_enabled:1\r\n");
                break;
            case "keyspace":
            {
                text.Append("# Keyspace\r\n");
                var keys = node.Keyspace.Count;
                if (keys > 0)
                {
                    var expires = node.Keyspace.GetStats().KeysWithExpiry;
                    var averageTtl = expires == 0 ? 0 : RespScanCommands.SampleAverageTtl(node.Keyspace);
                    text.Append(inv, $"db0:keys={keys},expires={expires},avg_ttl={averageTtl}\r\n");
                }
                break;
            }
        }
    }

    // A generation's size after the last collection (index 3 is the large object heap); 0 before the first collection
    // of a kind that reports it.
    private static long GenerationSize(GCMemoryInfo info, int generation)
    {
        var generations = info.GenerationInfo;
        return generation < generations.Length ? generations[generation].SizeAfterBytes : 0;
    }

    private static string Human(long bytes)
    {
        var inv = CultureInfo.InvariantCulture;
        return bytes switch
        {
            >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("F2", inv) + "G",
            >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("F2", inv) + "M",
            >= 1L << 10 => (bytes / 1024.0).ToString("F2", inv) + "K",
            _ => bytes.ToString(inv) + "B",
        };
    }
}
