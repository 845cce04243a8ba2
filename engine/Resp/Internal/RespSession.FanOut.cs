using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.CommandTable;
using System.Text;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Keyspace;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// DEL, UNLINK, EXISTS and TOUCH over keys on several nodes: split by owner, run at each owner (here on the
/// keyspace, elsewhere as one RespExecute per owner, all in parallel), and answer the sum, as Redis Cluster clients
/// compute it when they split such a command per node themselves.
/// </summary>
/// <remarks>
/// Not atomic across owners (Redis Cluster's own split is not either); each owner applies its part atomically per key.
/// The command takes a reply slot in the ordered queue and registers its keys with the connection's
/// <see cref="RequestOrder"/>, so later commands on those keys wait for it. A part that fails (an owner
/// unreachable, a locked key) makes the whole reply that part's error, after the other parts have run: the error
/// says so, since their effects cannot be taken back, and no count is answered then (one that left out a part would
/// pass for the whole). The error's code follows <see cref="PartFailure"/>: <c>-TIMEOUT</c> when a part was sent and
/// its answer lost (a DEL's keys there may or may not have been deleted), <c>-CLUSTERDOWN</c> when a part could not be
/// sent, <c>-TRYAGAIN</c> for a locked key or a handover that outlasted the waits.
/// </remarks>
internal sealed partial class RespSession
{
    private static bool CanFanOut(RespCommandKind kind) =>
        kind is RespCommandKind.Del or RespCommandKind.Unlink or RespCommandKind.Exists or RespCommandKind.Touch;

    private Outcome StartFanOut()
    {
        var c = _command;
        var keys = new byte[c.Count - 1][];
        var all = new ReadOnlyMemory<byte>[keys.Length];
        for (var i = 1; i < c.Count; i++)
            all[i - 1] = keys[i - 1] = c.GetArgument(i).ToArray();
        var slot = QueueLateReply();
        var ticket = _order.Begin(all);
        var name = Encoding.ASCII.GetBytes(RespCommandSpecs.Get(c.Kind)!.Name);
        using (ExecutionContext.SuppressFlow())
            _ = RunFanOutAsync(slot, c.Kind, name, keys, (byte)_respVersion, ticket);
        return Outcome.Continue;
    }

    /// <summary>
    /// Runs each owner's part (in parallel), then the keys a part's owner refused for a slot move again, grouped by the
    /// owners of the state then, after HandoverRetry's pauses (1 ms, then up to 32 ms, about 2 s): a refused part ran
    /// nothing (RespExecute checks every key first; here each key is checked before it is touched), so every key is
    /// counted once. TRYAGAIN only when a handover outlasts the bound.
    /// </summary>
    private async Task RunFanOutAsync(ReplySlot slot, RespCommandKind kind, byte[] name, IReadOnlyList<byte[]> keys, byte respVersion, object ticket)
    {
        try
        {
            long sum = 0;
            var failure = new PartFailure();
            var parts = new List<(ushort Owner, List<byte[]> Keys, Task<ResponseResult> Call)>();
            for (var attempt = 0; ; attempt++)
            {
                var more = attempt + 1 < HandoverRetry.Attempts;
                var groups = GroupByOwner(keys);
                List<byte[]>? refused = null;
                parts.Clear();
                foreach (var (owner, part) in groups)
                {
                    if (owner == _host.SelfId)
                        continue;
                    var link = _host.Peers.LinkTo(owner);
                    if (link is null)
                    {
                        failure.AddUnsent(_host.Peers.UnavailableMessage(owner));
                        continue;
                    }
                    _metrics?.CountForward(); // each part counts, a re-sent one again
                    var request = new RespExecuteRequest(EncodeRespExecute(respVersion, name, part));
                    // In doubt once written: a part lost after that may have run (Timeout), one never sent did not.
                    parts.Add((owner, part, link.CallAsync(request, ResponseShape.Body, _host.ForwardTimeout, owner, inDoubtIfLost: true).AsTask()));
                }
                if (groups.TryGetValue(_host.SelfId, out var local))
                    sum += RunLocalPart(kind, local, failure, ref refused);
                foreach (var (owner, part, call) in parts)
                {
                    var result = await call.ConfigureAwait(false);
                    if (result.Status is StatusCode.WrongNode or StatusCode.Moving)
                        (refused ??= []).AddRange(part); // ran nothing: sent again after the handover
                    else if (result.IsError)
                        failure.AddCall(owner, result);
                    else if (!TryReadInteger(result.Payload, out var count, out var error))
                        failure.Add(StatusCode.InternalError, $"node {owner}: {error}");
                    else
                        sum += count;
                }
                if (refused is null)
                    break;
                if (!more)
                {
                    failure.Add(StatusCode.Moving, "a key's slot is being handed to another node, retry");
                    break;
                }
                keys = refused;
                await Task.Delay(HandoverRetry.DelayMs(attempt)).ConfigureAwait(false);
                await AfterReroutesAsync().ConfigureAwait(false);
            }
            if (!failure.Failed)
            {
                RespWriter.WriteInteger(slot, sum);
            }
            else
            {
                // Never a count: one that leaves out a part would pass for the whole answer.
                var writes = kind is RespCommandKind.Del or RespCommandKind.Unlink;
                var what = !writes ? "could not be looked up" : failure.InDoubt ? "may or may not have been deleted" : "could not be deleted";
                RespWriter.WriteError(slot, failure.Code("TRYAGAIN"u8), Encoding.UTF8.GetBytes(writes
                    ? $"part of the keys {what} ({failure.Message}); the keys of the other nodes were"
                    : $"part of the keys {what} ({failure.Message})"));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        // DEL/UNLINK: the local part's records were appended before this point; the reply waits until they are durable.
        if (kind is RespCommandKind.Del or RespCommandKind.Unlink)
            _host.Keyspace.Durability?.HoldAllAppended(_connection);
        _order.End(ticket);
        OnSlotCompleted(slot);
    }

    /// <summary>
    /// Completes once no command of this connection is being re-routed (RespSession.Reroute.cs). A part refused for a
    /// move is sent again only after that: a single-key command sent before it on the same link was refused first (a
    /// link's frames run in order) and must take effect first, so a pipelined <c>SET k 1</c>, <c>DEL k j</c> still
    /// deletes <c>k</c>. Only a re-route holds a barrier while a fan-out or WATCH runs (FLUSHALL and KEYS start only on
    /// an idle connection).
    /// </summary>
    private async ValueTask AfterReroutesAsync()
    {
        // Bounded: a re-route ends within HandoverRetry's bound plus a forward timeout.
        while (_order.HasBarrier)
            await _order.WhenSomeEndsAsync().ConfigureAwait(false);
    }

    /// <summary>The keys grouped by their owner in the current state, in their order.</summary>
    private Dictionary<ushort, List<byte[]>> GroupByOwner(IReadOnlyList<byte[]> keys)
    {
        var state = _host.Cluster.Current;
        var groups = new Dictionary<ushort, List<byte[]>>();
        foreach (var key in keys)
        {
            var owner = state.OwnerOf(key);
            if (!groups.TryGetValue(owner, out var list))
                groups.Add(owner, list = []);
            list.Add(key);
        }
        return groups;
    }

    /// <summary>
    /// FLUSHALL / FLUSHDB [ASYNC|SYNC]: every node of the cluster clears its keys (here on the keyspace, elsewhere as
    /// RespExecute), in parallel; answered OK when all have, an error naming the nodes that could not be reached
    /// otherwise. It waits for this connection's running transactions, and every later command waits for it.
    /// </summary>
    private Outcome StartFlush()
    {
        var c = _command;
        if (c.Count > 2 || (c.Count == 2 && !Ascii.EqualsIgnoreCase(c.GetArgument(1), "ASYNC"u8) && !Ascii.EqualsIgnoreCase(c.GetArgument(1), "SYNC"u8)))
        {
            RespWriter.WriteRaw(Target(), RespReplies.SyntaxError);
            return Outcome.Continue;
        }
        if (!_order.IsIdle)
            return Outcome.MustWait;
        var slot = QueueLateReply();
        var ticket = _order.BeginBarrier();
        using (ExecutionContext.SuppressFlow())
            _ = RunFlushAsync(slot, (byte)_respVersion, ticket);
        return Outcome.Continue;
    }

    private async Task RunFlushAsync(ReplySlot slot, byte respVersion, object ticket)
    {
        try
        {
            var body = EncodeRespExecute(respVersion, "FLUSHALL"u8.ToArray(), []);
            var failure = new PartFailure();
            var calls = CallEveryPeer(body, failure);
            var position = _host.Keyspace.Clear();
            if (position < 0)
                failure.Add(StatusCode.LogUnavailable, $"node {_host.SelfId}: its log cannot write to disk");
            else if (position > 0 && _host.Keyspace.Log is { } log && !await log.WhenDurableAsync(position).ConfigureAwait(false))
                failure.Add(StatusCode.LogUnavailable, $"node {_host.SelfId}: its log failed before the flush was on disk");
            foreach (var (node, call) in calls)
            {
                var result = await call.ConfigureAwait(false);
                if (result.IsError)
                    failure.AddCall(node, result);
            }
            if (!failure.Failed)
                RespWriter.WriteRaw(slot, RespReplies.Ok);
            else
                RespWriter.WriteError(slot, failure.Code("CLUSTERDOWN"u8), Encoding.UTF8.GetBytes(failure.InDoubt
                    ? $"not every node is known to be flushed ({failure.Message}); the others were"
                    : $"not every node could be flushed ({failure.Message}); the others were"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        _order.End(ticket);
        OnSlotCompleted(slot);
    }

    /// <summary>
    /// KEYS pattern over the whole cluster: every node walks its own keys (here on the keyspace, elsewhere as
    /// RespExecute), in parallel, and the answers are concatenated. Like Redis's KEYS it reads everything: meant for
    /// debugging and small key spaces, not for a hot path.
    /// </summary>
    private Outcome StartKeys()
    {
        if (!_order.IsIdle)
            return Outcome.MustWait; // after this connection's running writes, so they are listed
        var slot = QueueLateReply();
        var pattern = _command.GetArgument(1).ToArray();
        var ticket = _order.BeginBarrier();
        using (ExecutionContext.SuppressFlow())
            _ = RunKeysAsync(slot, pattern, (byte)_respVersion, ticket);
        return Outcome.Continue;
    }

    private async Task RunKeysAsync(ReplySlot slot, byte[] pattern, byte respVersion, object ticket)
    {
        try
        {
            var body = EncodeRespExecute(respVersion, "KEYS"u8.ToArray(), [pattern]);
            var failure = new PartFailure();
            var calls = CallEveryPeer(body, failure);
            var keys = RespKeyCommands.CollectKeys(_host.Keyspace, pattern);
            foreach (var (node, call) in calls)
            {
                var result = await call.ConfigureAwait(false);
                if (result.IsError)
                    failure.AddCall(node, result);
                else if (!TryReadBulkArray(result.Payload, keys))
                    failure.Add(StatusCode.InternalError, $"node {node}: malformed KEYS reply");
            }
            if (failure.Failed)
            {
                // Never the keys of the nodes that answered alone: a list missing a node's keys would pass for the whole.
                RespWriter.WriteError(slot, failure.Code("CLUSTERDOWN"u8), Encoding.UTF8.GetBytes($"not every node could be listed ({failure.Message})"));
            }
            else
            {
                RespWriter.WriteArrayHeader(slot, keys.Count);
                foreach (var key in keys)
                    RespWriter.WriteBulkString(slot, key);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        _order.End(ticket);
        OnSlotCompleted(slot);
    }

    /// <summary>Appends the bulk strings of a RESP array reply (a peer's KEYS) to <paramref name="into"/>; false when it is not one.</summary>
    private static bool TryReadBulkArray(byte[]? reply, List<byte[]> into)
    {
        if (reply is null || reply.Length < 4 || reply[0] != '*')
            return false;
        var at = 0;
        if (!TryReadLine(reply, ref at, out var count))
            return false;
        for (long i = 0; i < count; i++)
        {
            if (at >= reply.Length || reply[at] != '$' || !TryReadLine(reply, ref at, out var length) || length < 0 || at + length + 2 > reply.Length)
                return false;
            into.Add(reply.AsSpan(at, (int)length).ToArray());
            at += (int)length + 2;
        }
        return at == reply.Length;

        static bool TryReadLine(byte[] reply, ref int at, out long number)
        {
            number = 0;
            var end = reply.AsSpan(at).IndexOf("\r\n"u8);
            if (end < 2)
                return false;
            var ok = RespInteger.TryParseInt64(reply.AsSpan(at + 1, end - 1), out number);
            at += end + 2;
            return ok;
        }
    }

    /// <summary>
    /// Sends one RespExecute to every other member of the cluster at once; a member without a live link is named in
    /// <paramref name="failure"/>. Each is in doubt once written (<see cref="PartFailure"/>: a lost answer is Timeout).
    /// </summary>
    private List<(ushort Node, Task<ResponseResult> Call)> CallEveryPeer(byte[] body, PartFailure failure)
    {
        var calls = new List<(ushort Node, Task<ResponseResult> Call)>();
        foreach (var member in _host.Cluster.Current.Members.Members)
        {
            if (member.NodeId == _host.SelfId)
                continue;
            var link = _host.Peers.LinkTo(member.NodeId);
            if (link is null)
            {
                failure.AddUnsent(_host.Peers.UnavailableMessage(member.NodeId));
                continue;
            }
            calls.Add((member.NodeId, link.CallAsync(new RespExecuteRequest(body), ResponseShape.Body, _host.ForwardTimeout, member.NodeId, inDoubtIfLost: true).AsTask()));
        }
        return calls;
    }

    /// <summary>
    /// The part of a fan-out this node owns, on its keyspace: deleted or existing keys counted. A key of a slot this
    /// node is handing over is not touched (its copy may be older than the new owner's, for reads too) but added to
    /// <paramref name="refused"/>, to run again after the handover.
    /// </summary>
    private long RunLocalPart(RespCommandKind kind, List<byte[]> keys, PartFailure failure, ref List<byte[]>? refused)
    {
        var keyspace = _host.Keyspace;
        long count = 0;
        foreach (var key in keys)
        {
            if (kind is RespCommandKind.Exists or RespCommandKind.Touch)
            {
                if (keyspace.IsHandedAway(key))
                    (refused ??= []).Add(key);
                else if (keyspace.TryGet(key, out _))
                    count++;
                continue;
            }
            var result = keyspace.Delete(key);
            if (result == KeyWriteResult.Ok)
            {
                count++;
                keyspace.Notify(NotifyClass.Generic, "del"u8, key);
            }
            else if (result == KeyWriteResult.Locked)
                failure.Add(StatusCode.Locked, $"node {_host.SelfId}: a key is locked by a transaction");
            else if (result == KeyWriteResult.LogUnavailable)
                failure.Add(StatusCode.LogUnavailable, $"node {_host.SelfId}: the node cannot write its log to disk");
            else if (result == KeyWriteResult.Moving)
                (refused ??= []).Add(key); // refused under the key's gate: nothing changed
        }
        return count;
    }

    /// <summary>A RespExecute body: the RESP version byte, then the command as a multibulk.</summary>
    private static byte[] EncodeRespExecute(byte respVersion, byte[] name, List<byte[]> keys)
    {
        var text = new MemoryStream();
        text.WriteByte(respVersion);
        WriteLine(text, '*', keys.Count + 1);
        WriteBulk(text, name);
        foreach (var key in keys)
            WriteBulk(text, key);
        return text.ToArray();

        static void WriteBulk(MemoryStream text, byte[] bytes)
        {
            WriteLine(text, '$', bytes.Length);
            text.Write(bytes);
            text.Write("\r\n"u8);
        }

        static void WriteLine(MemoryStream text, char prefix, int number)
        {
            text.WriteByte((byte)prefix);
            text.Write(Encoding.ASCII.GetBytes(number.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            text.Write("\r\n"u8);
        }
    }

    /// <summary>Reads an owner's reply to a fan-out part: an integer, or the error it answered instead.</summary>
    private static bool TryReadInteger(byte[]? reply, out long value, out string error)
    {
        value = 0;
        error = "the owner's reply is empty";
        if (reply is null || reply.Length < 3)
            return false;
        var line = reply.AsSpan(1, reply.Length - 3);
        if (reply[0] == ':' && RespInteger.TryParseInt64(line, out value))
            return true;
        error = reply[0] == '-' ? Encoding.UTF8.GetString(line) : "the owner's reply is not an integer";
        return false;
    }
}
