using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace.Internal;
using FastDht.Engine.Mesh.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Replication on a link: the replica side of ReplicaSync (apply a primary's batch, answer once it is durable here), and
/// the answers to a peer's writes, which wait for this node's in-sync replicas one by one rather than holding the link.
/// </summary>
/// <remarks>
/// Why a link never holds its whole output for replicas: the same link carries the replicas' acknowledgements. Two
/// nodes that replicate each other would otherwise each hold, behind a reply waiting for the other's acknowledgement,
/// the acknowledgement the other waits for: a deadlock. So a link holds its output only for its own log (which makes
/// progress alone), and an answer to a write waits for the replicas by itself, off the read loop; answers may then
/// leave out of order, which the protocol allows.
/// </remarks>
internal sealed partial class PeerLink
{
    // A reply is written here first when it must wait for replicas; it never pauses (threshold 0): it holds one reply,
    // bounded by the frame limit, and is emptied at once.
    private static readonly PipeOptions ScratchOptions = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

    private Pipe? _scratch;

    /// <summary>
    /// Answers a request that may have written keys here: as <see cref="FrameSession.ReplyAsync{TReply}"/> without
    /// replicas; with them the reply is built first and leaves once every in-sync replica has what it wrote.
    /// </summary>
    private ValueTask<bool> ReplyAfterReplicasAsync<TReply>(TReply reply)
        where TReply : struct, IReply
    {
        var stream = _mesh.Keyspace.Replication;
        if (stream is null)
            return ReplyAsync(reply);
        var scratch = _scratch ??= new Pipe(ScratchOptions);
        reply.Write(scratch.Writer); // runs the request if the reply does (LocalKeyReply), on this thread
        var mark = stream.TakeThreadMark();
        Durability?.HoldThisThreadsWrites(Connection); // this link's log barrier, taken on the thread that wrote
        _ = scratch.Writer.FlushAsync(); // never pauses: completes at once
        scratch.Reader.TryRead(out var read);
        var length = (int)read.Buffer.Length;
        var bytes = ArrayPool<byte>.Shared.Rent(length);
        read.Buffer.CopyTo(bytes);
        scratch.Reader.AdvanceTo(read.Buffer.End);
        if (mark == 0 || stream.IsReached(mark))
        {
            if (Connection.TryEnterWrite(out var writer))
            {
                writer.Write(bytes.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(bytes);
                EndResponse();
                return new ValueTask<bool>(true);
            }
            mark = 0;
        }
        BeginServing();
        _ = SendAfterReplicasAsync(stream, mark, bytes, length);
        return new ValueTask<bool>(true);
    }

    private async Task SendAfterReplicasAsync(ReplicationStream stream, long mark, byte[] bytes, int length)
    {
        try
        {
            if (mark != 0 && !await stream.WaitAsync(mark).ConfigureAwait(false))
            {
                // The node is stopping before its replicas acknowledged: the write's outcome is unknown to the origin,
                // which learns it as the link closes (NodeUnavailable), never as a success.
                Connection.Abort(new IOException("the replies' writes could not be replicated (the node is stopping)"));
                return;
            }
            var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
            if (writer is null)
                return;
            writer.Write(bytes.AsSpan(0, length));
            await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or OperationCanceledException or IOException)
        {
            // The link went away meanwhile: its origin fails the request as unavailable.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            EndServing();
        }
    }

    /// <summary>
    /// Replica side of ReplicaSync: a batch from the primary of ranges this node copies. Every record is checked before
    /// any is applied (a batch is refused whole), then applied through the keyspace in order; the answer is held until
    /// the batch is durable here, like any write's.
    /// </summary>
    private ValueTask<bool> ReplicaSyncAsync(Frame frame)
    {
        var header = frame.Header;
        var body = BodyOf(frame);
        if (body.Length < ReplicaSyncRequest.PrefixSize)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "ReplicaSync carries an epoch, a kind and a position before its records");
        var epoch = BinaryPrimitives.ReadUInt64LittleEndian(body);
        var kind = body[8];
        var records = body[ReplicaSyncRequest.PrefixSize..];
        var state = _mesh.Cluster.Current;
        var self = _mesh.Identity.SelfId;
        // A stream from an older epoch is refused when, at this node's newer epoch, the sender is no longer the primary of
        // what this node copies (it was replaced: a promotion); an older epoch that changed something else goes on.
        if (epoch < state.Epoch && !CopiesFrom(state, PeerId, self))
            return ReplyAsync(new WrongNodeReply(header.RequestId, header.Opcode, $"node {self} is at epoch {state.Epoch}; this stream is from epoch {epoch}", state.Epoch, self));
        // A newer epoch than this node's may be a handover to the sender that this node has not installed yet: the
        // sender then streams the slots it imports, which this node holds in sync (docs/elasticity.md).
        var ahead = epoch > state.Epoch;
        if (!CopiesFrom(state, PeerId, self) && !(ahead && ImportsCopied(state, PeerId, self)))
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"node {self} replicates no range of node {PeerId} at epoch {state.Epoch}");
        var keyspace = _mesh.Keyspace;
        // A replica whose log cannot write takes nothing (not even a reset, whose removals it could not log either): an
        // acknowledgement held until its disk returns would hold the primary's writes, and one sent before its log had
        // the records would count it in sync without them. Refused, it leaves the in-sync set at once and the primary
        // resynchronizes it once its disk takes writes again (docs/replication.md).
        if (keyspace.Log is { IsWritable: false } log)
            return ReplyErrorAsync(header, StatusCode.LogUnavailable, $"node {self} cannot write its log ({log.Failure?.Message ?? "closing"}): it takes no replicated writes until it can");
        if (kind == ReplicaSyncRequest.KindReset)
        {
            // A reset removes what this node copies from the sender in this node's state: one decided on an older state
            // could remove slots handed to the sender since, with this node in sync for them (the sender takes a replica
            // out of the in-sync set before it resets it, so a newer state that lists it is such a change). The sender
            // retries on its newer state.
            if (epoch < state.Epoch && InSyncFrom(state, PeerId, self))
                return ReplyAsync(new WrongNodeReply(header.RequestId, header.Opcode, $"node {self} is at epoch {state.Epoch}; this reset is from epoch {epoch}", state.Epoch, self));
            if (!records.IsEmpty)
                return ReplyErrorAsync(header, StatusCode.BadRequest, "a ReplicaSync reset carries no records");
            RemoveCopiedRanges(state, PeerId, self);
            _mesh.Participant.Copies.Forget(PeerId); // the snapshot that follows carries what is still prepared there
            return ReplyAsync(new StatusReply(header.RequestId, header.Opcode, StatusCode.Ok));
        }
        if (kind != ReplicaSyncRequest.KindRecords)
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"unknown ReplicaSync kind {kind}");
        for (var rest = records; !rest.IsEmpty;)
        {
            if (!StreamRecords.TryRead(rest, out var recordKind, out var key, out _, out _, out var size)
                || (recordKind != StreamRecords.KindClear && key.Length > ReceiveLimits.MaxKeySize))
                return ReplyErrorAsync(header, StatusCode.BadRequest, "malformed ReplicaSync record");
            if (recordKind == StreamRecords.KindTxn)
            {
                StreamRecords.TryRead(rest, out _, out _, out var txnRecord, out _, out _);
                if (!Transactions.Internal.ReplicatedPrepares.IsValid(txnRecord))
                    return ReplyErrorAsync(header, StatusCode.BadRequest, "malformed ReplicaSync transaction record");
            }
            else if (recordKind != StreamRecords.KindClear)
            {
                var assignment = state.Slots.AssignmentOf(KeySlot.Of(key));
                if ((assignment.Primary != PeerId || !assignment.HasReplica(self)) && !(ahead && IsImportCopied(assignment, PeerId, self)))
                    return ReplyErrorAsync(header, StatusCode.BadRequest, $"node {self} does not replicate slot {KeySlot.Of(key)} from node {PeerId} at epoch {state.Epoch}");
            }
            rest = rest[size..];
        }
        for (var rest = records; !rest.IsEmpty;)
        {
            StreamRecords.TryRead(rest, out var recordKind, out var key, out var value, out var expiresAt, out var type, out var version, out var baseVersion, out var size);
            if (recordKind == StreamRecords.KindClear)
                RemoveCopiedRanges(state, PeerId, self);
            else if (recordKind == StreamRecords.KindTxn)
                _mesh.Participant.Copies.Apply(PeerId, value);
            else if (!keyspace.ApplyReplicated(recordKind, key, value, expiresAt, type, version, baseVersion))
                return ReplyErrorAsync(header, StatusCode.BadRequest, "a change record does not fit this replica's value of its base version: resynchronize it");
            rest = rest[size..];
        }
        return ReplyAsync(new StatusReply(header.RequestId, header.Opcode, StatusCode.Ok));
    }

    private static bool CopiesFrom(ClusterState state, ushort primary, ushort self)
    {
        foreach (var assignment in state.Slots.RangeAssignments)
        {
            if (assignment.Primary == primary && assignment.HasReplica(self))
                return true;
        }
        return false;
    }

    private static bool InSyncFrom(ClusterState state, ushort primary, ushort self)
    {
        foreach (var assignment in state.Slots.RangeAssignments)
        {
            if (assignment.Primary == primary && assignment.IsInSync(self))
                return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="peer"/> imports slots that this node copies (as a replica, or as their primary: a move to a replica).</summary>
    private static bool ImportsCopied(ClusterState state, ushort peer, ushort self)
    {
        foreach (var assignment in state.Slots.RangeAssignments)
        {
            if (IsImportCopied(assignment, peer, self))
                return true;
        }
        return false;
    }

    private static bool IsImportCopied(SlotAssignment assignment, ushort peer, ushort self) =>
        assignment.Importing == peer && (assignment.Primary == self || assignment.HasReplica(self));

    /// <summary>Removes every key of the ranges this node copies from <paramref name="primary"/> (a reset before a resynchronization, or the primary's FLUSHALL).</summary>
    private void RemoveCopiedRanges(ClusterState state, ushort primary, ushort self) =>
        _mesh.Keyspace.RemoveReplicated(slot =>
        {
            var assignment = state.Slots.AssignmentOf(slot);
            return assignment.Primary == primary && assignment.HasReplica(self);
        });
}
