using System.Buffers;
using FastDht.Protocol;

namespace FastDht.Engine.Connections.Requests;

// One small struct per request kind, for FrameSession.CallAsync: each knows its size and writes its frame.
// Sizes come from FrameLengths, the same numbers FrameWriter encodes by.

/// <summary>Get: key (ROUTED in <paramref name="flags"/> when a smart client sent it by its slot table).</summary>
internal readonly struct GetRequest(ReadOnlyMemory<byte> key, FrameFlags flags = FrameFlags.None) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Key(key.Span));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteGet(writer, requestId, key.Span, flags);
}

/// <summary>
/// Put (upsert) or PutIfAbsent: key, value, and a time to live in ms when <paramref name="timeToLiveMs"/> is not 0
/// (EXPIRES); ROUTED in <paramref name="flags"/> when a smart client sent it by its slot table.
/// </summary>
internal readonly struct PutRequest(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, bool ifAbsent, FrameFlags flags = FrameFlags.None, ulong timeToLiveMs = 0) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.KeyValue(key.Span, value.Span, trailingU64: timeToLiveMs != 0));

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        var opcode = ifAbsent ? Opcode.PutIfAbsent : Opcode.Put;
        if (timeToLiveMs == 0)
            FrameWriter.WriteKeyValue(writer, requestId, opcode, key.Span, value.Span, flags);
        else
            FrameWriter.WriteKeyValue(writer, requestId, opcode, key.Span, value.Span, flags, timeToLiveMs);
    }
}

/// <summary>Delete: key (ROUTED in <paramref name="flags"/> when a smart client sent it by its slot table).</summary>
internal readonly struct DeleteRequest(ReadOnlyMemory<byte> key, FrameFlags flags = FrameFlags.None) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Key(key.Span));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteDelete(writer, requestId, key.Span, flags);
}

/// <summary>Ping with an opaque payload (may be empty).</summary>
internal readonly struct PingRequest(ReadOnlyMemory<byte> payload) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Raw(payload.Length));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WritePing(writer, requestId, payload.Span);
}

/// <summary>The Hello an application client sends: role client, no node id, no lock strategy.</summary>
internal readonly struct ClientHelloRequest(string clusterName, uint maxFrameSize) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Hello(clusterName, ""));

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteHello(writer, requestId, NodeRole.Client, ProtocolConstants.ClientNodeId, clusterName, "", maxFrameSize);
}

/// <summary>ClusterInfo.</summary>
internal readonly struct ClusterInfoRequest : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Raw(0));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteClusterInfo(writer, requestId);
}

/// <summary>NodeInfo: the peer's enabled listeners.</summary>
internal readonly struct NodeInfoRequest : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Raw(0));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteNodeInfo(writer, requestId);
}

/// <summary>A client's Lock (TxnId, u8 mode, u32 lease ms, key list) or a TxnLock (the same with u16 attempt after the mode).</summary>
internal readonly struct TxnLockRequest(Opcode opcode, TxnId txn, LockMode mode, uint leaseMs, ReadOnlyMemory<byte>[] keys, ushort attempt = 0) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Lock(keys, withAttempt: opcode == Opcode.TxnLock));

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        if (opcode == Opcode.Lock)
            FrameWriter.WriteLock(writer, requestId, txn, mode, leaseMs, keys);
        else
            FrameWriter.WriteTxnLock(writer, requestId, txn, mode, attempt, leaseMs, keys);
    }
}

/// <summary>TxnWaitsFor: an empty body.</summary>
internal readonly struct TxnWaitsForRequest : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Raw(0));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteTxnWaitsFor(writer, requestId);
}

/// <summary>TxnWound or TxnPin: a TxnId alone.</summary>
internal readonly struct TxnIdRequest(Opcode opcode, TxnId txn) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.TxnOnly);

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        if (opcode == Opcode.TxnPin)
            FrameWriter.WriteTxnPin(writer, requestId, txn);
        else
            FrameWriter.WriteTxnWound(writer, requestId, txn);
    }
}

/// <summary>TxnCommit, TxnAbort or TxnStatus: TxnId, u16 attempt.</summary>
internal readonly struct TxnAttemptRequest(Opcode opcode, TxnId txn, ushort attempt) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.TxnAttempt);

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        switch (opcode)
        {
            case Opcode.TxnCommit:
                FrameWriter.WriteTxnCommit(writer, requestId, txn, attempt);
                break;
            case Opcode.TxnStatus:
                FrameWriter.WriteTxnStatus(writer, requestId, txn, attempt);
                break;
            default:
                FrameWriter.WriteTxnAbort(writer, requestId, txn, attempt);
                break;
        }
    }
}

/// <summary>TxnPrepare: TxnId, attempt, coordinator incarnation, participants, and this participant's writes with their fence tokens.</summary>
internal readonly struct TxnPrepareRequest(TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, TxnWrite[] writes) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.TxnPrepare(participants.Length, writes));

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteTxnPrepare(writer, requestId, txn, attempt, coordinatorIncarnation, participants, writes);
}

/// <summary>TxnRead, Unlock or RenewLease: TxnId, [u32 lease ms,] key list.</summary>
internal readonly struct TxnKeysRequest(Opcode opcode, TxnId txn, uint leaseMs, ReadOnlyMemory<byte>[] keys) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.TxnKeys(keys, withLease: opcode == Opcode.RenewLease));

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        switch (opcode)
        {
            case Opcode.RenewLease:
                FrameWriter.WriteRenewLease(writer, requestId, txn, leaseMs, keys);
                break;
            case Opcode.Unlock:
                FrameWriter.WriteUnlock(writer, requestId, txn, keys);
                break;
            default:
                FrameWriter.WriteTxnRead(writer, requestId, txn, keys);
                break;
        }
    }
}

/// <summary>A frame length as <see cref="IFrameRequest.FrameLength"/> holds it: one too large for an int stays too large for any limit.</summary>
internal static class RequestLength
{
    public static int Of(long frameLength) => (int)Math.Min(frameLength, int.MaxValue);
}

/// <summary>MultiPut: u16 count, count x (key, value).</summary>
internal readonly struct MultiPutRequest(KeyValue[] entries) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.MultiPut(entries));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteMultiPut(writer, requestId, entries);
}

/// <summary>MultiGet: key list.</summary>
internal readonly struct MultiGetRequest(ReadOnlyMemory<byte>[] keys) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.MultiGet(keys));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteMultiGet(writer, requestId, keys);
}

/// <summary>A fenced Put: key, value, u64 fencing token (flag FENCED).</summary>
internal readonly struct FencedPutRequest(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong token) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.KeyValue(key.Span, value.Span, trailingU64: true));

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WritePut(writer, requestId, key.Span, value.Span, token);
}

/// <summary>RespExecute with a command built by the node itself (a fan-out's part): its body, version byte and multibulk, already encoded.</summary>
internal readonly struct RespExecuteRequest(byte[] body) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Raw(body.Length));

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteFrame(writer, requestId, Opcode.RespExecute, FrameFlags.None, StatusCode.Ok, body);
}

/// <summary>Auth with a user and password (docs/protocol.md section 3.1).</summary>
internal readonly struct PasswordAuthRequest(string user, string password) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.PasswordAuth(user, password));

    public void Write(IBufferWriter<byte> writer, uint requestId) => AuthFrames.WritePassword(writer, requestId, user, password);
}

/// <summary>Snapshot: start one in the background, or (<paramref name="wait"/>) answer once it is in place.</summary>
internal readonly struct SnapshotRequest(bool wait) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 1;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteSnapshot(writer, requestId, wait);
}

/// <summary>RemoveNode: take <c>nodeId</c> out of the cluster, gracefully or forgotten (protocol.md §5.18).</summary>
internal readonly struct RemoveNodeRequest(ushort nodeId, bool forget) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 3;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteRemoveNode(writer, requestId, nodeId, forget);
}

/// <summary>MoveSlots: move slots [first, last], owned by the receiver, to <c>target</c> (protocol.md §5.17).</summary>
internal readonly struct MoveSlotsRequest(ushort firstSlot, ushort lastSlot, ushort target) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 6;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteMoveSlots(writer, requestId, firstSlot, lastSlot, target);
}
