using System.Buffers;
using System.Buffers.Text;
using System.Text;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// SCAN, RANDOMKEY and DBSIZE over the whole cluster through any node, like KEYS and FLUSHALL: a client that is not
/// cluster-aware sees one database.
/// </summary>
/// <remarks>
/// A SCAN cursor names a node and a position in that node's store: the node id in bits 47-62, the store's cursor
/// (docs/storage.md) below. The walk visits the members in ascending id order, each from store cursor 0 to the end,
/// so every key present throughout the walk on a node that stays a member is returned exactly once. A batch at this
/// node runs at once; one at another node is a RespExecute SCAN there with the store cursor alone.
/// </remarks>
internal sealed partial class RespSession
{
    private Outcome StartScan()
    {
        var c = _command;
        if (!RespScanCommands.TryParse(c, Target(), out var a))
            return Outcome.Continue;
        if (!_order.IsIdle)
            return Outcome.MustWait; // after this connection's running writes, so they are visible
        var members = _host.Cluster.Current.Members.Members;
        var node = (ushort)(a.Cursor >> RespScanCommands.NodeShift);
        var storeCursor = a.Cursor & RespScanCommands.StoreCursorMask;
        var index = IndexOfMember(members, node);
        if (index < 0)
        {
            // The cursor's node left the cluster: carry on with the next one.
            index = IndexOfMemberAfter(members, node);
            storeCursor = 0;
            if (index < 0)
            {
                RespScanCommands.WriteScanReply(Target(), 0, []);
                return Outcome.Continue;
            }
            node = members[index].NodeId;
        }
        var following = index + 1 < members.Count ? members[index + 1].NodeId : -1;
        var local = a with { Cursor = storeCursor };
        if (node == _host.SelfId)
        {
            if (!RespScanCommands.TryScan(_host.Keyspace, local, out var next, out var keys))
                RespWriter.WriteError(Target(), "invalid cursor"u8);
            else
                RespScanCommands.WriteScanReply(Target(), ClusterCursor(node, next, following), keys);
            return Outcome.Continue;
        }
        var link = _host.Peers.LinkTo(node);
        if (link is null)
        {
            RespErrors.WriteClusterDown(Target(), _host.Peers.UnavailableMessage(node));
            return Outcome.Continue;
        }
        var body = EncodeRespExecute((byte)_respVersion, "SCAN"u8.ToArray(), ScanArguments(local));
        var slot = QueueLateReply();
        using (ExecutionContext.SuppressFlow())
            _ = RunRemoteScanAsync(slot, link.CallAsync(new RespExecuteRequest(body), ResponseShape.Body, _host.ForwardTimeout, node, inDoubtIfLost: true), node, following);
        return Outcome.Continue;
    }

    private async Task RunRemoteScanAsync(ReplySlot slot, ValueTask<ResponseResult> call, ushort node, int following)
    {
        try
        {
            var result = await call.ConfigureAwait(false);
            var keys = new List<byte[]>();
            if (result.IsError)
            {
                // An error, never an empty batch with the cursor moved on: that would skip the node's keys. The client
                // may ask again with the same cursor.
                var failure = new PartFailure();
                failure.AddCall(node, result);
                RespWriter.WriteError(slot, failure.Code("CLUSTERDOWN"u8), Encoding.UTF8.GetBytes(failure.Message!));
            }
            else if (result.Payload is [(byte)'-', ..] error)
                RespWriter.WriteRaw(slot, error);
            else if (!TryReadScanReply(result.Payload, out var next, keys) || next > RespScanCommands.StoreCursorMask)
                RespErrors.WriteClusterDown(slot, $"node {node}: malformed SCAN reply");
            else
                RespScanCommands.WriteScanReply(slot, ClusterCursor(node, next, following), keys);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        OnSlotCompleted(slot);
    }

    /// <summary>The cursor after a batch at <paramref name="node"/>: the same node further on, the next member from its start, or 0 when the walk is over.</summary>
    private static ulong ClusterCursor(ushort node, ulong next, int following)
    {
        if (next != 0)
            return ((ulong)node << RespScanCommands.NodeShift) | next;
        return following < 0 ? 0 : (ulong)following << RespScanCommands.NodeShift;
    }

    private static List<byte[]> ScanArguments(in ScanArguments a)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(a.Cursor, digits, out var n);
        List<byte[]> args = [digits[..n].ToArray(), "COUNT"u8.ToArray(), Encoding.ASCII.GetBytes(a.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        if (a.Pattern is not null)
            args.AddRange(["MATCH"u8.ToArray(), a.Pattern]);
        if (a.Type is not null)
            args.AddRange(["TYPE"u8.ToArray(), a.Type]);
        return args;
    }

    private static int IndexOfMember(IReadOnlyList<Cluster.ClusterMember> members, ushort node)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].NodeId == node)
                return i;
        }
        return -1;
    }

    private static int IndexOfMemberAfter(IReadOnlyList<Cluster.ClusterMember> members, ushort node)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].NodeId > node)
                return i;
        }
        return -1;
    }

    /// <summary>A peer's SCAN reply: <c>*2 $cursor *N $key...</c>.</summary>
    private static bool TryReadScanReply(byte[]? reply, out ulong cursor, List<byte[]> keys)
    {
        cursor = 0;
        if (reply is null || !reply.AsSpan().StartsWith("*2\r\n$"u8))
            return false;
        var at = 5;
        var end = reply.AsSpan(at).IndexOf("\r\n"u8);
        if (end < 1 || !Utf8Parser.TryParse(reply.AsSpan(at, end), out int length, out _) || at + end + 2 + length + 2 > reply.Length)
            return false;
        at += end + 2;
        if (!Utf8Parser.TryParse(reply.AsSpan(at, length), out cursor, out var used) || used != length)
            return false;
        at += length + 2;
        return TryReadBulkArray(reply[at..], keys);
    }

    /// <summary>
    /// DBSIZE: the keys of every node of the cluster, summed (each node counts its own, as Redis Cluster's nodes do;
    /// keys that expired but were not reclaimed yet count until they are, as in Redis).
    /// </summary>
    private Outcome StartDbSize()
    {
        if (!_order.IsIdle)
            return Outcome.MustWait;
        if (_host.Cluster.Current.Members.Members.Count == 1)
        {
            RespWriter.WriteInteger(Target(), _host.Keyspace.Count);
            return Outcome.Continue;
        }
        var slot = QueueLateReply();
        using (ExecutionContext.SuppressFlow())
            _ = RunDbSizeAsync(slot, (byte)_respVersion);
        return Outcome.Continue;
    }

    private async Task RunDbSizeAsync(ReplySlot slot, byte respVersion)
    {
        try
        {
            var failure = new PartFailure();
            var calls = CallEveryPeer(EncodeRespExecute(respVersion, "DBSIZE"u8.ToArray(), []), failure);
            var sum = _host.Keyspace.Count;
            foreach (var (node, call) in calls)
            {
                var result = await call.ConfigureAwait(false);
                if (result.IsError)
                    failure.AddCall(node, result);
                else if (!TryReadInteger(result.Payload, out var count, out var error))
                    failure.Add(StatusCode.InternalError, $"node {node}: {error}");
                else
                    sum += count;
            }
            if (!failure.Failed)
                RespWriter.WriteInteger(slot, sum);
            else
                RespWriter.WriteError(slot, failure.Code("CLUSTERDOWN"u8), Encoding.UTF8.GetBytes($"not every node could be counted ({failure.Message})"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        OnSlotCompleted(slot);
    }

    /// <summary>
    /// RANDOMKEY: a random key of the cluster. Nodes are asked in a random order (this one among them),
    /// until one has a key; null when none has.
    /// A key is therefore not picked uniformly over the cluster: each node with keys is first equally often.
    /// </summary>
    private Outcome StartRandomKey()
    {
        if (!_order.IsIdle)
            return Outcome.MustWait;
        var members = _host.Cluster.Current.Members.Members;
        if (members.Count == 1)
        {
            RespScanCommands.WriteLocalRandomKey(Target(), _host.Keyspace, _respVersion);
            return Outcome.Continue;
        }
        var order = new List<ushort>();
        foreach (var m in members)
            order.Add(m.NodeId);
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(order));
        var slot = QueueLateReply();
        using (ExecutionContext.SuppressFlow())
            _ = RunRandomKeyAsync(slot, order, (byte)_respVersion);
        return Outcome.Continue;
    }

    private async Task RunRandomKeyAsync(ReplySlot slot, List<ushort> order, byte respVersion)
    {
        try
        {
            var body = EncodeRespExecute(respVersion, "RANDOMKEY"u8.ToArray(), []);
            var failure = new PartFailure();
            foreach (var node in order)
            {
                if (node == _host.SelfId)
                {
                    if (RespScanCommands.TryRandomKey(_host.Keyspace, out var key))
                    {
                        RespWriter.WriteBulkString(slot, key);
                        OnSlotCompleted(slot);
                        return;
                    }
                    continue;
                }
                var link = _host.Peers.LinkTo(node);
                if (link is null)
                {
                    failure.AddUnsent(_host.Peers.UnavailableMessage(node));
                    continue;
                }
                var result = await link.CallAsync(new RespExecuteRequest(body), ResponseShape.Body, _host.ForwardTimeout, node, inDoubtIfLost: true).ConfigureAwait(false);
                if (result.IsError)
                    failure.AddCall(node, result);
                else if (result.Payload is [(byte)'$', ..] bulk && !bulk.AsSpan().StartsWith("$-1"u8))
                {
                    RespWriter.WriteRaw(slot, bulk);
                    OnSlotCompleted(slot);
                    return;
                }
            }
            // Null only when every node answered that it has none; a key of another node is still a random key.
            if (!failure.Failed)
                RespKeyCommands.WriteNull(slot, respVersion);
            else
                RespWriter.WriteError(slot, failure.Code("CLUSTERDOWN"u8), Encoding.UTF8.GetBytes($"no key found on the nodes that answered ({failure.Message})"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        OnSlotCompleted(slot);
    }
}
