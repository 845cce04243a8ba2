using System.Buffers;
using System.Globalization;
using System.Text;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// CLUSTER MEET, FORGET, SETSLOT, RESET (and the refused REPLICATE, ADDSLOTS, DELSLOTS) and MIGRATE: what
/// <c>redis-cli --cluster</c> sends to grow, reshard and shrink a cluster, answered by <see cref="RespClusterAdmin"/>.
/// </summary>
internal sealed partial class RespSession
{
    /// <summary>Redis Cluster's bus port is the client port plus this when CLUSTER MEET does not give it.</summary>
    private const int RedisBusPortOffset = 10000;

    /// <summary>The CLUSTER subcommands that change the cluster: answered here (late, they wait for the cluster) rather than by <see cref="RespClusterReplies"/>.</summary>
    private static bool IsClusterAdmin(ReadOnlySpan<byte> sub) =>
        Ascii.EqualsIgnoreCase(sub, "MEET"u8) || Ascii.EqualsIgnoreCase(sub, "FORGET"u8) || Ascii.EqualsIgnoreCase(sub, "SETSLOT"u8)
        || Ascii.EqualsIgnoreCase(sub, "RESET"u8) || Ascii.EqualsIgnoreCase(sub, "REPLICATE"u8) || Ascii.EqualsIgnoreCase(sub, "ADDSLOTS"u8)
        || Ascii.EqualsIgnoreCase(sub, "DELSLOTS"u8) || Ascii.EqualsIgnoreCase(sub, "ADDSLOTSRANGE"u8) || Ascii.EqualsIgnoreCase(sub, "DELSLOTSRANGE"u8)
        || Ascii.EqualsIgnoreCase(sub, "FAILOVER"u8);

    private Outcome ClusterAdmin()
    {
        var c = _command;
        var w = Target();
        if (Ascii.EqualsIgnoreCase(c.GetArgument(1), "FAILOVER"u8))
        {
            ClusterFailover(w);
            return Outcome.Continue;
        }
        if (_host.Admin is not { } admin)
        {
            RespWriter.WriteError(w, "this node cannot change the cluster"u8);
            return Outcome.Continue;
        }
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "REPLICATE"u8))
        {
            RespWriter.WriteError(w, "FastDht places replicas itself (--replicas N on every node): CLUSTER REPLICATE is not supported. A node added with redis-cli --cluster add-node --cluster-slave joined as a master without slots: give it slots (reshard, or rebalance --cluster-use-empty-masters) or remove it (del-node)"u8);
            return Outcome.Continue;
        }
        if (!Ascii.EqualsIgnoreCase(sub, "MEET"u8) && !Ascii.EqualsIgnoreCase(sub, "FORGET"u8) && !Ascii.EqualsIgnoreCase(sub, "SETSLOT"u8) && !Ascii.EqualsIgnoreCase(sub, "RESET"u8))
        {
            RespWriter.WriteError(w, "FastDht assigns every slot when the cluster starts and gives a slot to another node only by moving it (CLUSTER SETSLOT MIGRATING, redis-cli --cluster reshard): slots cannot be added or deleted"u8);
            return Outcome.Continue;
        }
        if (!_order.IsIdle)
            return Outcome.MustWait;
        Func<Task<string?>>? work = null;
        string? error = null;
        if (Ascii.EqualsIgnoreCase(sub, "MEET"u8))
        {
            var host = Encoding.UTF8.GetString(c.GetArgument(2));
            if (c.Count > 5)
                error = "wrong number of arguments for 'cluster|meet' command";
            else if (!TryPort(c.GetArgument(3), out var port))
                error = $"Invalid base port specified: {Encoding.UTF8.GetString(c.GetArgument(3))}";
            else if (c.Count == 5 && !TryPort(c.GetArgument(4), out _))
                error = $"Invalid bus port specified: {Encoding.UTF8.GetString(c.GetArgument(4))}";
            else if (!System.Net.IPAddress.TryParse(host, out _))
                error = $"Invalid node address specified: {host}:{port}";
            else
            {
                var bus = port + RedisBusPortOffset;
                if (c.Count == 5)
                    TryPort(c.GetArgument(4), out bus);
                work = () => admin.MeetAsync(host, port, bus);
            }
        }
        else if (Ascii.EqualsIgnoreCase(sub, "FORGET"u8))
        {
            if (!RespClusterAdmin.TryParseNodeId(c.GetArgument(2), out var id))
                error = $"Unknown node {Encoding.UTF8.GetString(c.GetArgument(2))}";
            else
                work = () => admin.ForgetAsync(id);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "RESET"u8))
        {
            if (c.Count > 3 || (c.Count == 3 && !Ascii.EqualsIgnoreCase(c.GetArgument(2), "SOFT"u8) && !Ascii.EqualsIgnoreCase(c.GetArgument(2), "HARD"u8)))
                error = "syntax error";
            else
                work = admin.ResetAsync;
        }
        else
        {
            work = SetSlot(admin, out error);
        }
        if (work is null)
        {
            RespWriter.WriteError(w, Encoding.UTF8.GetBytes(error!));
            return Outcome.Continue;
        }
        return RunAdminLater(work);
    }

    /// <summary>
    /// CLUSTER FAILOVER [FORCE|TAKEOVER]: refused with what to do instead (docs/resp-server.md, "Failover"). FastDht
    /// promotes replicas itself, through the Raft leader, once a primary's serving lease has lapsed: that wait is what
    /// keeps the old primary from answering reads after its successor took writes. A takeover on request would need
    /// the leader to stop renewing the primary's lease and wait it out the same way, which FastDht does not offer yet;
    /// FORCE and TAKEOVER (promote without the primary's agreement, or without any) would skip the very checks that
    /// keep an acknowledged write from being lost, so they are refused too.
    /// </summary>
    private void ClusterFailover(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count > 3)
        {
            RespErrors.WriteWrongArity(w, "cluster|failover"u8);
            return;
        }
        if (c.Count == 3 && !Ascii.EqualsIgnoreCase(c.GetArgument(2), "FORCE"u8) && !Ascii.EqualsIgnoreCase(c.GetArgument(2), "TAKEOVER"u8))
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        RespWriter.WriteError(w, "CLUSTER FAILOVER is not supported: FastDht fails over by itself. With --replicas, when a primary stops (SHUTDOWN, SIGTERM, or a crash) an in-sync replica of each of its ranges is promoted within about a second (--failover-timeout); no manual, forced or takeover failover is offered. To give a node's slots to another node, move them: CLUSTER SETSLOT <slot> MIGRATING <node-id> at the owner (redis-cli --cluster reshard)"u8);
    }

    /// <summary>CLUSTER SETSLOT slot IMPORTING|MIGRATING|NODE id, or STABLE.</summary>
    private Func<Task<string?>>? SetSlot(RespClusterAdmin admin, out string? error)
    {
        var c = _command;
        error = null;
        if (!int.TryParse(c.GetArgument(2), NumberStyles.None, CultureInfo.InvariantCulture, out var slot) || slot >= KeySlot.SlotCount)
        {
            error = $"Invalid or out of range slot";
            return null;
        }
        var how = c.GetArgument(3);
        if (Ascii.EqualsIgnoreCase(how, "STABLE"u8) && c.Count == 4)
        {
            var stable = admin.Stable(slot);
            return () => Task.FromResult(stable);
        }
        var isImporting = Ascii.EqualsIgnoreCase(how, "IMPORTING"u8);
        var isMigrating = Ascii.EqualsIgnoreCase(how, "MIGRATING"u8);
        var isNode = Ascii.EqualsIgnoreCase(how, "NODE"u8);
        if (c.Count != 5 || !(isImporting || isMigrating || isNode))
        {
            error = "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP";
            return null;
        }
        if (!RespClusterAdmin.TryParseNodeId(c.GetArgument(4), out var id))
        {
            // Redis checks the slot's owner before it looks the node up.
            var named = Encoding.UTF8.GetString(c.GetArgument(4));
            error = isNode ? $"Unknown node {named}" : admin.OwnershipRefusal(slot, isMigrating) ?? $"I don't know about node {named}";
            return null;
        }
        if (isImporting)
        {
            var importing = admin.Importing(slot, id);
            return () => Task.FromResult(importing);
        }
        return isMigrating ? () => admin.MigratingAsync(slot, id) : () => admin.NodeAsync(slot, id);
    }

    /// <summary>
    /// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key...]: at the keys' owner,
    /// waits for the move of their slot to that node (<see cref="RespClusterAdmin.MigrateAsync"/>).
    /// </summary>
    private Outcome Migrate()
    {
        var c = _command;
        var w = Target();
        if (_host.Admin is not { } admin)
        {
            RespWriter.WriteError(w, "this node cannot change the cluster"u8);
            return Outcome.Continue;
        }
        if (!_order.IsIdle)
            return Outcome.MustWait;
        var host = Encoding.UTF8.GetString(c.GetArgument(1));
        if (!TryPort(c.GetArgument(2), out var port) || !c.TryGetInt64(4, out var db) || !c.TryGetInt64(5, out var timeoutMs))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return Outcome.Continue;
        }
        var slots = new List<int>();
        var keys = 0;
        if (c.GetArgument(3).Length > 0)
        {
            slots.Add(KeySlot.Of(c.GetArgument(3)));
            keys++;
        }
        for (var i = 6; i < c.Count; i++)
        {
            var option = c.GetArgument(i);
            if (Ascii.EqualsIgnoreCase(option, "COPY"u8))
            {
                RespWriter.WriteError(w, "MIGRATE COPY is not supported: a FastDht key lives at its slot's owner only, and moves with its slot"u8);
                return Outcome.Continue;
            }
            if (Ascii.EqualsIgnoreCase(option, "REPLACE"u8))
                continue; // a moved slot replaces what the target held of it anyway
            if (Ascii.EqualsIgnoreCase(option, "AUTH"u8) && i + 1 < c.Count)
            {
                i++; // the move runs over the authenticated peer link, not with the client's password
                continue;
            }
            if (Ascii.EqualsIgnoreCase(option, "AUTH2"u8) && i + 2 < c.Count)
            {
                i += 2;
                continue;
            }
            if (Ascii.EqualsIgnoreCase(option, "KEYS"u8))
            {
                if (keys > 0)
                {
                    RespWriter.WriteError(w, "When using MIGRATE KEYS option, the key argument must be set to empty string"u8);
                    return Outcome.Continue;
                }
                for (i++; i < c.Count; i++, keys++)
                {
                    var slotOfKey = KeySlot.Of(c.GetArgument(i));
                    if (!slots.Contains(slotOfKey))
                        slots.Add(slotOfKey);
                }
                break;
            }
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return Outcome.Continue;
        }
        if (db != 0)
        {
            RespWriter.WriteError(w, "FastDht has one database: MIGRATE to db 0"u8);
            return Outcome.Continue;
        }
        if (keys == 0)
        {
            RespWriter.WriteSimpleString(w, "NOKEY"u8);
            return Outcome.Continue;
        }
        var timeout = TimeSpan.FromMilliseconds(timeoutMs <= 0 ? 1000 : Math.Min(timeoutMs, int.MaxValue));
        return RunAdminLater(() => admin.MigrateAsync(host, port, slots, timeout));
    }

    private static bool TryPort(ReadOnlySpan<byte> text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;

    /// <summary>Answers +OK or the error <paramref name="work"/> gives, in this connection's reply order, once it is done.</summary>
    private Outcome RunAdminLater(Func<Task<string?>> work)
    {
        var slot = QueueLateReply();
        using (ExecutionContext.SuppressFlow())
            _ = RunAdminAsync(slot, work);
        return Outcome.Continue;
    }

    private async Task RunAdminAsync(ReplySlot slot, Func<Task<string?>> work)
    {
        try
        {
            if (await work().ConfigureAwait(false) is { } error)
                RespWriter.WriteError(slot, Encoding.UTF8.GetBytes(error.ReplaceLineEndings(" ")));
            else
                RespWriter.WriteRaw(slot, RespReplies.Ok);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        OnSlotCompleted(slot);
    }
}
