using System.Buffers.Binary;
using System.Buffers;
using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>
/// Encodes native-protocol frames into an <see cref="IBufferWriter{T}"/>: one method per request and
/// response kind, each computing the frame's size, taking one span and advancing once.
/// </summary>
/// <remarks>
/// Encoders are called by our own code, so a key, string or count outside the wire format (key of 0
/// or more than 65535 bytes, string over 65535 UTF-8 bytes, count over 65535, frame over 1 GiB)
/// throws <see cref="ArgumentOutOfRangeException"/>. The peer's negotiated maximum frame size
/// (from Hello) is the caller's to respect. Nothing is allocated.
/// </remarks>
public static class FrameWriter
{
    // ---- raw and relayed frames ----

    /// <summary>Writes a frame with an arbitrary header and body, unchecked (tests, custom opcodes).</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, uint requestId, Opcode opcode, FrameFlags flags, StatusCode status, ReadOnlySpan<byte> body)
    {
        var b = FrameBuilder.Start(writer, body.Length, requestId, opcode, flags, status);
        b.WriteBytes(body);
        b.Commit();
    }

    /// <summary>
    /// Re-emits a received frame with a new request id and extra flags: a node forwarding a request to
    /// the key's owner (add <see cref="FrameFlags.Forwarded"/>), or relaying the owner's response back
    /// under the client's request id (add nothing).
    /// </summary>
    public static void WriteRelayed(IBufferWriter<byte> writer, in Frame frame, uint requestId, FrameFlags addFlags)
    {
        FrameHeader h = frame.Header;
        ReadOnlySequence<byte> body = frame.Body;
        var b = FrameBuilder.Start(writer, body.Length, requestId, h.Opcode, h.Flags | addFlags, h.Status);
        b.WriteBytes(body);
        b.Commit();
    }

    // ---- connection and cluster requests ----

    /// <summary>Hello: the first frame on every connection.</summary>
    public static void WriteHello(
        IBufferWriter<byte> writer,
        uint requestId,
        NodeRole role,
        ushort nodeId,
        string clusterName,
        string lockStrategy,
        uint maxFrameSize,
        ulong incarnation = 0,
        ulong membersDigest = 0,
        ushort protocolVersion = ProtocolConstants.Version)
    {
        int clusterBytes = WireSize.StringBytes(clusterName, nameof(clusterName));
        int strategyBytes = WireSize.StringBytes(lockStrategy, nameof(lockStrategy));
        int body = FrameLengths.HelloBody(clusterBytes, strategyBytes);
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Hello, FrameFlags.None, StatusCode.Ok);
        b.WriteU16(protocolVersion);
        b.WriteU8((byte)role);
        b.WriteU16(nodeId);
        b.WriteString(clusterName, clusterBytes);
        b.WriteString(lockStrategy, strategyBytes);
        b.WriteU32(maxFrameSize);
        b.WriteU64(incarnation);
        b.WriteU64(membersDigest);
        b.Commit();
    }

    /// <summary>Ping with an opaque payload (may be empty).</summary>
    public static void WritePing(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> payload) =>
        WriteFrame(writer, requestId, Opcode.Ping, FrameFlags.None, StatusCode.Ok, payload);

    /// <summary>Fragment with an empty body: the probe, answered Ok by a node that reassembles pieces.</summary>
    public static void WriteFragmentProbe(IBufferWriter<byte> writer, uint requestId) =>
        WriteFrame(writer, requestId, Opcode.Fragment, FrameFlags.None, StatusCode.Ok, default);

    /// <summary>The 12-byte header of a Fragment piece that carries <paramref name="pieceLength"/> bytes of a large frame; the request id names the frame's stream. Never answered.</summary>
    public static void WriteFragmentHeader(Span<byte> destination, uint streamId, int pieceLength)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(ProtocolConstants.LengthOverhead + pieceLength));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], streamId);
        destination[8] = (byte)Opcode.Fragment;
        destination[9] = (byte)FrameFlags.None;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[10..], (ushort)StatusCode.Ok);
    }

    /// <summary>ClusterInfo: empty body.</summary>
    public static void WriteClusterInfo(IBufferWriter<byte> writer, uint requestId) =>
        WriteFrame(writer, requestId, Opcode.ClusterInfo, FrameFlags.None, StatusCode.Ok, default);

    /// <summary>NodeInfo: empty body.</summary>
    public static void WriteNodeInfo(IBufferWriter<byte> writer, uint requestId) =>
        WriteFrame(writer, requestId, Opcode.NodeInfo, FrameFlags.None, StatusCode.Ok, default);

    /// <summary>Snapshot: u8 wait (1: answer once the snapshot is in place; 0: answer once it started).</summary>
    public static void WriteSnapshot(IBufferWriter<byte> writer, uint requestId, bool wait) =>
        WriteFrame(writer, requestId, Opcode.Snapshot, FrameFlags.None, StatusCode.Ok, wait ? [1] : [0]);

    /// <summary>RemoveNode: u16 node id, u8 forget (1) or graceful (0).</summary>
    public static void WriteRemoveNode(IBufferWriter<byte> writer, uint requestId, ushort nodeId, bool forget)
    {
        Span<byte> body = stackalloc byte[3];
        BinaryPrimitives.WriteUInt16LittleEndian(body, nodeId);
        body[2] = forget ? (byte)1 : (byte)0;
        WriteFrame(writer, requestId, Opcode.RemoveNode, FrameFlags.None, StatusCode.Ok, body);
    }

    /// <summary>MoveSlots: u16 first slot, u16 last slot, u16 target node.</summary>
    public static void WriteMoveSlots(IBufferWriter<byte> writer, uint requestId, ushort firstSlot, ushort lastSlot, ushort target)
    {
        Span<byte> body = stackalloc byte[6];
        BinaryPrimitives.WriteUInt16LittleEndian(body, firstSlot);
        BinaryPrimitives.WriteUInt16LittleEndian(body[2..], lastSlot);
        BinaryPrimitives.WriteUInt16LittleEndian(body[4..], target);
        WriteFrame(writer, requestId, Opcode.MoveSlots, FrameFlags.None, StatusCode.Ok, body);
    }

    /// <summary>MoveSlots response (Ok) once the target owns the slots: u64 keys copied, u64 keys removed at the old owner, u32 ms of the background copy, u32 total ms, u32 ms writes were paused.</summary>
    public static void WriteMoveSlotsResponse(IBufferWriter<byte> writer, uint requestId, ulong keysCopied, ulong keysRemoved, uint copyMs, uint totalMs, uint pausedMs)
    {
        Span<byte> body = stackalloc byte[28];
        BinaryPrimitives.WriteUInt64LittleEndian(body, keysCopied);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], keysRemoved);
        BinaryPrimitives.WriteUInt32LittleEndian(body[16..], copyMs);
        BinaryPrimitives.WriteUInt32LittleEndian(body[20..], totalMs);
        BinaryPrimitives.WriteUInt32LittleEndian(body[24..], pausedMs);
        WriteFrame(writer, requestId, Opcode.MoveSlots, FrameFlags.Response, StatusCode.Ok, body);
    }

    /// <summary>Snapshot response (Ok) to a request that started one in the background: empty body.</summary>
    public static void WriteSnapshotStartedResponse(IBufferWriter<byte> writer, uint requestId) =>
        WriteFrame(writer, requestId, Opcode.Snapshot, FrameFlags.Response, StatusCode.Ok, default);

    /// <summary>Snapshot response (Ok) once it is in place: u64 keys, u64 bytes, u64 log position, i64 completed at (unix ms).</summary>
    public static void WriteSnapshotResponse(IBufferWriter<byte> writer, uint requestId, ulong keys, ulong bytes, ulong logPosition, long completedAtMs)
    {
        var b = FrameBuilder.Start(writer, 32, requestId, Opcode.Snapshot, FrameFlags.Response, StatusCode.Ok);
        b.WriteU64(keys);
        b.WriteU64(bytes);
        b.WriteU64(logPosition);
        b.WriteU64((ulong)completedAtMs);
        b.Commit();
    }

    /// <summary>The size of a RespExecute frame for <paramref name="command"/> (header included), to check against the peer's limit.</summary>
    public static long RespExecuteFrameLength(Resp.RespCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ProtocolConstants.HeaderSize + 1L + Resp.Internal.RespMultibulk.Size(command);
    }

    /// <summary>RespExecute: u8 RESP version, then the command re-encoded as a RESP multibulk (whatever form it arrived in).</summary>
    public static void WriteRespExecute(IBufferWriter<byte> writer, uint requestId, byte respVersion, Resp.RespCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        long body = 1L + Resp.Internal.RespMultibulk.Size(command);
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.RespExecute, FrameFlags.None, StatusCode.Ok);
        b.WriteU8(respVersion);
        Span<byte> line = stackalloc byte[Resp.Internal.RespMultibulk.MaxLineLength];
        b.WriteBytes(line[..Resp.Internal.RespMultibulk.FormatLine(line, (byte)'*', command.Count)]);
        for (int i = 0; i < command.Count; i++)
        {
            b.WriteBytes(line[..Resp.Internal.RespMultibulk.FormatLine(line, (byte)'$', command.GetArgumentLength(i))]);
            b.WriteBytes(command.GetArgumentSequence(i));
            b.WriteBytes("\r\n"u8);
        }

        b.Commit();
    }

    /// <summary>The whole size of a RespPublish frame (header included) for a channel and a message of these lengths.</summary>
    public static long RespPublishFrameLength(int channelLength, int messageLength) =>
        ProtocolConstants.HeaderSize + sizeof(uint) + (long)channelLength + messageLength;

    /// <summary>RespPublish: the channel as a value (u32 length + bytes), then the message to the end of the body; never answered, so the request id is 0.</summary>
    public static void WriteRespPublish(IBufferWriter<byte> writer, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        var b = FrameBuilder.Start(writer, sizeof(uint) + (long)channel.Length + message.Length, 0, Opcode.RespPublish, FrameFlags.None, StatusCode.Ok);
        b.WriteValue(channel);
        b.WriteBytes(message);
        b.Commit();
    }

    // ---- key-value requests ----

    /// <summary>Get: key.</summary>
    public static void WriteGet(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key) =>
        WriteGet(writer, requestId, key, FrameFlags.None);

    /// <summary>Get: key, with request <paramref name="flags"/> (ROUTED from a smart client).</summary>
    public static void WriteGet(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key, FrameFlags flags)
    {
        long body = FrameLengths.Key(key) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Get, flags, StatusCode.Ok);
        b.WriteKey(key);
        b.Commit();
    }

    /// <summary>Put (upsert): key, value.</summary>
    public static void WritePut(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        WriteKeyValue(writer, requestId, Opcode.Put, key, value, FrameFlags.None);

    /// <summary>Put (Opcode.Put) or PutIfAbsent: key, value, with request <paramref name="flags"/> (ROUTED from a smart client).</summary>
    public static void WriteKeyValue(IBufferWriter<byte> writer, uint requestId, Opcode opcode, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, FrameFlags flags)
    {
        if (opcode is not (Opcode.Put or Opcode.PutIfAbsent))
        {
            Throw.ArgumentOutOfRange(nameof(opcode), "must be Put or PutIfAbsent");
        }

        long body = FrameLengths.KeyValue(key, value) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, opcode, flags, StatusCode.Ok);
        b.WriteKey(key);
        b.WriteValue(value);
        b.Commit();
    }

    /// <summary>
    /// Put or PutIfAbsent with a time to live: key, value, u64 milliseconds, with the EXPIRES flag added to
    /// <paramref name="flags"/> (ROUTED from a smart client).
    /// </summary>
    public static void WriteKeyValue(IBufferWriter<byte> writer, uint requestId, Opcode opcode, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, FrameFlags flags, ulong timeToLiveMs)
    {
        if (opcode is not (Opcode.Put or Opcode.PutIfAbsent))
        {
            Throw.ArgumentOutOfRange(nameof(opcode), "must be Put or PutIfAbsent");
        }

        if (timeToLiveMs is 0 or > ProtocolConstants.MaxTimeToLiveMs)
        {
            Throw.ArgumentOutOfRange(nameof(timeToLiveMs), "must be between 1 ms and ProtocolConstants.MaxTimeToLiveMs");
        }

        long body = FrameLengths.KeyValue(key, value, trailingU64: true) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, opcode, flags | FrameFlags.Expires, StatusCode.Ok);
        b.WriteKey(key);
        b.WriteValue(value);
        b.WriteU64(timeToLiveMs);
        b.Commit();
    }

    /// <summary>Fenced Put: key, value, u64 fencing token, with the FENCED flag.</summary>
    public static void WritePut(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong fenceToken)
    {
        long body = FrameLengths.KeyValue(key, value, trailingU64: true) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Put, FrameFlags.Fenced, StatusCode.Ok);
        b.WriteKey(key);
        b.WriteValue(value);
        b.WriteU64(fenceToken);
        b.Commit();
    }

    /// <summary>PutIfAbsent: key, value.</summary>
    public static void WritePutIfAbsent(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        WriteKeyValue(writer, requestId, Opcode.PutIfAbsent, key, value, FrameFlags.None);

    /// <summary>Delete: key.</summary>
    public static void WriteDelete(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key) =>
        WriteDelete(writer, requestId, key, FrameFlags.None);

    /// <summary>Delete: key, with request <paramref name="flags"/> (ROUTED from a smart client).</summary>
    public static void WriteDelete(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key, FrameFlags flags)
    {
        long body = FrameLengths.Key(key) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Delete, flags, StatusCode.Ok);
        b.WriteKey(key);
        b.Commit();
    }

    /// <summary>Fenced Delete: key, u64 fencing token, with the FENCED flag.</summary>
    public static void WriteDelete(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> key, ulong fenceToken)
    {
        long body = FrameLengths.Key(key, fenced: true) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Delete, FrameFlags.Fenced, StatusCode.Ok);
        b.WriteKey(key);
        b.WriteU64(fenceToken);
        b.Commit();
    }

    /// <summary>MultiPut: u16 count (at least 1), count x (key, value).</summary>
    public static void WriteMultiPut(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<KeyValue> entries)
    {
        long body = FrameLengths.MultiPut(entries) - ProtocolConstants.HeaderSize;

        var b = FrameBuilder.Start(writer, body, requestId, Opcode.MultiPut, FrameFlags.None, StatusCode.Ok);
        b.WriteU16((ushort)entries.Length);
        foreach (ref readonly KeyValue e in entries)
        {
            b.WriteKey(e.Key.Span);
            b.WriteValue(e.Value.Span);
        }

        b.Commit();
    }

    /// <summary>MultiGet: u16 count (at least 1), count x key.</summary>
    public static void WriteMultiGet(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        long body = FrameLengths.MultiGet(keys) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.MultiGet, FrameFlags.None, StatusCode.Ok);
        WriteKeyList(ref b, keys);
        b.Commit();
    }

    // ---- lock requests ----

    /// <summary>Lock: TxnId, u8 mode, u32 lease ms, u16 count (at least 1), count x key.</summary>
    public static void WriteLock(IBufferWriter<byte> writer, uint requestId, TxnId txn, LockMode mode, uint leaseMs, ReadOnlySpan<ReadOnlyMemory<byte>> keys) =>
        WriteLockBody(writer, requestId, Opcode.Lock, txn, mode, attempt: null, leaseMs, keys);

    /// <summary>Unlock: TxnId, u16 count (at least 1), count x key.</summary>
    public static void WriteUnlock(IBufferWriter<byte> writer, uint requestId, TxnId txn, ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        long body = FrameLengths.TxnKeys(keys, withLease: false) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Unlock, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        WriteKeyList(ref b, keys);
        b.Commit();
    }

    /// <summary>RenewLease: TxnId, u32 lease ms, u16 count (at least 1), count x key.</summary>
    public static void WriteRenewLease(IBufferWriter<byte> writer, uint requestId, TxnId txn, uint leaseMs, ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        long body = FrameLengths.TxnKeys(keys, withLease: true) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.RenewLease, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        b.WriteU32(leaseMs);
        WriteKeyList(ref b, keys);
        b.Commit();
    }

    // ---- node-to-node transaction requests ----

    /// <summary>TxnLock, coordinator to participant: TxnId, u8 mode, u16 attempt, u32 lease ms, u16 count (at least 1), count x key.</summary>
    /// <remarks>The attempt number (0 = first try) lets the participant's strategy shrink its wait on retries (the timeout strategy).</remarks>
    public static void WriteTxnLock(IBufferWriter<byte> writer, uint requestId, TxnId txn, LockMode mode, ushort attempt, uint leaseMs, ReadOnlySpan<ReadOnlyMemory<byte>> keys) =>
        WriteLockBody(writer, requestId, Opcode.TxnLock, txn, mode, attempt, leaseMs, keys);

    /// <summary>
    /// TxnPrepare: TxnId, u16 attempt, u64 coordinator incarnation, u16 count (at least 1) x (u16 node id, u64
    /// incarnation) participants, u16 count (may be 0) x (key, value, u64 fence token, u8 kind (low 4 bits) and type tag
    /// (high 4 bits, 0: string), i64 expiresAt) writes.
    /// </summary>
    public static void WriteTxnPrepare(
        IBufferWriter<byte> writer,
        uint requestId,
        TxnId txn,
        ushort attempt,
        ulong coordinatorIncarnation,
        ReadOnlySpan<TxnMember> participants,
        ReadOnlySpan<TxnWrite> writes)
    {
        long body = FrameLengths.TxnPrepare(participants.Length, writes) - ProtocolConstants.HeaderSize;

        var b = FrameBuilder.Start(writer, body, requestId, Opcode.TxnPrepare, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        b.WriteU16(attempt);
        b.WriteU64(coordinatorIncarnation);
        b.WriteU16((ushort)participants.Length);
        foreach (ref readonly TxnMember m in participants)
        {
            b.WriteU16(m.NodeId);
            b.WriteU64(m.Incarnation);
        }

        b.WriteU16((ushort)writes.Length);
        foreach (ref readonly TxnWrite w in writes)
        {
            b.WriteKey(w.Key.Span);
            b.WriteValue(w.Value.Span);
            b.WriteU64(w.FenceToken);
            b.WriteU8(w.KindAndType);
            b.WriteU64((ulong)w.ExpiresAt);
        }

        b.Commit();
    }

    /// <summary>TxnCommit: TxnId, u16 attempt. The decision alone: the writes travelled with TxnPrepare.</summary>
    public static void WriteTxnCommit(IBufferWriter<byte> writer, uint requestId, TxnId txn, ushort attempt) =>
        WriteTxnAttempt(writer, requestId, Opcode.TxnCommit, txn, attempt);

    /// <summary>TxnAbort: TxnId, u16 attempt.</summary>
    public static void WriteTxnAbort(IBufferWriter<byte> writer, uint requestId, TxnId txn, ushort attempt) =>
        WriteTxnAttempt(writer, requestId, Opcode.TxnAbort, txn, attempt);

    /// <summary>TxnStatus: TxnId, u16 attempt.</summary>
    public static void WriteTxnStatus(IBufferWriter<byte> writer, uint requestId, TxnId txn, ushort attempt) =>
        WriteTxnAttempt(writer, requestId, Opcode.TxnStatus, txn, attempt);

    /// <summary>TxnPin: TxnId.</summary>
    public static void WriteTxnPin(IBufferWriter<byte> writer, uint requestId, TxnId txn) =>
        WriteTxnOnly(writer, requestId, Opcode.TxnPin, txn);

    /// <summary>TxnWound: TxnId.</summary>
    public static void WriteTxnWound(IBufferWriter<byte> writer, uint requestId, TxnId txn) =>
        WriteTxnOnly(writer, requestId, Opcode.TxnWound, txn);

    /// <summary>TxnWaitsFor: empty body.</summary>
    public static void WriteTxnWaitsFor(IBufferWriter<byte> writer, uint requestId) =>
        WriteFrame(writer, requestId, Opcode.TxnWaitsFor, FrameFlags.None, StatusCode.Ok, default);

    /// <summary>TxnRead: TxnId, u16 count (at least 1), count x key; the transaction must hold the keys.</summary>
    public static void WriteTxnRead(IBufferWriter<byte> writer, uint requestId, TxnId txn, ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        long body = FrameLengths.TxnKeys(keys, withLease: false) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.TxnRead, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        WriteKeyList(ref b, keys);
        b.Commit();
    }

    // ---- responses ----

    /// <summary>A response with an empty body: Ok for writes, NotFound, Exists. Error statuses need <see cref="WriteErrorResponse(IBufferWriter{byte}, uint, Opcode, StatusCode, string)"/>.</summary>
    public static void WriteStatusResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, StatusCode status)
    {
        if ((ushort)status >= 0x100)
        {
            Throw.IsAnErrorStatus(status);
        }

        FrameBuilder.Start(writer, 0, requestId, opcode, FrameFlags.Response, status).Commit();
    }

    /// <summary>Ok with a value body (Get).</summary>
    public static void WriteValueResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, ReadOnlySpan<byte> value)
    {
        var b = FrameBuilder.Start(writer, WireSize.Value(value), requestId, opcode, FrameFlags.Response, StatusCode.Ok);
        b.WriteValue(value);
        b.Commit();
    }

    /// <summary>An error status (0x100 and above) with its error body: string message.</summary>
    public static void WriteErrorResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, StatusCode status, string message)
    {
        if ((ushort)status < 0x100)
        {
            Throw.NotAnErrorStatus(status);
        }

        int messageBytes = WireSize.StringBytes(message, nameof(message));
        var b = FrameBuilder.Start(writer, sizeof(ushort) + messageBytes, requestId, opcode, FrameFlags.Response, status);
        b.WriteString(message, messageBytes);
        b.Commit();
    }

    /// <summary>
    /// An error answer to a MultiPut or MultiGet (protocol.md section 5.5): the error body's message, then the coordinator's
    /// <paramref name="attempts"/> (u32): how many attempts it made before this outcome, every one of them aborted or
    /// failed. A reader that knows only the message stops after it.
    /// </summary>
    public static void WriteTxnErrorResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, StatusCode status, string message, uint attempts)
    {
        if ((ushort)status < 0x100)
        {
            Throw.NotAnErrorStatus(status);
        }

        int messageBytes = WireSize.StringBytes(message, nameof(message));
        var b = FrameBuilder.Start(writer, sizeof(ushort) + messageBytes + sizeof(uint), requestId, opcode, FrameFlags.Response, status);
        b.WriteString(message, messageBytes);
        b.WriteU32(attempts);
        b.Commit();
    }

    /// <summary>
    /// WrongNode (0x0108): the error body's message, then the answering node's cluster state <paramref name="epoch"/>
    /// (u64) and the node that owns the key's slot in that state (<paramref name="owner"/>, u16; 0xFFFF when it cannot
    /// say). A reader that knows only the message stops after it.
    /// </summary>
    public static void WriteWrongNodeResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, string message, ulong epoch, ushort owner)
    {
        int messageBytes = WireSize.StringBytes(message, nameof(message));
        var b = FrameBuilder.Start(writer, sizeof(ushort) + messageBytes + sizeof(ulong) + sizeof(ushort), requestId, opcode, FrameFlags.Response, StatusCode.WrongNode);
        b.WriteString(message, messageBytes);
        b.WriteU64(epoch);
        b.WriteU16(owner);
        b.Commit();
    }

    /// <summary>
    /// A RespExecute refused for a slot move (protocol.md section 5.12): Moving, or WrongNode with the answering node's
    /// <paramref name="epoch"/> and the key's <paramref name="owner"/> in it, and after those fields the refused request's
    /// whole body (<paramref name="returned"/>), so the sender can send it again without having kept a copy. A reader
    /// that knows only the message (and WrongNode's fields) stops before it.
    /// </summary>
    public static void WriteRefusalReturningRequest(IBufferWriter<byte> writer, uint requestId, Opcode opcode, StatusCode status, string message, ulong epoch, ushort owner, in ReadOnlySequence<byte> returned)
    {
        if (status is not (StatusCode.Moving or StatusCode.WrongNode))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "only Moving and WrongNode return the request");
        }

        int messageBytes = WireSize.StringBytes(message, nameof(message));
        long fields = status == StatusCode.WrongNode ? sizeof(ulong) + sizeof(ushort) : 0;
        var b = FrameBuilder.Start(writer, sizeof(ushort) + messageBytes + fields + returned.Length, requestId, opcode, FrameFlags.Response, status);
        b.WriteString(message, messageBytes);
        if (status == StatusCode.WrongNode)
        {
            b.WriteU64(epoch);
            b.WriteU16(owner);
        }

        b.WriteBytes(returned);
        b.Commit();
    }

    /// <summary>The frame length field (<see cref="FrameHeader"/>: header after the length, then body) of <see cref="WriteRefusalReturningRequest"/>'s frame.</summary>
    public static long RefusalReturningRequestLength(StatusCode status, string message, long returnedLength) =>
        ProtocolConstants.HeaderSize - 4 + sizeof(ushort) + WireSize.StringBytes(message, nameof(message))
        + (status == StatusCode.WrongNode ? sizeof(ulong) + sizeof(ushort) : 0) + returnedLength;

    /// <summary>An error response whose message is already UTF-8 (a static message, no allocation).</summary>
    public static void WriteErrorResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, StatusCode status, ReadOnlySpan<byte> messageUtf8)
    {
        if ((ushort)status < 0x100)
        {
            Throw.NotAnErrorStatus(status);
        }

        if (messageUtf8.Length > ushort.MaxValue)
        {
            Throw.StringTooLong(nameof(messageUtf8), messageUtf8.Length);
        }

        var b = FrameBuilder.Start(writer, sizeof(ushort) + messageUtf8.Length, requestId, opcode, FrameFlags.Response, status);
        b.WriteU16((ushort)messageUtf8.Length);
        b.WriteBytes(messageUtf8);
        b.Commit();
    }

    /// <summary>Ping response: the request's payload.</summary>
    public static void WritePingResponse(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> payload) =>
        WriteFrame(writer, requestId, Opcode.Ping, FrameFlags.Response, StatusCode.Ok, payload);

    /// <summary>Ping response echoing a received (possibly multi-segment) payload.</summary>
    public static void WritePingResponse(IBufferWriter<byte> writer, uint requestId, in ReadOnlySequence<byte> payload)
    {
        var b = FrameBuilder.Start(writer, payload.Length, requestId, Opcode.Ping, FrameFlags.Response, StatusCode.Ok);
        b.WriteBytes(payload);
        b.Commit();
    }

    /// <summary>Hello response (Ok).</summary>
    public static void WriteHelloResponse(
        IBufferWriter<byte> writer,
        uint requestId,
        ushort nodeId,
        string clusterName,
        string lockStrategy,
        uint maxFrameSize,
        ulong epoch,
        ulong incarnation = 0,
        ulong membersDigest = 0,
        ushort protocolVersion = ProtocolConstants.Version)
    {
        int clusterBytes = WireSize.StringBytes(clusterName, nameof(clusterName));
        int strategyBytes = WireSize.StringBytes(lockStrategy, nameof(lockStrategy));
        int body = sizeof(ushort) + sizeof(ushort) + sizeof(ushort) + clusterBytes + sizeof(ushort) + strategyBytes + sizeof(uint) + (3 * sizeof(ulong));
        var b = FrameBuilder.Start(writer, body, requestId, Opcode.Hello, FrameFlags.Response, StatusCode.Ok);
        b.WriteU16(protocolVersion);
        b.WriteU16(nodeId);
        b.WriteString(clusterName, clusterBytes);
        b.WriteString(lockStrategy, strategyBytes);
        b.WriteU32(maxFrameSize);
        b.WriteU64(epoch);
        b.WriteU64(incarnation);
        b.WriteU64(membersDigest);
        b.Commit();
    }

    /// <summary>NodeInfo response (Ok): u16 count, count x (string protocol name, string "host:port").</summary>
    public static void WriteNodeInfoResponse(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<ListenerInfo> listeners)
    {
        WireSize.Count(listeners.Length, 0, nameof(listeners));
        long body = sizeof(ushort);
        foreach (ref readonly ListenerInfo l in listeners)
        {
            body += sizeof(ushort) + WireSize.StringBytes(l.Protocol, nameof(listeners)) + sizeof(ushort) + WireSize.StringBytes(l.Address, nameof(listeners));
        }

        var b = FrameBuilder.Start(writer, body, requestId, Opcode.NodeInfo, FrameFlags.Response, StatusCode.Ok);
        b.WriteU16((ushort)listeners.Length);
        foreach (ref readonly ListenerInfo l in listeners)
        {
            b.WriteString(l.Protocol, WireSize.StringBytes(l.Protocol, nameof(listeners)));
            b.WriteString(l.Address, WireSize.StringBytes(l.Address, nameof(listeners)));
        }

        b.Commit();
    }

    /// <summary>ClusterInfo response (Ok): u64 cluster state epoch, members, slot ranges.</summary>
    public static void WriteClusterInfoResponse(
        IBufferWriter<byte> writer,
        uint requestId,
        ulong epoch,
        ReadOnlySpan<MemberInfo> members,
        ReadOnlySpan<SlotRange> ranges)
    {
        WireSize.Count(members.Length, 0, nameof(members));
        WireSize.Count(ranges.Length, 0, nameof(ranges));
        long body = sizeof(ulong) + sizeof(ushort) + sizeof(ushort) + ((long)ranges.Length * SlotRange.WireSize);
        foreach (ref readonly MemberInfo m in members)
        {
            body += sizeof(ushort) + sizeof(ushort) + WireSize.StringBytes(m.Address, nameof(members)) + 1;
        }

        var b = FrameBuilder.Start(writer, body, requestId, Opcode.ClusterInfo, FrameFlags.Response, StatusCode.Ok);
        b.WriteU64(epoch);
        b.WriteU16((ushort)members.Length);
        foreach (ref readonly MemberInfo m in members)
        {
            b.WriteU16(m.NodeId);
            b.WriteString(m.Address, WireSize.StringBytes(m.Address, nameof(members)));
            b.WriteU8((byte)m.State);
        }

        b.WriteU16((ushort)ranges.Length);
        foreach (ref readonly SlotRange r in ranges)
        {
            b.WriteU16(r.FirstSlot);
            b.WriteU16(r.LastSlot);
            b.WriteU16(r.NodeId);
        }

        b.Commit();
    }

    /// <summary>MultiPut response (Ok): u32 attempts, how many tries the coordinator needed (1 = no retry).</summary>
    public static void WriteMultiPutResponse(IBufferWriter<byte> writer, uint requestId, uint attempts)
    {
        var b = FrameBuilder.Start(writer, sizeof(uint), requestId, Opcode.MultiPut, FrameFlags.Response, StatusCode.Ok);
        b.WriteU32(attempts);
        b.Commit();
    }

    /// <summary>MultiGet response (Ok): u16 count, count x (u8 present, value when present).</summary>
    public static void WriteMultiGetResponse(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<LookupResult> results) =>
        WriteLookupResponse(writer, requestId, Opcode.MultiGet, results);

    /// <summary>
    /// TxnRead response (Ok): the MultiGet response body, then for every key (present or not, in request order) its
    /// <c>expiresAt</c> i64 (unix ms, 0: none), <c>version</c> u64 (0: none) and <c>type</c> u8 (0: string).
    /// </summary>
    public static void WriteTxnReadResponse(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<LookupResult> results) =>
        WriteLookupResponse(writer, requestId, Opcode.TxnRead, results);

    /// <summary>The whole frame length of a TxnRead answer (the lookup body plus 17 bytes of metadata per key).</summary>
    public static long TxnReadResponseFrameLength(ReadOnlySpan<LookupResult> results) =>
        LookupResponseFrameLength(results) + (TxnReadMetadata.EntrySize * (long)results.Length);

    /// <summary>
    /// The whole frame length (length prefix included) of a MultiGet or TxnRead answer: what the node checks against
    /// the receiver's frame limit before it writes one, so that an answer that would not fit is an error, never a
    /// giant frame.
    /// </summary>
    public static long LookupResponseFrameLength(ReadOnlySpan<LookupResult> results)
    {
        long body = sizeof(ushort);
        foreach (ref readonly LookupResult r in results)
        {
            body += 1 + (r.Present ? 4L + r.Value.Length : 0);
        }

        return ProtocolConstants.HeaderSize + body;
    }

    private static void WriteLookupResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, ReadOnlySpan<LookupResult> results)
    {
        WireSize.Count(results.Length, 0, nameof(results));
        long body = sizeof(ushort);
        foreach (ref readonly LookupResult r in results)
        {
            body += 1 + (r.Present ? WireSize.Value(r.Value.Span) : 0);
        }

        var withMetadata = opcode == Opcode.TxnRead;
        if (withMetadata)
        {
            body += TxnReadMetadata.EntrySize * (long)results.Length;
        }

        var b = FrameBuilder.Start(writer, body, requestId, opcode, FrameFlags.Response, StatusCode.Ok);
        b.WriteU16((ushort)results.Length);
        foreach (ref readonly LookupResult r in results)
        {
            b.WriteU8(r.Present ? (byte)1 : (byte)0);
            if (r.Present)
            {
                b.WriteValue(r.Value.Span);
            }
        }

        if (withMetadata)
        {
            foreach (ref readonly LookupResult r in results)
            {
                b.WriteU64((ulong)r.ExpiresAt);
                b.WriteU64(r.Version);
                b.WriteU8(r.Type);
            }
        }

        b.Commit();
    }

    /// <summary>Lock or TxnLock response (Ok): u16 count, count x u64 fencing token, in request key order.</summary>
    public static void WriteTokensResponse(IBufferWriter<byte> writer, uint requestId, Opcode opcode, ReadOnlySpan<ulong> tokens)
    {
        WireSize.Count(tokens.Length, 0, nameof(tokens));
        var b = FrameBuilder.Start(writer, sizeof(ushort) + ((long)tokens.Length * sizeof(ulong)), requestId, opcode, FrameFlags.Response, StatusCode.Ok);
        b.WriteU16((ushort)tokens.Length);
        foreach (ulong token in tokens)
        {
            b.WriteU64(token);
        }

        b.Commit();
    }

    /// <summary>TxnStatus response (Ok): u8 outcome, u64 the responder's incarnation.</summary>
    public static void WriteTxnStatusResponse(IBufferWriter<byte> writer, uint requestId, TxnOutcome outcome, ulong incarnation)
    {
        var b = FrameBuilder.Start(writer, 1 + sizeof(ulong), requestId, Opcode.TxnStatus, FrameFlags.Response, StatusCode.Ok);
        b.WriteU8((byte)outcome);
        b.WriteU64(incarnation);
        b.Commit();
    }

    /// <summary>The size of a TxnWaitsFor answer frame of <paramref name="edgeCount"/> edges, header included.</summary>
    public static long TxnWaitsForResponseFrameLength(int edgeCount) =>
        ProtocolConstants.HeaderSize + sizeof(uint) + (2L * ProtocolConstants.TxnIdSize * edgeCount);

    /// <summary>TxnWaitsFor (Ok): u32 count, count x (TxnId waiter, TxnId blocker).</summary>
    public static void WriteTxnWaitsForResponse(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<TxnWaitEdge> edges)
    {
        var b = FrameBuilder.Start(writer, sizeof(uint) + (2L * ProtocolConstants.TxnIdSize * edges.Length), requestId, Opcode.TxnWaitsFor, FrameFlags.Response, StatusCode.Ok);
        b.WriteU32((uint)edges.Length);
        foreach (ref readonly TxnWaitEdge edge in edges)
        {
            b.WriteTxnId(edge.Waiter);
            b.WriteTxnId(edge.Blocker);
        }

        b.Commit();
    }

    // ---- shared shapes ----

    // Lock and TxnLock share one body; TxnLock adds the attempt number after the mode.
    private static void WriteLockBody(IBufferWriter<byte> writer, uint requestId, Opcode opcode, TxnId txn, LockMode mode, ushort? attempt, uint leaseMs, ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        long body = FrameLengths.Lock(keys, withAttempt: attempt.HasValue) - ProtocolConstants.HeaderSize;
        var b = FrameBuilder.Start(writer, body, requestId, opcode, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        b.WriteU8((byte)mode);
        if (attempt is { } a)
            b.WriteU16(a);
        b.WriteU32(leaseMs);
        WriteKeyList(ref b, keys);
        b.Commit();
    }

    private static void WriteTxnAttempt(IBufferWriter<byte> writer, uint requestId, Opcode opcode, TxnId txn, ushort attempt)
    {
        var b = FrameBuilder.Start(writer, FrameLengths.TxnAttempt - ProtocolConstants.HeaderSize, requestId, opcode, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        b.WriteU16(attempt);
        b.Commit();
    }

    private static void WriteTxnOnly(IBufferWriter<byte> writer, uint requestId, Opcode opcode, TxnId txn)
    {
        var b = FrameBuilder.Start(writer, FrameLengths.TxnOnly - ProtocolConstants.HeaderSize, requestId, opcode, FrameFlags.None, StatusCode.Ok);
        b.WriteTxnId(txn);
        b.Commit();
    }

    private static void WriteKeyList(ref FrameBuilder b, ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        b.WriteU16((ushort)keys.Length);
        foreach (ref readonly ReadOnlyMemory<byte> key in keys)
        {
            b.WriteKey(key.Span);
        }
    }
}
