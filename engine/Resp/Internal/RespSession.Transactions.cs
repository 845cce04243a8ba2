using System.Text;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// MSET, MSETNX and MGET: atomic over keys on any nodes through the node's transaction coordinator (two-phase locking
/// through the lock manager), so neither a writer nor an MGET ever sees part of one MSET.
/// </summary>
/// <remarks>
/// The coordinator is asynchronous (it waits for locks at several owners), so the command takes a reply slot in the
/// ordered queue like a remote key and fills it when the transaction ends. Keys and values are copied out of the
/// receive buffer first: the transaction outlives the batch. Duplicate keys follow Redis: MSET's last value wins,
/// MGET answers each occurrence.
/// </remarks>
internal sealed partial class RespSession
{
    private Outcome StartTransaction()
    {
        var c = _command;
        var kind = c.Kind;
        var step = kind == RespCommandKind.MGet ? 1 : 2;
        var count = (c.Count - 1) / step;
        var index = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var keys = new List<ReadOnlyMemory<byte>>(count);
        var values = new List<ReadOnlyMemory<byte>>(step == 2 ? count : 0);
        var positions = new int[count];
        for (var i = 0; i < count; i++)
        {
            var key = c.GetArgument(1 + (i * step));
            var name = Encoding.Latin1.GetString(key);
            if (!index.TryGetValue(name, out var at))
            {
                at = keys.Count;
                index.Add(name, at);
                keys.Add(key.ToArray());
                if (step == 2)
                    values.Add(c.GetArgument(2 + (i * step)).ToArray());
            }
            else if (step == 2)
            {
                values[at] = c.GetArgument(2 + (i * step)).ToArray();
            }
            positions[i] = at;
        }

        var slot = QueueLateReply();
        var respVersion = _respVersion;
        var keyArray = keys.ToArray();
        // Later commands of this connection on these keys wait until the transaction has taken effect.
        var ticket = _order.Begin(keyArray);
        using (ExecutionContext.SuppressFlow())
            _ = RunTransactionAsync(slot, kind, keyArray, values.ToArray(), positions, respVersion, ticket);
        return Outcome.Continue;
    }

    private async Task RunTransactionAsync(ReplySlot slot, RespCommandKind kind, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values, int[] positions, int respVersion, object ticket)
    {
        try
        {
            var coordinator = _host.Coordinator;
            switch (kind)
            {
                case RespCommandKind.MSet:
                {
                    var result = await coordinator.MultiPutAsync(keys, values).ConfigureAwait(false);
                    if (result.Step.IsOk)
                    {
                        NotifySet(keys, positions);
                        RespWriter.WriteRaw(slot, RespReplies.Ok);
                    }
                    else
                        slot.WriteFailure(result.Step.Status, result.Step.Message ?? result.Step.Status.ToString());
                    break;
                }
                case RespCommandKind.MSetNx:
                {
                    var result = await coordinator.MultiPutIfAllAbsentAsync(keys, values).ConfigureAwait(false);
                    if (result.Step.IsOk)
                    {
                        NotifySet(keys, positions);
                        RespWriter.WriteRaw(slot, RespReplies.One);
                    }
                    else if (result.Step.Status == StatusCode.Exists)
                        RespWriter.WriteRaw(slot, RespReplies.Zero);
                    else
                        slot.WriteFailure(result.Step.Status, result.Step.Message ?? result.Step.Status.ToString());
                    break;
                }
                default:
                {
                    var result = await coordinator.MultiGetAsync(keys).ConfigureAwait(false);
                    if (!result.Step.IsOk || result.Values is null)
                    {
                        slot.WriteFailure(result.Step.Status, result.Step.Message ?? result.Step.Status.ToString());
                        break;
                    }
                    RespWriter.WriteArrayHeader(slot, positions.Length);
                    // The owners' keyspaces counted each read as a hit or a miss.
                    var events = _host.Keyspace.Events;
                    foreach (var at in positions)
                    {
                        var r = result.Values[at];
                        if (!r.Present && events is not null)
                            _server.Notifications.Emit(Keyspace.NotifyClass.KeyMiss, "keymiss"u8, keys[at].Span); // Redis's MGET miss event
                        // A collection is not a string: MGET answers nil for it, as Redis does.
                        if (r.Present && r.Type == 0)
                            RespWriter.WriteBulkString(slot, r.Value.Span);
                        else
                            RespKeyCommands.WriteNull(slot, respVersion);
                    }
                    break;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        // MSET/MSETNX: the participants appended their records before the result; the reply waits until they are durable.
        if (kind != RespCommandKind.MGet)
            _host.Keyspace.Durability?.HoldAllAppended(_connection);
        _order.End(ticket);
        OnSlotCompleted(slot);
    }

    /// <summary>
    /// MSET/MSETNX committed: Redis's "set" event for each key in the command's order, duplicates included, published at
    /// this node (the transaction's commit writes no events at the owners: a cluster-aware client sends a one-slot MSET
    /// to the owner anyway).
    /// </summary>
    private void NotifySet(ReadOnlyMemory<byte>[] keys, int[] positions)
    {
        if (_host.Keyspace.Events is null)
            return;
        foreach (var at in positions)
            _server.Notifications.Emit(Keyspace.NotifyClass.String, "set"u8, keys[at].Span);
    }
}
