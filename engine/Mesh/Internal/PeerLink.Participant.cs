using FastDht.Engine.Connections;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// The participant side of transactions: a peer coordinator's Txn* calls, and its parts of a client's Unlock and
/// RenewLease, on the keys this node owns; plus TxnWound, a participant telling this node's coordinator.
/// </summary>
/// <remarks>
/// The read loop never waits for a lock: TxnLock copies what it needs out of the receive pipe and answers later; the
/// requests behind it go on being served.
/// </remarks>
internal sealed partial class PeerLink
{
    private ValueTask<bool> ParticipantAsync(Frame frame)
    {
        var header = frame.Header;
        var body = BodyOf(frame);
        var limits = ReceiveLimits;
        var id = header.RequestId;
        var op = header.Opcode;
        var participant = _mesh.Participant;
        var self = _mesh.Identity.SelfId;
        ProtocolError error;
        switch (op)
        {
            case Opcode.TxnLock:
            {
                if (!RequestDecoder.TryReadTxnLock(body, limits, out var wireTxn, out var mode, out var attempt, out var leaseMs, out var list, out error))
                    break;
                if (leaseMs == 0)
                    return ReplyErrorAsync(header, StatusCode.BadRequest, "leaseMs must be at least 1");
                var keys = KeyCopies.Of(list);
                if (!AllLocal(keys, out var foreign, out var epoch))
                    return ReplyAsync(new WrongNodeReply(id, op, $"node {self} does not own every key of this TxnLock (node {foreign} does)", epoch, foreign));
                BeginServing();
                _ = ReplyLaterAsync(id, op, LockAsParticipantAsync(TxnIds.ToLocking(wireTxn), TxnIds.ToLocking(mode), TimeSpan.FromMilliseconds(leaseMs), attempt, keys));
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
                // A coordinator's part for the keys this node owns; never coordinated again (no loops).
                if (!AllLocal(keys, out var foreign, out var epoch))
                    return ReplyAsync(new WrongNodeReply(id, op, $"node {self} does not own every key of this request (node {foreign} does)", epoch, foreign));
                var txn = TxnIds.ToLocking(wireTxn);
                var step = op == Opcode.Unlock ? participant.Unlock(txn, keys) : participant.Renew(txn, TimeSpan.FromMilliseconds(leaseMs), keys);
                return ReplyAsync(new TxnReply(id, op, new TxnResult(step)));
            }
            case Opcode.TxnPin:
            case Opcode.TxnWound:
            {
                if (!RequestDecoder.TryReadTxnId(body, out var wireTxn, out error))
                    break;
                var txn = TxnIds.ToLocking(wireTxn);
                var step = TxnStep.Ok;
                if (op == Opcode.TxnWound)
                    _mesh.Coordinator.OnWounded(txn);
                else if (!participant.Pin(txn))
                    step = new TxnStep(StatusCode.Wounded, $"transaction {txn} cannot keep its locks at node {self}: it was wounded or holds nothing here");
                return ReplyAsync(new TxnReply(id, op, new TxnResult(step)));
            }
            case Opcode.TxnWaitsFor:
            {
                if (!RequestDecoder.TryReadEmpty(body, out error))
                    break;
                // As many edges as the answer can carry within the smaller of the two frame limits; a larger graph is
                // cut, and a cycle left out is found in a later round once others are broken.
                var room = (int)Math.Max(0, (Math.Min(SendLimit, ReceiveLimits.MaxFrameSize) - FrameWriter.TxnWaitsForResponseFrameLength(0) + 4) / (2 * ProtocolConstants.TxnIdSize));
                var edges = new List<Locking.WaitForEdge>();
                participant.Table.CollectWaitsFor(edges, room);
                return ReplyAsync(new TxnWaitsForReply(id, edges));
            }
            case Opcode.TxnPrepare:
            {
                if (!RequestDecoder.TryReadTxnPrepare(body, limits, out var wireTxn, out var attempt, out var coordinatorIncarnation, out var members, out var writes, out error))
                    break;
                // The vote leaves once the replicas have the prepare record (with replicas): a replica promoted
                // after a yes holds the part it voted for.
                return ReplyAfterReplicasAsync(new TxnReply(id, op, new TxnResult(_mesh.Coordinator.OnPrepare(TxnIds.ToLocking(wireTxn), attempt, coordinatorIncarnation, members, writes))));
            }
            case Opcode.TxnCommit:
            case Opcode.TxnAbort:
            case Opcode.TxnStatus:
            {
                if (!RequestDecoder.TryReadTxnAttempt(body, out var wireTxn, out var attempt, out error))
                    break;
                var txn = TxnIds.ToLocking(wireTxn);
                if (op == Opcode.TxnStatus)
                    return ReplyAsync(new TxnReply(id, op, new TxnResult(TxnStep.Ok, outcome: _mesh.Coordinator.Status(txn, attempt)), _mesh.Identity.Incarnation));
                // A commit's record is appended on this thread: the reply helper holds the answer until it is durable.
                return ReplyAfterReplicasAsync(new TxnReply(id, op, new TxnResult(participant.Decide(new TxnDecision(txn, attempt, op == Opcode.TxnCommit)))));
            }
            case Opcode.TxnRead:
            {
                if (!RequestDecoder.TryReadTxnRead(body, limits, out var wireTxn, out var list, out error))
                    break;
                var keys = KeyCopies.Of(list);
                var results = new LookupResult[keys.Length];
                var step = participant.Read(TxnIds.ToLocking(wireTxn), keys, results);
                return ReplyAsync(new TxnReply(id, op, new TxnResult(step, values: results), frameLimit: Math.Min(SendLimit, ReceiveLimits.MaxFrameSize)));
            }
            default:
                return ReplyErrorAsync(header, StatusCode.InternalError, "not a transaction operation");
        }
        return ReplyErrorAsync(header, error.Status, error.Message);
    }

    private async Task<TxnResult> LockAsParticipantAsync(Locking.TxnId txn, Locking.LockMode mode, TimeSpan lease, int attempt, ReadOnlyMemory<byte>[] keys)
    {
        var tokens = new long[keys.Length];
        // Held under this link's session: if the coordinator's node goes away, the link's close frees them (and any the
        // batch takes after the close).
        var step = await _mesh.Participant.LockAsync(txn, mode, lease, attempt, _locks, keys, tokens).ConfigureAwait(false);
        return new TxnResult(step, tokens: tokens);
    }

    /// <summary>Answers a request whose work runs off the read loop, when it ends.</summary>
    private async Task ReplyLaterAsync(uint id, Opcode op, Task<TxnResult> work)
    {
        try
        {
            TxnResult result;
            try
            {
                result = await work.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                MeshLog.SessionFailed(_mesh.Logger, Connection.RemoteEndPoint, e);
                result = new TxnResult(new TxnStep(StatusCode.InternalError, $"{op} failed unexpectedly: {e.Message}"));
            }
            await SendOwedAsync(new TxnReply(id, op, result)).ConfigureAwait(false);
        }
        finally
        {
            EndServing();
        }
    }

    /// <summary>Whether this node owns every key, in one reading of the cluster state (whose epoch a WrongNode answer names).</summary>
    private bool AllLocal(ReadOnlyMemory<byte>[] keys, out ushort foreign, out ulong epoch)
    {
        var self = _mesh.Identity.SelfId;
        var state = _mesh.Cluster.Current;
        epoch = state.Epoch;
        foreach (var key in keys)
        {
            foreign = state.OwnerOf(key.Span);
            if (foreign != self)
                return false;
        }
        foreign = self;
        return true;
    }
}
