using System.IO.Pipelines;
using System.Runtime.InteropServices;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Node.Internal;

/// <summary>
/// Transactions on a session: the client side (MultiPut, MultiGet, Lock, Unlock, RenewLease), coordinated by this
/// node, and the participant side (Txn* from a peer's coordinator) on this node's own keys.
/// </summary>
/// <remarks>
/// The read loop never waits for a lock: a request that may wait copies what it needs out of the receive pipe and
/// runs on, answering later under the writer lock; requests behind it go on being served.
/// </remarks>
internal sealed partial class NodeSession
{
    private ValueTask<bool> TransactionAsync(Frame frame)
    {
        var header = frame.Header;
        var body = BodyOf(frame);
        var limits = ReceiveLimits;
        var id = header.RequestId;
        var op = header.Opcode;
        var participant = _core.Participant;
        ProtocolError error;
        switch (op)
        {
            case Opcode.MultiPut:
            {
                if (!RequestDecoder.TryReadMultiPut(body, limits, out var entries, out error))
                    break;
                var keys = new ReadOnlyMemory<byte>[entries.Count];
                var values = new ReadOnlyMemory<byte>[entries.Count];
                var i = 0;
                foreach (var e in entries)
                {
                    keys[i] = e.Key.ToArray();
                    values[i++] = e.Value.ToArray();
                }
                _ = ReplyLaterAsync(id, op, _core.Coordinator.MultiPutAsync(keys, values));
                return new ValueTask<bool>(true);
            }
            case Opcode.MultiGet:
            {
                if (!RequestDecoder.TryReadMultiGet(body, limits, out var list, out error))
                    break;
                _ = ReplyLaterAsync(id, op, _core.Coordinator.MultiGetAsync(CopyKeys(list)));
                return new ValueTask<bool>(true);
            }
            case Opcode.Lock:
            case Opcode.TxnLock:
            {
                Protocol.TxnId wireTxn;
                Protocol.LockMode mode;
                ushort attempt = 0;
                uint leaseMs;
                scoped KeyList list;
                if (op == Opcode.Lock
                        ? !RequestDecoder.TryReadLock(body, limits, out wireTxn, out mode, out leaseMs, out list, out error)
                        : !RequestDecoder.TryReadTxnLock(body, limits, out wireTxn, out mode, out attempt, out leaseMs, out list, out error))
                    break;
                if (leaseMs == 0)
                    return ReplyErrorAsync(header, StatusCode.BadRequest, "leaseMs must be at least 1");
                var txn = TxnIds.ToLocking(wireTxn);
                var lease = TimeSpan.FromMilliseconds(leaseMs);
                var keys = CopyKeys(list);
                if (op == Opcode.Lock)
                {
                    if (wireTxn.NodeId != _core.SelfId)
                        return ReplyErrorAsync(header, StatusCode.BadRequest, $"a Lock's transaction id must name the node it is sent to ({_core.SelfId}) as its coordinator, not {wireTxn.NodeId}");
                    _ = ReplyLaterAsync(id, op, _core.Coordinator.LockAsync(SessionId, txn, TxnIds.ToLocking(mode), lease, keys));
                }
                else
                {
                    if (!AllLocal(keys, out var foreign))
                        return ReplyWrongNodeAsync(header, foreign, _core.Cluster.Current.Epoch, $"node {_core.SelfId} does not own every key of this TxnLock (node {foreign} does)");
                    _ = ReplyLaterAsync(id, op, LockAsParticipantAsync(txn, TxnIds.ToLocking(mode), lease, attempt, keys));
                }
                return new ValueTask<bool>(true);
            }
            case Opcode.Unlock:
            case Opcode.RenewLease:
            {
                Protocol.TxnId wireTxn;
                uint leaseMs = 1;
                ReadOnlyMemory<byte>[] keys;
                if (op == Opcode.Unlock)
                {
                    if (!RequestDecoder.TryReadUnlock(body, limits, out wireTxn, out var unlockKeys, out error))
                        break;
                    keys = CopyKeys(unlockKeys);
                }
                else
                {
                    if (!RequestDecoder.TryReadRenewLease(body, limits, out wireTxn, out leaseMs, out var renewKeys, out error))
                        break;
                    keys = CopyKeys(renewKeys);
                }
                if (leaseMs == 0)
                    return ReplyErrorAsync(header, StatusCode.BadRequest, "leaseMs must be at least 1");
                var txn = TxnIds.ToLocking(wireTxn);
                var lease = TimeSpan.FromMilliseconds(leaseMs);
                if (_role == SessionRole.Peer)
                {
                    // A coordinator's part for the keys this node owns; never coordinated again (no loops).
                    if (!AllLocal(keys, out var foreign))
                        return ReplyWrongNodeAsync(header, foreign, _core.Cluster.Current.Epoch, $"node {_core.SelfId} does not own every key of this request (node {foreign} does)");
                    var step = op == Opcode.Unlock ? participant.Unlock(txn, keys) : participant.Renew(txn, lease, keys);
                    return ReplyNowAsync(id, op, new TxnResult(step));
                }
                _ = ReplyLaterAsync(id, op, _core.Coordinator.UnlockOrRenewAsync(SessionId, op, txn, lease, keys));
                return new ValueTask<bool>(true);
            }
            case Opcode.TxnPin:
            case Opcode.TxnWound:
            {
                if (!RequestDecoder.TryReadTxnId(body, out var wireTxn, out error))
                    break;
                var txn = TxnIds.ToLocking(wireTxn);
                var step = TxnStep.Ok;
                if (op == Opcode.TxnWound)
                    _core.Coordinator.OnWounded(txn);
                else if (!participant.Pin(txn))
                    step = new TxnStep(StatusCode.Wounded, $"transaction {txn} cannot keep its locks at node {_core.SelfId}: it was wounded or holds nothing here");
                return ReplyNowAsync(id, op, new TxnResult(step));
            }
            case Opcode.TxnPrepare:
            {
                if (!RequestDecoder.TryReadTxnPrepare(body, limits, out var wireTxn, out var attempt, out var coordinatorIncarnation, out var members, out var writes, out error))
                    break;
                return ReplyNowAsync(id, op, new TxnResult(_core.Coordinator.OnPrepare(TxnIds.ToLocking(wireTxn), attempt, coordinatorIncarnation, members, writes)));
            }
            case Opcode.TxnCommit:
            case Opcode.TxnAbort:
            case Opcode.TxnStatus:
            {
                if (!RequestDecoder.TryReadTxnAttempt(body, out var wireTxn, out var attempt, out error))
                    break;
                var txn = TxnIds.ToLocking(wireTxn);
                if (op == Opcode.TxnStatus)
                    return ReplyNowAsync(id, op, new TxnResult(TxnStep.Ok, outcome: _core.Coordinator.Status(txn, attempt)));
                var decided = participant.Decide(new TxnDecision(txn, attempt, op == Opcode.TxnCommit));
                // A commit's record was appended on this thread; the acknowledgement may leave from another (slow path).
                if (op == Opcode.TxnCommit)
                    _core.Keyspace.Durability?.HoldThisThreadsWrites(Connection);
                return ReplyNowAsync(id, op, new TxnResult(decided));
            }
            case Opcode.TxnRead:
            {
                if (!RequestDecoder.TryReadTxnRead(body, limits, out var wireTxn, out var list, out error))
                    break;
                var keys = CopyKeys(list);
                var results = new LookupResult[keys.Length];
                var step = participant.Read(TxnIds.ToLocking(wireTxn), keys, results);
                return ReplyNowAsync(id, op, new TxnResult(step, values: results));
            }
            default:
                return ReplyErrorAsync(header, StatusCode.InternalError, "not a transaction operation");
        }
        return ReplyErrorAsync(header, error.Status, error.Message);
    }

    private async Task<TxnResult> LockAsParticipantAsync(Locking.TxnId txn, Locking.LockMode mode, TimeSpan lease, int attempt, ReadOnlyMemory<byte>[] keys)
    {
        var tokens = new long[keys.Length];
        // Held under this link's session: if the coordinator's node goes away, the link's close frees them.
        var step = await _core.Participant.LockAsync(txn, mode, lease, attempt, SessionId, keys, tokens).ConfigureAwait(false);
        return new TxnResult(step, tokens: tokens);
    }

    private bool AllLocal(ReadOnlyMemory<byte>[] keys, out ushort foreign)
    {
        foreach (var key in keys)
        {
            foreign = _core.OwnerOf(key.Span);
            if (foreign != _core.SelfId)
                return false;
        }
        foreign = _core.SelfId;
        return true;
    }

    private static ReadOnlyMemory<byte>[] CopyKeys(KeyList list)
    {
        var keys = new ReadOnlyMemory<byte>[list.Count];
        var i = 0;
        foreach (var key in list)
            keys[i++] = key.ToArray();
        return keys;
    }

    private ValueTask<bool> ReplyNowAsync(uint id, Opcode op, TxnResult result)
    {
        if (Connection.TryEnterWrite(out var writer))
        {
            WriteTxnResponse(writer, id, op, result);
            EndResponse();
            return new ValueTask<bool>(true);
        }
        return ReplyNowSlowAsync(id, op, result);
    }

    private async ValueTask<bool> ReplyNowSlowAsync(uint id, Opcode op, TxnResult result)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        WriteTxnResponse(writer, id, op, result);
        EndResponse();
        return true;
    }

    /// <summary>Answers a request whose work runs off the read loop, when it ends; flushed at once (the batch's flush is long gone).</summary>
    private async Task ReplyLaterAsync(uint id, Opcode op, Task<TxnResult> work)
    {
        TxnResult result;
        try
        {
            result = await work.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NodeLog.SessionFailed(_core.Logger, Connection.RemoteEndPoint, e);
            result = new TxnResult(new TxnStep(StatusCode.InternalError, $"{op} failed unexpectedly: {e.Message}"));
        }
        try
        {
            var writer = await BeginResponseAsync().ConfigureAwait(false);
            if (writer is null)
                return;
            WriteTxnResponse(writer, id, op, result);
            // A MultiPut's records were appended by its participants on other threads, before its result: hold the
            // answer until everything appended so far is durable, which includes them.
            if (op == Opcode.MultiPut)
                _core.Keyspace.Durability?.HoldAllAppended(Connection);
            await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The client went away meanwhile: nobody is left to answer.
        }
    }

    private void WriteTxnResponse(PipeWriter writer, uint id, Opcode op, in TxnResult result)
    {
        var step = result.Step;
        if (!step.IsOk)
        {
            FrameWriter.WriteErrorResponse(writer, id, op, step.Status, step.Message ?? step.Status.ToString());
            return;
        }
        switch (op)
        {
            case Opcode.MultiPut:
                FrameWriter.WriteMultiPutResponse(writer, id, result.Attempts);
                break;
            case Opcode.MultiGet:
                FrameWriter.WriteMultiGetResponse(writer, id, result.Values);
                break;
            case Opcode.TxnRead:
                FrameWriter.WriteTxnReadResponse(writer, id, result.Values);
                break;
            case Opcode.TxnStatus:
                FrameWriter.WriteTxnStatusResponse(writer, id, result.Outcome, _core.Incarnation);
                break;
            case Opcode.Lock:
            case Opcode.TxnLock:
                FrameWriter.WriteTokensResponse(writer, id, op, MemoryMarshal.Cast<long, ulong>(result.Tokens.AsSpan()));
                break;
            default:
                FrameWriter.WriteStatusResponse(writer, id, op, StatusCode.Ok);
                break;
        }
    }
}
