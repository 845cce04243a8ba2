using System.IO.Pipelines;
using FastDht.Engine.Keyspace;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Runs a single-key request (Get, Put, PutIfAbsent, Delete) on this node's keyspace and writes its answer: the same
/// code for a client's request and a peer's forward, so both are answered alike.
/// </summary>
internal sealed class LocalKeyRequests(LocalKeyspace keyspace)
{
    /// <summary>
    /// Runs the request (<paramref name="header"/> and its contiguous <paramref name="body"/>) and writes its response; the
    /// caller holds the writer lock. With <paramref name="leaveMoving"/> a request refused as Moving (its key's slot is
    /// being handed away) gets nothing written: the caller sends it on after the handover.
    /// </summary>
    /// <returns>The status answered (for metrics); Moving with <paramref name="leaveMoving"/> means nothing was written or changed.</returns>
    public StatusCode Execute(PipeWriter writer, in FrameHeader header, ReadOnlySpan<byte> body, ProtocolLimits limits, bool leaveMoving = false)
    {
        var id = header.RequestId;
        ProtocolError error;
        switch (header.Opcode)
        {
            case Opcode.Get:
                if (!RequestDecoder.TryReadGet(body, limits, out var key, out error))
                    break;
                if (keyspace.IsHandedAway(key))
                {
                    if (leaveMoving)
                        return StatusCode.Moving;
                    // The slot was handed to another node, which may accept writes before this node hears it owns the
                    // slot no more (with Raft each node installs that state when it learns it): the copy here may be
                    // old already. One null check when nothing moves.
                    FrameWriter.WriteErrorResponse(writer, id, Opcode.Get, StatusCode.Moving, "the key's slot was handed to another node: retry there");
                    return StatusCode.Moving;
                }
                if (keyspace.TryGet(key, out var value))
                {
                    FrameWriter.WriteValueResponse(writer, id, Opcode.Get, value.Span);
                    return StatusCode.Ok;
                }
                FrameWriter.WriteStatusResponse(writer, id, Opcode.Get, StatusCode.NotFound);
                return StatusCode.NotFound;
            case Opcode.Put:
            case Opcode.PutIfAbsent:
                if (!RequestDecoder.TryReadPut(body, header.Flags, limits, out key, out var newValue, out var ttl, out var fence, out error))
                    break;
                var written = ttl > 0
                    ? keyspace.PutExpiring(key, newValue, ttl, ifAbsent: header.Opcode == Opcode.PutIfAbsent, fence)
                    : header.Opcode == Opcode.Put
                        ? keyspace.Put(key, newValue, fence)
                        : keyspace.PutIfAbsent(key, newValue, fence);
                if (written == KeyWriteResult.Ok)
                    keyspace.NotifyPut(key, withExpiry: ttl > 0);
                return leaveMoving && written == KeyWriteResult.Moving ? StatusCode.Moving : WriteResult(writer, id, header.Opcode, written);
            case Opcode.Delete:
                if (!RequestDecoder.TryReadDelete(body, header.Flags, limits, out key, out fence, out error))
                    break;
                var deleted = keyspace.Delete(key, fence);
                if (deleted == KeyWriteResult.Ok)
                    keyspace.Notify(NotifyClass.Generic, "del"u8, key);
                return leaveMoving && deleted == KeyWriteResult.Moving ? StatusCode.Moving : WriteResult(writer, id, Opcode.Delete, deleted);
            default:
                FrameWriter.WriteErrorResponse(writer, id, header.Opcode, StatusCode.InternalError, "not a single-key operation");
                return StatusCode.InternalError;
        }
        FrameWriter.WriteErrorResponse(writer, id, header.Opcode, error.Status, error.Message);
        return error.Status;
    }

    /// <summary>
    /// Answers a single-key write. A plain write to a key some transaction holds is refused (Locked, retryable),
    /// never queued; a fenced write goes ahead only for the key's exclusive holder with exactly the token it was
    /// granted (else StaleFence). The keyspace decides; this only words it.
    /// </summary>
    private static StatusCode WriteResult(PipeWriter writer, uint id, Opcode opcode, KeyWriteResult result)
    {
        switch (result)
        {
            case KeyWriteResult.Ok:
                FrameWriter.WriteStatusResponse(writer, id, opcode, StatusCode.Ok);
                return StatusCode.Ok;
            case KeyWriteResult.Exists:
                FrameWriter.WriteStatusResponse(writer, id, opcode, StatusCode.Exists);
                return StatusCode.Exists;
            case KeyWriteResult.NotFound:
                FrameWriter.WriteStatusResponse(writer, id, opcode, StatusCode.NotFound);
                return StatusCode.NotFound;
            case KeyWriteResult.Locked:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.Locked, "the key is locked by a transaction");
                return StatusCode.Locked;
            case KeyWriteResult.Moving:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.Moving, "the key's slot is being handed to another node: nothing was changed, retry");
                return StatusCode.Moving;
            case KeyWriteResult.LogUnavailable:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.LogUnavailable, "the node cannot write its log to disk (disk full, I/O error, or its data directory deleted): writes are refused until it can, reads are served");
                return StatusCode.LogUnavailable;
            default:
                FrameWriter.WriteErrorResponse(writer, id, opcode, StatusCode.StaleFence, "the fencing token is not the current exclusive lock's: a newer lock was granted, or the lock is gone");
                return StatusCode.StaleFence;
        }
    }
}
