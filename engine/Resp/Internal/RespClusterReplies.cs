using System.Buffers;
using System.Globalization;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.Plugins;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// CLUSTER SLOTS, SHARDS, NODES, INFO, KEYSLOT, MYID: FastDht's own slot table in Redis Cluster's shapes, with each
/// node's RESP address, so cluster-aware clients route every key straight to its owner.
/// </summary>
/// <remarks>
/// FastDht's slots are Redis Cluster's (CRC16 mod 16384, hash tags), so a client's routing agrees with ours. A node's
/// RESP address is what it reported in NodeInfo; a node whose address is not known yet (its link never came up) is
/// left out of SLOTS and SHARDS, and shown as failed in NODES, since no client could reach it anyway.
/// </remarks>
internal static class RespClusterReplies
{
    public static void Write(IBufferWriter<byte> w, RespHost server, RespCommand c, int respVersion)
    {
        switch (c.GetKeyword(1))
        {
            case RespKeyword.Slots when c.Count == 2:
                Slots(w, server);
                return;
            case RespKeyword.Shards when c.Count == 2:
                Shards(w, server, respVersion);
                return;
            case RespKeyword.Nodes when c.Count == 2:
                RespInfo.WriteText(w, Encoding.UTF8.GetBytes(Nodes(server)), respVersion);
                return;
            case RespKeyword.Info when c.Count == 2:
                RespInfo.WriteText(w, Encoding.UTF8.GetBytes(Info(server)), respVersion);
                return;
            case RespKeyword.KeySlot when c.Count == 3:
                RespWriter.WriteInteger(w, KeySlot.Of(c.GetArgument(2)));
                return;
            case RespKeyword.MyId when c.Count == 2:
                RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(RedisNodeId(server.SelfId)));
                return;
            case RespKeyword.CountKeysInSlot when c.Count == 3:
                // The keys of the slot this node serves: a slot it does not own counts 0 here, though it may hold a
                // partial copy (a target importing it) or a replica's: redis-cli --cluster fix took such keys for a
                // second owner of an open slot and tried CLUSTER DELSLOTS/ADDSLOTS/BUMPEPOCH on it.
                if (!TrySlot(c.GetArgument(2), out var counted))
                    RespWriter.WriteError(w, "Invalid slot"u8);
                else
                    RespWriter.WriteInteger(w, Serves(server, counted) ? server.Keyspace.CountKeysInSlot(counted) : 0);
                return;
            case RespKeyword.GetKeysInSlot when c.Count == 4:
                if (!TrySlot(c.GetArgument(2), out var slot) || !long.TryParse(c.GetArgument(3), NumberStyles.None, CultureInfo.InvariantCulture, out var wanted))
                    RespWriter.WriteError(w, "Invalid slot or number of keys"u8);
                else
                    KeysInSlot(w, server, slot, wanted);
                return;
            case RespKeyword.Slots:
            case RespKeyword.Shards:
            case RespKeyword.Nodes:
            case RespKeyword.Info:
            case RespKeyword.KeySlot:
            case RespKeyword.MyId:
            case RespKeyword.CountKeysInSlot:
            case RespKeyword.GetKeysInSlot:
                RespErrors.WriteWrongArity(w, Encoding.ASCII.GetBytes("cluster|" + Encoding.ASCII.GetString(c.GetArgument(1)).ToLowerInvariant()));
                return;
            default:
                RespErrors.WriteUnknownSubcommand(w, c.GetArgument(1), "CLUSTER");
                return;
        }
    }

    private static bool TrySlot(ReadOnlySpan<byte> text, out int slot) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out slot) && slot < KeySlot.SlotCount;

    /// <summary>Whether this node owns <paramref name="slot"/> (serves its keys) in its current state.</summary>
    private static bool Serves(RespHost server, int slot) => server.Cluster.Current.Slots.OwnerOf(slot) == server.SelfId;

    /// <summary>CLUSTER GETKEYSINSLOT: up to <paramref name="wanted"/> keys of <paramref name="slot"/> this node serves (what redis-cli --cluster reshard moves), by a scan of that slot; none where it does not own the slot (as COUNTKEYSINSLOT).</summary>
    private static void KeysInSlot(IBufferWriter<byte> w, RespHost server, int slot, long wanted)
    {
        if (!Serves(server, slot))
        {
            RespWriter.WriteArrayHeader(w, 0);
            return;
        }
        var visitor = new KeyCollector(slot, (int)Math.Min(wanted, 1 << 20));
        var cursor = 0UL;
        do
            cursor = server.Keyspace.ScanSlots(cursor, slot, slot, 256, ref visitor);
        while (cursor != 0 && visitor.Keys.Count < visitor.Limit);
        RespWriter.WriteArrayHeader(w, visitor.Keys.Count);
        foreach (var key in visitor.Keys)
            RespWriter.WriteBulkString(w, key);
    }

    /// <summary>Collects the keys of one slot, up to a limit (a scan may also visit other slots' keys when the store does not group by slot).</summary>
    private struct KeyCollector(int slot, int limit) : Storage.IStoreEntryVisitor
    {
        public readonly List<byte[]> Keys = [];

        public readonly int Limit => limit;

        public readonly void Visit(in Storage.StoreEntry entry)
        {
            if (Keys.Count < limit && KeySlot.Of(entry.Key.Span) == slot)
                Keys.Add(entry.Key.ToArray());
        }
    }

    /// <summary>A node's id in Redis's 40-hex-digit form: the FastDht node id, zero-padded.</summary>
    public static string RedisNodeId(ushort nodeId) => nodeId.ToString("x40", CultureInfo.InvariantCulture);

    private static bool TryAddress(RespHost server, ushort nodeId, out string host, out int port)
    {
        host = "";
        port = 0;
        var address = server.GetListenerAddress(nodeId, ProtocolNames.Resp);
        return address is not null && ClusterMember.TrySplitHostPort(address, out host, out port);
    }

    /// <summary>A node waiting for CLUSTER MEET (or still joining) is a member of nothing: its replies show only itself, with no slots, as a fresh Redis Cluster node's do.</summary>
    private static bool IsOutside(RespHost server) => server.Admin is { IsMember: false };

    private static void Slots(IBufferWriter<byte> w, RespHost server)
    {
        if (IsOutside(server))
        {
            RespWriter.WriteArrayHeader(w, 0);
            return;
        }
        var state = server.Cluster.Current;
        var ranges = state.Slots.Ranges;
        var count = 0;
        foreach (var r in ranges)
        {
            if (TryAddress(server, r.NodeId, out _, out _))
                count++;
        }
        RespWriter.WriteArrayHeader(w, count);
        foreach (var r in ranges)
        {
            if (!TryAddress(server, r.NodeId, out _, out _))
                continue;
            var replicas = state.Slots.AssignmentOf(r.FirstSlot).Replicas;
            var listed = 0;
            foreach (var replica in replicas)
            {
                if (ListsReplica(server, replica))
                    listed++;
            }
            // Redis's shape: first, last, the master, then each replica, every node as [host, port, id].
            RespWriter.WriteArrayHeader(w, 3 + listed);
            RespWriter.WriteInteger(w, r.FirstSlot);
            RespWriter.WriteInteger(w, r.LastSlot);
            SlotsNode(w, server, r.NodeId);
            foreach (var replica in replicas)
            {
                if (ListsReplica(server, replica))
                    SlotsNode(w, server, replica);
            }
        }
    }

    private static void SlotsNode(IBufferWriter<byte> w, RespHost server, ushort nodeId)
    {
        TryAddress(server, nodeId, out var host, out var port);
        RespWriter.WriteArrayHeader(w, 3);
        RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(host));
        RespWriter.WriteInteger(w, port);
        RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(RedisNodeId(nodeId)));
    }

    /// <summary>Whether SLOTS and SHARDS list a replica: as Redis leaves out failed replicas, one that is down or whose address is unknown is left out.</summary>
    private static bool ListsReplica(RespHost server, ushort nodeId) => IsUp(server, nodeId) && TryAddress(server, nodeId, out _, out _);

    /// <summary>
    /// The role Redis's one-role-per-node model gives a member: master when it is the primary of some range, or of
    /// none and a replica of none; otherwise a replica of the primary of the first range (in slot order) it copies.
    /// </summary>
    /// <remarks>
    /// A FastDht node may be primary of one range and replica of another (the default placement makes every node both),
    /// which CLUSTER NODES cannot say: such a node is shown as a master. CLUSTER SLOTS and SHARDS list every replica of
    /// every range. A node that serves nothing and copies ranges of several primaries is shown replicating the first.
    /// </remarks>
    public static bool IsReplicaOnly(ClusterState state, ushort nodeId, out ushort master)
    {
        master = 0;
        var replicates = false;
        foreach (var a in state.Slots.RangeAssignments)
        {
            if (a.Primary == nodeId)
                return false;
            if (!replicates && a.HasReplica(nodeId))
            {
                replicates = true;
                master = a.Primary;
            }
        }
        return replicates;
    }

    private static void Shards(IBufferWriter<byte> w, RespHost server, int respVersion)
    {
        if (IsOutside(server))
        {
            RespWriter.WriteArrayHeader(w, 0);
            return;
        }
        var state = server.Cluster.Current;
        // One shard per member that is a master (IsReplicaOnly): its ranges, itself, then every live replica of them.
        var shards = new List<ClusterMember>();
        foreach (var m in state.Members.Members)
        {
            if (TryAddress(server, m.NodeId, out _, out _) && !IsReplicaOnly(state, m.NodeId, out _))
                shards.Add(m);
        }
        RespWriter.WriteArrayHeader(w, shards.Count);
        var mine = new List<SlotRange>();
        var replicas = new List<ushort>();
        foreach (var m in shards)
        {
            mine.Clear();
            replicas.Clear();
            foreach (var r in state.Slots.Ranges)
            {
                if (r.NodeId != m.NodeId)
                    continue;
                mine.Add(r);
                foreach (var replica in state.Slots.AssignmentOf(r.FirstSlot).Replicas)
                {
                    if (!replicas.Contains(replica) && ListsReplica(server, replica))
                        replicas.Add(replica);
                }
            }
            MapHeader(w, 2, respVersion);
            RespWriter.WriteBulkString(w, "slots"u8);
            RespWriter.WriteArrayHeader(w, mine.Count * 2);
            foreach (var r in mine)
            {
                RespWriter.WriteInteger(w, r.FirstSlot);
                RespWriter.WriteInteger(w, r.LastSlot);
            }
            RespWriter.WriteBulkString(w, "nodes"u8);
            RespWriter.WriteArrayHeader(w, 1 + replicas.Count);
            ShardNode(w, server, m.NodeId, "master"u8, respVersion);
            foreach (var replica in replicas)
                ShardNode(w, server, replica, "replica"u8, respVersion);
        }
    }

    private static void ShardNode(IBufferWriter<byte> w, RespHost server, ushort nodeId, ReadOnlySpan<byte> role, int respVersion)
    {
        TryAddress(server, nodeId, out var host, out var port);
        MapHeader(w, 7, respVersion);
        RespWriter.WriteBulkString(w, "id"u8);
        RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(RedisNodeId(nodeId)));
        RespWriter.WriteBulkString(w, "port"u8);
        RespWriter.WriteInteger(w, port);
        RespWriter.WriteBulkString(w, "ip"u8);
        RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(host));
        RespWriter.WriteBulkString(w, "endpoint"u8);
        RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(host));
        RespWriter.WriteBulkString(w, "role"u8);
        RespWriter.WriteBulkString(w, role);
        RespWriter.WriteBulkString(w, "replication-offset"u8);
        RespWriter.WriteInteger(w, 0);
        RespWriter.WriteBulkString(w, "health"u8);
        // Redis's three health values: a node loading its data is "loading", as in Redis.
        RespWriter.WriteBulkString(w, server.Peers.StateOf(nodeId) switch
        {
            MemberState.Up => "online"u8,
            MemberState.Loading => "loading"u8,
            _ => "failed"u8,
        });
    }

    private static void MapHeader(IBufferWriter<byte> w, int pairs, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteMapHeader(w, pairs);
        else
            RespWriter.WriteArrayHeader(w, pairs * 2);
    }

    private static bool IsUp(RespHost server, ushort nodeId) => nodeId == server.SelfId || server.Peers.IsUp(nodeId);

    /// <summary>One line per node: id, ip:port@cport, flags, master, ping-sent, pong-recv, config-epoch, link-state, slots (a replica's line has none).</summary>
    private static string Nodes(RespHost server)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        // FastDht has one epoch for the whole state, so a node's config epoch is the cluster's current epoch.
        var state = server.Cluster.Current;
        var epoch = state.Epoch;
        if (server.Admin is { IsMember: false } outside)
        {
            TryAddress(server, server.SelfId, out var ownHost, out var ownPort);
            text.Append(inv, $"{RedisNodeId(server.SelfId)} {ClusterMember.FormatAddress(ownHost, ownPort)}@{outside.Self.Port} myself,master - 0 0 {epoch} connected\n");
            return text.ToString();
        }
        foreach (var m in state.Members.Members)
        {
            var up = IsUp(server, m.NodeId);
            var known = TryAddress(server, m.NodeId, out var host, out var port);
            if (!known)
            {
                host = m.Host;
                port = 0;
            }
            var replicaOnly = IsReplicaOnly(state, m.NodeId, out var master);
            var role = replicaOnly ? "slave" : "master";
            var flags = m.NodeId == server.SelfId ? "myself," + role : up && known ? role : role + ",fail";
            // Not a Redis flag (Redis shows loading only in CLUSTER SHARDS' health): alive, connected, not serving keys yet.
            if (up && server.Peers.StateOf(m.NodeId) == MemberState.Loading)
                flags += ",loading";
            // The bus port shown after '@' is the node's native (peer) port.
            text.Append(inv, $"{RedisNodeId(m.NodeId)} {ClusterMember.FormatAddress(host, port)}@{m.Port} {flags} {(replicaOnly ? RedisNodeId(master) : "-")} 0 0 {epoch} {(up ? "connected" : "disconnected")}");
            foreach (var r in state.Slots.Ranges)
            {
                if (r.NodeId != m.NodeId)
                    continue;
                if (r.FirstSlot == r.LastSlot)
                    text.Append(inv, $" {r.FirstSlot}");
                else
                    text.Append(inv, $" {r.FirstSlot}-{r.LastSlot}");
            }
            if (m.NodeId == server.SelfId)
                AppendMovingSlots(text, state, server.SelfId);
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// As Redis on its own line: <c>[slot-&gt;-target]</c> for each slot moving away from this node and
    /// <c>[slot-&lt;-source]</c> for each moving to it (redis-cli --cluster check reports them as open slots).
    /// </summary>
    private static void AppendMovingSlots(StringBuilder text, ClusterState state, ushort self)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = state.Slots;
        for (var i = 0; i < table.Ranges.Count; i++)
        {
            var a = table.RangeAssignments[i];
            if (!a.IsMoving || (a.Primary != self && a.Importing != self))
                continue;
            var r = table.Ranges[i];
            for (var slot = r.FirstSlot; slot <= r.LastSlot; slot++)
            {
                if (a.Primary == self)
                    text.Append(inv, $" [{slot}->-{RedisNodeId(a.Importing)}]");
                else
                    text.Append(inv, $" [{slot}-<-{RedisNodeId(a.Primary)}]");
            }
        }
    }

    private static string Info(RespHost server)
    {
        if (IsOutside(server))
        {
            return "cluster_state:fail\r\ncluster_slots_assigned:0\r\ncluster_slots_ok:0\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n"
                + "cluster_known_nodes:1\r\ncluster_size:0\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n"
                + "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n";
        }
        var state = server.Cluster.Current;
        var members = state.Members.Members;
        var upSlots = 0;
        foreach (var r in state.Slots.Ranges)
        {
            if (IsUp(server, r.NodeId))
                upSlots += r.LastSlot - r.FirstSlot + 1;
        }
        var health = upSlots == SlotTable.SlotCount ? "ok" : "fail";
        var epoch = state.Epoch;
        var text = new StringBuilder()
            .Append("cluster_state:").Append(health).Append("\r\n")
            .Append("cluster_slots_assigned:").Append(SlotTable.SlotCount).Append("\r\n")
            .Append("cluster_slots_ok:").Append(upSlots).Append("\r\n")
            .Append("cluster_slots_pfail:0\r\n")
            .Append("cluster_slots_fail:").Append(SlotTable.SlotCount - upSlots).Append("\r\n")
            .Append("cluster_known_nodes:").Append(members.Count).Append("\r\n")
            .Append("cluster_size:").Append(members.Count).Append("\r\n")
            .Append("cluster_current_epoch:").Append(epoch).Append("\r\n")
            .Append("cluster_my_epoch:").Append(epoch).Append("\r\n")
            .Append("cluster_stats_messages_sent:0\r\n")
            .Append("cluster_stats_messages_received:0\r\n")
            .Append("total_cluster_links_buffer_limit_exceeded:0\r\n");
        if (server.RunsConsensus)
        {
            // FastDht's own fields (Redis clients skip fields they do not know): the Raft group's voters, in node ids
            // as CLUSTER NODES' addresses map them, and whether this node is one (docs/running.md).
            text.Append("fastdht_raft_voters:").AppendJoin(',', state.Voters).Append("\r\n")
                .Append("fastdht_raft_voter:").Append(state.IsVoter(server.SelfId) ? 1 : 0).Append("\r\n");
        }
        return text.ToString();
    }
}
