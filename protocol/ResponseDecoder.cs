namespace FastDht.Protocol;

/// <summary>
/// Typed decoders for response bodies (used by clients and by a node reading its peers' answers).
/// Each returns false with a <see cref="ProtocolError"/> on malformed input and never throws.
/// </summary>
/// <remarks>
/// Check the header's status first: an error status (0x100 and above) carries an error body
/// (<see cref="TryReadError"/>); NotFound and Exists carry an empty body.
/// </remarks>
public static class ResponseDecoder
{
    /// <summary>Error body: string message (UTF-8), then the status's own fields (WrongNode's epoch and owner), which this reads past.</summary>
    /// <remarks>An error body may grow fields after the message (protocol.md §4), so bytes after it are not an error here.</remarks>
    public static bool TryReadError(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> messageUtf8, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadString(out messageUtf8))
        {
            error = default;
            return true;
        }

        messageUtf8 = default;
        error = reader.Error;
        return false;
    }

    /// <summary>
    /// WrongNode's error body: message, u64 epoch, u16 owner. A body with the message alone (a sender that predates the
    /// fields) reads as epoch 0 (unknown) and owner 0xFFFF; bytes after the owner are left for later fields.
    /// </summary>
    public static bool TryReadWrongNode(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> messageUtf8, out ulong epoch, out ushort owner, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        epoch = 0;
        owner = ProtocolConstants.ClientNodeId;
        if (!reader.TryReadString(out messageUtf8))
        {
            error = reader.Error;
            return false;
        }

        if (reader.Remaining != 0 && !(reader.TryReadU64(out epoch) && reader.TryReadU16(out owner)))
        {
            messageUtf8 = default;
            epoch = 0;
            owner = ProtocolConstants.ClientNodeId;
            error = reader.Error;
            return false;
        }

        error = default;
        return true;
    }

    /// <summary>
    /// The request a RespExecute refusal for a slot move returns (protocol.md section 5.12): the bytes after Moving's
    /// message, or after WrongNode's message, epoch and owner. False when the body carries none (any other status, or a
    /// sender that kept the request to itself) or is malformed.
    /// </summary>
    public static bool TryReadReturnedRequest(StatusCode status, ReadOnlySpan<byte> body, out ReadOnlySpan<byte> returned)
    {
        returned = default;
        var reader = new BodyReader(body);
        if (status is not (StatusCode.Moving or StatusCode.WrongNode) || !reader.TryReadString(out ReadOnlySpan<byte> _))
        {
            return false;
        }

        if (status == StatusCode.WrongNode && !(reader.TryReadU64(out _) && reader.TryReadU16(out _)))
        {
            return false;
        }

        returned = reader.ReadRemaining();
        return !returned.IsEmpty;
    }

    /// <summary>
    /// A MultiPut's or MultiGet's error body: message, then u32 attempts (how many attempts the coordinator made, all of
    /// them aborted or failed). A body with the message alone (an answer that did not come from the coordinator's
    /// attempts, such as a malformed request, or a sender that predates the field) reads as 0 attempts (not known);
    /// bytes after the attempts are left for later fields.
    /// </summary>
    public static bool TryReadTxnError(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> messageUtf8, out uint attempts, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        attempts = 0;
        if (!reader.TryReadString(out messageUtf8))
        {
            error = reader.Error;
            return false;
        }

        if (reader.Remaining != 0 && !reader.TryReadU32(out attempts))
        {
            messageUtf8 = default;
            attempts = 0;
            error = reader.Error;
            return false;
        }

        error = default;
        return true;
    }

    /// <summary>An empty body (Put, Delete, MultiPut, Unlock, ... and NotFound or Exists).</summary>
    public static bool TryReadEmpty(ReadOnlySpan<byte> body, out ProtocolError error) => RequestDecoder.TryReadEmpty(body, out error);

    /// <summary>Get (status Ok): value.</summary>
    public static bool TryReadValue(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> value, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadValue(out value) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        value = default;
        error = reader.Error;
        return false;
    }

    /// <summary>Hello (status Ok): u16 version, u16 node id, string cluster, string lock strategy, u32 max frame size, u64 cluster state epoch, u64 incarnation, u64 members digest.</summary>
    public static bool TryReadHello(ReadOnlySpan<byte> body, out HelloResponse hello, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadU16(out ushort version)
            && reader.TryReadU16(out ushort nodeId)
            && reader.TryReadString(out ReadOnlySpan<byte> cluster)
            && reader.TryReadString(out ReadOnlySpan<byte> strategy)
            && reader.TryReadU32(out uint maxFrameSize)
            && reader.TryReadU64(out ulong epoch)
            && reader.TryReadU64(out ulong incarnation)
            && reader.TryReadU64(out ulong membersDigest)
            && reader.TryReadEnd())
        {
            hello = new HelloResponse(version, nodeId, cluster, strategy, maxFrameSize, epoch, incarnation, membersDigest);
            error = default;
            return true;
        }

        hello = default;
        error = reader.Error;
        return false;
    }

    /// <summary>ClusterInfo (status Ok): u64 cluster state epoch, members, slot ranges, then sections this reader skips.</summary>
    /// <remarks>
    /// Bytes after the ranges are sections a later node may append (replicas, in-sync sets, moving slots: protocol.md
    /// §5.3), so they are not an error here.
    /// </remarks>
    public static bool TryReadClusterInfo(
        ReadOnlySpan<byte> body,
        out ulong epoch,
        out MemberEntryList members,
        out SlotRangeList ranges,
        out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadU64(out epoch)
            && MemberEntryList.TryRead(ref reader, out members)
            && SlotRangeList.TryRead(ref reader, out ranges))
        {
            error = default;
            return true;
        }

        epoch = 0;
        members = default;
        ranges = default;
        error = reader.Error;
        return false;
    }

    /// <summary>Snapshot (status Ok) of a request that waited: u64 keys, u64 bytes, u64 log position, i64 completed at (unix ms).</summary>
    /// <summary>MoveSlots answer: u64 keys copied, u64 keys removed, u32 copy ms, u32 total ms, u32 paused ms.</summary>
    public static bool TryReadMoveSlots(ReadOnlySpan<byte> body, out ulong keysCopied, out ulong keysRemoved, out uint copyMs, out uint totalMs, out uint pausedMs, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        keysRemoved = 0;
        copyMs = totalMs = pausedMs = 0;
        if (reader.TryReadU64(out keysCopied) && reader.TryReadU64(out keysRemoved) && reader.TryReadU32(out copyMs) && reader.TryReadU32(out totalMs)
            && reader.TryReadU32(out pausedMs) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }
        error = reader.Error;
        return false;
    }

    public static bool TryReadSnapshot(ReadOnlySpan<byte> body, out ulong keys, out ulong bytes, out ulong logPosition, out long completedAtMs, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        completedAtMs = 0;
        bytes = logPosition = 0;
        if (reader.TryReadU64(out keys) && reader.TryReadU64(out bytes) && reader.TryReadU64(out logPosition)
            && reader.TryReadU64(out var completed) && reader.TryReadEnd())
        {
            completedAtMs = (long)completed;
            error = default;
            return true;
        }
        error = reader.Error;
        return false;
    }

    /// <summary>NodeInfo (status Ok): u16 count, count x (string protocol, string address).</summary>
    /// <remarks>Allocates the list and its strings: it is read once per peer link, never per request.</remarks>
    public static bool TryReadNodeInfo(ReadOnlySpan<byte> body, out ListenerInfo[] listeners, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        listeners = [];
        if (!reader.TryReadCount(0, out int count))
        {
            error = reader.Error;
            return false;
        }

        var list = new ListenerInfo[count];
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadString(out var name) || !reader.TryReadString(out var address))
            {
                error = reader.Error;
                return false;
            }

            list[i] = new ListenerInfo(System.Text.Encoding.UTF8.GetString(name), System.Text.Encoding.UTF8.GetString(address));
        }

        if (!reader.TryReadEnd())
        {
            error = reader.Error;
            return false;
        }

        listeners = list;
        error = default;
        return true;
    }

    /// <summary>MultiGet (status Ok): u16 count, count x (u8 present, value when present).</summary>
    public static bool TryReadMultiGet(ReadOnlySpan<byte> body, out LookupList results, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (LookupList.TryRead(ref reader, out results) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        results = default;
        error = reader.Error;
        return false;
    }

    /// <summary>MultiPut (status Ok): u32 attempts, how many tries the coordinator needed (1 = no retry).</summary>
    public static bool TryReadMultiPut(ReadOnlySpan<byte> body, out uint attempts, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadU32(out attempts) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        attempts = 0;
        error = reader.Error;
        return false;
    }

    /// <summary>TxnRead (status Ok): the MultiGet response body, then count x (i64 expiresAt, u64 version).</summary>
    public static bool TryReadTxnRead(ReadOnlySpan<byte> body, out LookupList results, out TxnReadMetadata metadata, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (LookupList.TryRead(ref reader, out results) && TxnReadMetadata.TryRead(ref reader, results.Count, out metadata) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        results = default;
        metadata = default;
        error = reader.Error;
        return false;
    }

    /// <summary>TxnStatus (status Ok): u8 outcome (0-4; other values are malformed), u64 the responder's incarnation.</summary>
    public static bool TryReadTxnStatus(ReadOnlySpan<byte> body, out TxnOutcome outcome, out ulong incarnation, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadEnum((byte)TxnOutcome.Unknown, out byte value) && reader.TryReadU64(out incarnation) && reader.TryReadEnd())
        {
            outcome = (TxnOutcome)value;
            error = default;
            return true;
        }

        outcome = default;
        incarnation = 0;
        error = reader.Error;
        return false;
    }

    /// <summary>
    /// TxnWaitsFor (status Ok): u32 count, count x (TxnId waiter, TxnId blocker). Adds the edges to
    /// <paramref name="edges"/>; on a malformed body nothing is added. The count is checked against the body's length
    /// before anything is read, so a lying count cannot make the reader allocate.
    /// </summary>
    public static bool TryReadTxnWaitsFor(ReadOnlySpan<byte> body, ICollection<TxnWaitEdge> edges, out ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var reader = new BodyReader(body);
        if (!reader.TryReadU32(out uint count))
        {
            error = reader.Error;
            return false;
        }

        long needed = 2L * ProtocolConstants.TxnIdSize * count;
        if (needed > reader.Remaining)
        {
            error = ProtocolError.Truncated(sizeof(uint), needed, reader.Remaining);
            return false;
        }

        var read = new TxnWaitEdge[count];
        for (uint i = 0; i < count; i++)
        {
            if (!reader.TryReadTxnId(out TxnId waiter) || !reader.TryReadTxnId(out TxnId blocker))
            {
                error = reader.Error;
                return false;
            }

            read[i] = new TxnWaitEdge(waiter, blocker);
        }

        if (!reader.TryReadEnd())
        {
            error = reader.Error;
            return false;
        }

        foreach (TxnWaitEdge edge in read)
        {
            edges.Add(edge);
        }

        error = default;
        return true;
    }

    /// <summary>Lock and TxnLock (status Ok): u16 count, count x u64 fencing token.</summary>
    public static bool TryReadTokens(ReadOnlySpan<byte> body, out TokenList tokens, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (TokenList.TryRead(ref reader, out tokens) && reader.TryReadEnd())
        {
            error = default;
            return true;
        }

        tokens = default;
        error = reader.Error;
        return false;
    }
}
