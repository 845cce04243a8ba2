namespace FastDht.Protocol;

/// <summary>
/// Typed decoders for request bodies, one per opcode. Each returns false with a
/// <see cref="ProtocolError"/> on malformed input (including trailing bytes), never throws, and returns
/// slices of <c>body</c> rather than copies.
/// </summary>
/// <remarks>
/// Call <see cref="TryValidateHeader"/> first; then the decoder for the header's opcode on the
/// contiguous body (<see cref="Frame.GetBodySpan"/>).
/// </remarks>
public static class RequestDecoder
{
    /// <summary>
    /// Checks the parts of a request header the frame reader cannot judge: RESPONSE clear and status 0,
    /// a defined opcode, FENCED only on Put and Delete, ROUTED only on the single-key opcodes.
    /// </summary>
    public static bool TryValidateHeader(in FrameHeader header, out ProtocolError error)
    {
        error = default;
        if (header.IsResponse || header.Status != StatusCode.Ok)
        {
            error = ProtocolError.NotARequest();
            return false;
        }

        if (!IsDefined(header.Opcode))
        {
            error = ProtocolError.UnknownOpcode((byte)header.Opcode);
            return false;
        }

        if ((header.Flags & FrameFlags.Fenced) != 0 && header.Opcode is not (Opcode.Put or Opcode.Delete))
        {
            error = ProtocolError.FenceNotAllowed((byte)header.Opcode);
            return false;
        }

        if ((header.Flags & FrameFlags.Routed) != 0 && header.Opcode is not (Opcode.Get or Opcode.Put or Opcode.PutIfAbsent or Opcode.Delete))
        {
            error = ProtocolError.RoutedNotAllowed((byte)header.Opcode);
            return false;
        }

        if ((header.Flags & FrameFlags.Expires) != 0 && header.Opcode is not (Opcode.Put or Opcode.PutIfAbsent))
        {
            error = ProtocolError.ExpiresNotAllowed((byte)header.Opcode);
            return false;
        }

        return true;
    }

    /// <summary>True for the opcodes of protocol version 1 (those with a direction in <see cref="OpcodeDirections"/>).</summary>
    public static bool IsDefined(Opcode opcode) => OpcodeDirections.Of(opcode) != OpcodeDirection.None;

    /// <summary>RespPublish: the channel (u32 length + bytes), then the message to the end of the body (it may be empty).</summary>
    public static bool TryReadRespPublish(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> channel, out ReadOnlySpan<byte> message, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        message = default;
        if (!reader.TryReadValue(out channel))
        {
            error = reader.Error;
            return false;
        }

        message = reader.ReadRemaining();
        error = default;
        return true;
    }

    /// <summary>RespExecute: u8 RESP version (2 or 3), then one RESP multibulk command to the end of the body.</summary>
    /// <remarks>Only the envelope is checked here; the command bytes are parsed by the RESP codec at the owner.</remarks>
    public static bool TryReadRespExecute(ReadOnlySpan<byte> body, out byte respVersion, out ReadOnlySpan<byte> command, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        command = default;
        if (!reader.TryReadU8(out respVersion))
        {
            error = reader.Error;
            return false;
        }

        if (respVersion is not (2 or 3))
        {
            error = ProtocolError.OutOfRange(0, respVersion, 3);
            return false;
        }

        command = reader.ReadRemaining();
        if (command.IsEmpty)
        {
            error = ProtocolError.Truncated(1, 1, 0);
            return false;
        }

        error = default;
        return true;
    }

    /// <summary>Hello: u16 version, u8 role, u16 node id, string cluster, string lock strategy, u32 max frame size, u64 incarnation, u64 members digest.</summary>
    public static bool TryReadHello(ReadOnlySpan<byte> body, out HelloRequest hello, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadU16(out ushort version)
            && reader.TryReadEnum((byte)NodeRole.Consensus, out byte role)
            && reader.TryReadU16(out ushort nodeId)
            && reader.TryReadString(out ReadOnlySpan<byte> cluster)
            && reader.TryReadString(out ReadOnlySpan<byte> strategy)
            && reader.TryReadU32(out uint maxFrameSize)
            && reader.TryReadU64(out ulong incarnation)
            && reader.TryReadU64(out ulong membersDigest)
            && reader.TryReadEnd())
        {
            hello = new HelloRequest(version, (NodeRole)role, nodeId, cluster, strategy, maxFrameSize, incarnation, membersDigest);
            error = default;
            return true;
        }

        hello = default;
        error = reader.Error;
        return false;
    }

    /// <summary>ClusterJoin: the joining node's address, a string "host:port" (its id is its Hello's).</summary>
    public static bool TryReadClusterJoin(ReadOnlySpan<byte> body, out string address, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadString(out var utf8) && reader.TryReadEnd())
        {
            address = System.Text.Encoding.UTF8.GetString(utf8);
            error = default;
            return true;
        }
        address = "";
        error = reader.Error;
        return false;
    }

    /// <summary>RemoveNode: u16 node id, u8 forget (0: graceful, the node must own no slots; 1: forgotten, its slots go to their in-sync replicas).</summary>
    public static bool TryReadRemoveNode(ReadOnlySpan<byte> body, out ushort nodeId, out bool forget, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        forget = false;
        if (reader.TryReadU16(out nodeId) && reader.TryReadEnum(1, out var flag) && reader.TryReadEnd())
        {
            forget = flag == 1;
            error = default;
            return true;
        }
        error = reader.Error;
        return false;
    }

    /// <summary>MoveSlots: u16 first slot, u16 last slot (inclusive, first &lt;= last &lt; 16384), u16 target node.</summary>
    public static bool TryReadMoveSlots(ReadOnlySpan<byte> body, out ushort firstSlot, out ushort lastSlot, out ushort target, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        firstSlot = lastSlot = target = 0;
        if (reader.TryReadU16(out firstSlot) && reader.TryReadU16(out lastSlot) && reader.TryReadU16(out target) && reader.TryReadEnd())
        {
            if (firstSlot <= lastSlot && lastSlot < KeySlot.SlotCount)
            {
                error = default;
                return true;
            }
            // The last slot at offset 2 is out of range, or below the first.
            error = new ProtocolError(ProtocolErrorCode.OutOfRange, 2, lastSlot, KeySlot.SlotCount - 1);
            return false;
        }
        error = reader.Error;
        return false;
    }

    /// <summary>Snapshot: u8 wait, 0 or 1.</summary>
    public static bool TryReadSnapshot(ReadOnlySpan<byte> body, out bool wait, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadEnum(1, out var flag) && reader.TryReadEnd())
        {
            wait = flag == 1;
            error = default;
            return true;
        }
        wait = false;
        error = reader.Error;
        return false;
    }

    /// <summary>A body that must be empty (ClusterInfo).</summary>
    public static bool TryReadEmpty(ReadOnlySpan<byte> body, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        bool ok = reader.TryReadEnd();
        error = reader.Error;
        return ok;
    }

    /// <summary>Get: key.</summary>
    public static bool TryReadGet(ReadOnlySpan<byte> body, ProtocolLimits limits, out ReadOnlySpan<byte> key, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (reader.TryReadKey(limits.MaxKeySize, out key) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        key = default;
        error = reader.Error;
        return false;
    }

    /// <summary>Put and PutIfAbsent without their time to live (see the overload with <c>timeToLiveMs</c>).</summary>
    /// <remarks>For readers that do not apply expiry (codec tests, benchmarks): an EXPIRES frame's time to live is read and dropped.</remarks>
    public static bool TryReadPut(
        ReadOnlySpan<byte> body,
        FrameFlags flags,
        ProtocolLimits limits,
        out ReadOnlySpan<byte> key,
        out ReadOnlySpan<byte> value,
        out ulong? fenceToken,
        out ProtocolError error) =>
        TryReadPut(body, flags, limits, out key, out value, out _, out fenceToken, out error);

    /// <summary>
    /// Put and PutIfAbsent: key, value [+ u64 time to live in ms when <paramref name="flags"/> has EXPIRES, 1 to
    /// <see cref="ProtocolConstants.MaxTimeToLiveMs"/>] [+ u64 fence token when it has FENCED]; the time to live comes
    /// back in <c>timeToLiveMs</c>, 0 when the frame has none.
    /// </summary>
    public static bool TryReadPut(
        ReadOnlySpan<byte> body,
        FrameFlags flags,
        ProtocolLimits limits,
        out ReadOnlySpan<byte> key,
        out ReadOnlySpan<byte> value,
        out long timeToLiveMs,
        out ulong? fenceToken,
        out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (reader.TryReadKey(limits.MaxKeySize, out key)
            && reader.TryReadValue(out value)
            && TryReadTimeToLive(ref reader, flags, out timeToLiveMs)
            && TryReadFence(ref reader, flags, out fenceToken)
            && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        key = default;
        value = default;
        timeToLiveMs = 0;
        fenceToken = null;
        error = reader.Error;
        return false;
    }

    private static bool TryReadTimeToLive(ref BodyReader reader, FrameFlags flags, out long timeToLiveMs)
    {
        timeToLiveMs = 0;
        if ((flags & FrameFlags.Expires) == 0)
        {
            return true;
        }

        var start = reader.Position;
        if (!reader.TryReadU64(out ulong ttl))
        {
            return false;
        }

        if (ttl == 0 || ttl > ProtocolConstants.MaxTimeToLiveMs)
        {
            return reader.Fail(ProtocolError.OutOfRange(start, (long)Math.Min(ttl, long.MaxValue), (long)ProtocolConstants.MaxTimeToLiveMs));
        }

        timeToLiveMs = (long)ttl;
        return true;
    }

    /// <summary>Delete: key [+ u64 fence token when <paramref name="flags"/> has FENCED].</summary>
    public static bool TryReadDelete(
        ReadOnlySpan<byte> body,
        FrameFlags flags,
        ProtocolLimits limits,
        out ReadOnlySpan<byte> key,
        out ulong? fenceToken,
        out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (reader.TryReadKey(limits.MaxKeySize, out key) && TryReadFence(ref reader, flags, out fenceToken) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        key = default;
        fenceToken = null;
        error = reader.Error;
        return false;
    }

    /// <summary>MultiPut: u16 count (at least 1), count x (key, value). Every entry is validated before this returns.</summary>
    public static bool TryReadMultiPut(ReadOnlySpan<byte> body, ProtocolLimits limits, out KeyValueList entries, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (KeyValueList.TryRead(ref reader, limits.MaxKeySize, out entries) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        entries = default;
        error = reader.Error;
        return false;
    }

    /// <summary>MultiGet: u16 count (at least 1), count x key.</summary>
    public static bool TryReadMultiGet(ReadOnlySpan<byte> body, ProtocolLimits limits, out KeyList keys, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (KeyList.TryRead(ref reader, 1, limits.MaxKeySize, out keys) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        keys = default;
        error = reader.Error;
        return false;
    }

    /// <summary>TxnLock: TxnId, u8 mode, u16 attempt, u32 lease ms, u16 count (at least 1), count x key.</summary>
    public static bool TryReadTxnLock(
        ReadOnlySpan<byte> body,
        ProtocolLimits limits,
        out TxnId txn,
        out LockMode mode,
        out ushort attempt,
        out uint leaseMs,
        out KeyList keys,
        out ProtocolError error) =>
        TryReadLockBody(body, limits, withAttempt: true, out txn, out mode, out attempt, out leaseMs, out keys, out error);

    /// <summary>Lock: TxnId, u8 mode, u32 lease ms, u16 count (at least 1), count x key.</summary>
    public static bool TryReadLock(
        ReadOnlySpan<byte> body,
        ProtocolLimits limits,
        out TxnId txn,
        out LockMode mode,
        out uint leaseMs,
        out KeyList keys,
        out ProtocolError error) =>
        TryReadLockBody(body, limits, withAttempt: false, out txn, out mode, out _, out leaseMs, out keys, out error);

    // Lock and TxnLock share one body; TxnLock adds the attempt number after the mode.
    private static bool TryReadLockBody(
        ReadOnlySpan<byte> body,
        ProtocolLimits limits,
        bool withAttempt,
        out TxnId txn,
        out LockMode mode,
        out ushort attempt,
        out uint leaseMs,
        out KeyList keys,
        out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        attempt = 0;
        if (reader.TryReadTxnId(out txn)
            && reader.TryReadEnum((byte)LockMode.Exclusive, out byte rawMode)
            && (!withAttempt || reader.TryReadU16(out attempt))
            && reader.TryReadU32(out leaseMs)
            && KeyList.TryRead(ref reader, 1, limits.MaxKeySize, out keys)
            && reader.TryReadEnd())
        {
            mode = (LockMode)rawMode;
            error = default;
            return true;
        }

        txn = default;
        mode = default;
        attempt = 0;
        leaseMs = 0;
        keys = default;
        error = reader.Error;
        return false;
    }

    /// <summary>Unlock: TxnId, u16 count (at least 1), count x key.</summary>
    public static bool TryReadUnlock(ReadOnlySpan<byte> body, ProtocolLimits limits, out TxnId txn, out KeyList keys, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (reader.TryReadTxnId(out txn) && KeyList.TryRead(ref reader, 1, limits.MaxKeySize, out keys) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        txn = default;
        keys = default;
        error = reader.Error;
        return false;
    }

    /// <summary>RenewLease: TxnId, u32 lease ms, u16 count (at least 1), count x key.</summary>
    public static bool TryReadRenewLease(
        ReadOnlySpan<byte> body,
        ProtocolLimits limits,
        out TxnId txn,
        out uint leaseMs,
        out KeyList keys,
        out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (reader.TryReadTxnId(out txn)
            && reader.TryReadU32(out leaseMs)
            && KeyList.TryRead(ref reader, 1, limits.MaxKeySize, out keys)
            && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        txn = default;
        leaseMs = 0;
        keys = default;
        error = reader.Error;
        return false;
    }

    /// <summary>TxnRead: TxnId, u16 count (at least 1), count x key.</summary>
    public static bool TryReadTxnRead(ReadOnlySpan<byte> body, ProtocolLimits limits, out TxnId txn, out KeyList keys, out ProtocolError error) =>
        TryReadUnlock(body, limits, out txn, out keys, out error);

    /// <summary>TxnWound and TxnPin: a TxnId alone.</summary>
    public static bool TryReadTxnId(ReadOnlySpan<byte> body, out TxnId txn, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadTxnId(out txn) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        txn = default;
        error = reader.Error;
        return false;
    }

    /// <summary>TxnCommit, TxnAbort and TxnStatus: TxnId, u16 attempt.</summary>
    public static bool TryReadTxnAttempt(ReadOnlySpan<byte> body, out TxnId txn, out ushort attempt, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadTxnId(out txn) && reader.TryReadU16(out attempt) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        txn = default;
        attempt = 0;
        error = reader.Error;
        return false;
    }

    /// <summary>
    /// TxnPrepare: TxnId, u16 attempt, u64 coordinator incarnation, u16 count (at least 1) x (u16 node id, u64
    /// incarnation), u16 count (may be 0) x (key, value, u64 fence token).
    /// </summary>
    public static bool TryReadTxnPrepare(
        ReadOnlySpan<byte> body,
        ProtocolLimits limits,
        out TxnId txn,
        out ushort attempt,
        out ulong coordinatorIncarnation,
        out TxnMemberList participants,
        out TxnWriteList writes,
        out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new BodyReader(body);
        if (reader.TryReadTxnId(out txn)
            && reader.TryReadU16(out attempt)
            && reader.TryReadU64(out coordinatorIncarnation)
            && TxnMemberList.TryRead(ref reader, out participants)
            && TxnWriteList.TryRead(ref reader, limits.MaxKeySize, out writes)
            && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        txn = default;
        attempt = 0;
        coordinatorIncarnation = 0;
        participants = default;
        writes = default;
        error = reader.Error;
        return false;
    }

    private static bool TryReadFence(ref BodyReader reader, FrameFlags flags, out ulong? fenceToken)
    {
        if ((flags & FrameFlags.Fenced) == 0)
        {
            fenceToken = null;
            return true;
        }

        if (reader.TryReadU64(out ulong token))
        {
            fenceToken = token;
            return true;
        }

        fenceToken = null;
        return false;
    }
}
