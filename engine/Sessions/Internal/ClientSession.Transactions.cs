using FastDht.Engine.Connections;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// A client's multi-key requests and explicit locks (MultiPut, MultiGet, Lock, Unlock, RenewLease), coordinated by
/// this node over whichever nodes own the keys.
/// </summary>
/// <remarks>
/// The read loop never waits for a lock: each request copies what it needs out of the receive pipe, runs on, and
/// is answered later under the writer lock; requests behind it go on being served.
/// </remarks>
internal sealed partial class ClientSession
{
    private ValueTask<bool> TransactionAsync(Frame frame)
    {
        var header = frame.Header;
        var body = BodyOf(frame);
        var limits = ReceiveLimits;
        var id = header.RequestId;
        var op = header.Opcode;
        var coordinator = _host.Coordinator;
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
                ReplyLater(id, op, _order.Begin(keys), coordinator.MultiPutAsync(keys, values));
                return new ValueTask<bool>(true);
            }
            case Opcode.MultiGet:
            {
                if (!RequestDecoder.TryReadMultiGet(body, limits, out var list, out error))
                    break;
                var keys = KeyCopies.Of(list);
                ReplyLater(id, op, _order.Begin(keys), coordinator.MultiGetAsync(keys));
                return new ValueTask<bool>(true);
            }
            case Opcode.Lock:
            {
                if (!RequestDecoder.TryReadLock(body, limits, out var wireTxn, out var mode, out var leaseMs, out var list, out error))
                    break;
                if (leaseMs == 0)
                    return ReplyErrorAsync(header, StatusCode.BadRequest, "leaseMs must be at least 1");
                var self = _host.Mesh.Identity.SelfId;
                if (wireTxn.NodeId != self)
                    return ReplyErrorAsync(header, StatusCode.BadRequest, $"a Lock's transaction id must name the node it is sent to ({self}) as its coordinator, not {wireTxn.NodeId}");
                var keys = KeyCopies.Of(list);
                ReplyLater(id, op, _order.Begin(keys, TransactionKey(wireTxn)), coordinator.LockAsync(SessionId, TxnIds.ToLocking(wireTxn), TxnIds.ToLocking(mode), TimeSpan.FromMilliseconds(leaseMs), keys));
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
                    keys = KeyCopies.Of(unlockKeys);
                }
                else
                {
                    if (!RequestDecoder.TryReadRenewLease(body, limits, out wireTxn, out leaseMs, out var renewKeys, out error))
                        break;
                    keys = KeyCopies.Of(renewKeys);
                }
                if (leaseMs == 0)
                    return ReplyErrorAsync(header, StatusCode.BadRequest, "leaseMs must be at least 1");
                ReplyLater(id, op, null, coordinator.UnlockOrRenewAsync(SessionId, op, TxnIds.ToLocking(wireTxn), TimeSpan.FromMilliseconds(leaseMs), keys));
                return new ValueTask<bool>(true);
            }
            default:
                return ReplyErrorAsync(header, StatusCode.InternalError, "not a client transaction operation");
        }
        return ReplyErrorAsync(header, error.Status, error.Message);
    }

    /// <summary>
    /// Answers a request whose work runs off the read loop when it ends: counted as owed until written, so a
    /// half-closed client still gets it; <paramref name="ticket"/> (from <see cref="RequestOrder.Begin"/>) ends when
    /// the work has taken effect, releasing later requests on its keys.
    /// </summary>
    private void ReplyLater(uint id, Opcode op, object? ticket, Task<TxnResult> work)
    {
        AnswerOwed();
        _ = ReplyWhenDoneAsync(id, op, ticket, work, _batchStarted);
    }

    private async Task ReplyWhenDoneAsync(uint id, Opcode op, object? ticket, Task<TxnResult> work, long started)
    {
        TxnResult result;
        try
        {
            result = await work.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SessionLog.SessionFailed(_host.Logger, Connection.RemoteEndPoint, e);
            result = new TxnResult(new TxnStep(StatusCode.InternalError, $"{op} failed unexpectedly: {e.Message}"));
        }
        finally
        {
            if (ticket is not null)
                _order.End(ticket);
        }
        var reply = new TxnReply(id, op, result, frameLimit: Math.Min(SendLimit, ReceiveLimits.MaxFrameSize));
        // A MultiPut's records were appended by its participants on other threads, before its result: hold the
        // answer until everything appended so far is durable, which includes them.
        if (op == Opcode.MultiPut)
            Durability?.HoldAllAppended(Connection);
        await GiveAnswerAsync(reply).ConfigureAwait(false);
        AnsweredLater(op, result.Step.Status, started);
    }
}
