namespace FastDht.Protocol;

/// <summary>Fixed numbers of the native protocol, version 1 (docs/protocol.md).</summary>
public static class ProtocolConstants
{
    /// <summary>The protocol version this assembly speaks, sent and checked in Hello.</summary>
    public const ushort Version = 1;

    /// <summary>
    /// The request id of a node's going-away notice to a client (docs/protocol.md §3): a response frame with this id,
    /// opcode Hello and status ShuttingDown, sent unasked when the node begins to stop. Clients never use this id.
    /// </summary>
    public const uint GoAwayRequestId = 0;

    /// <summary>Whether a response frame is a node's going-away notice (<see cref="GoAwayRequestId"/>).</summary>
    public static bool IsGoAway(in FrameHeader header) =>
        header.RequestId == GoAwayRequestId && header.Opcode == Opcode.Hello && header.Status == StatusCode.ShuttingDown && header.IsResponse;

    /// <summary>Header bytes: u32 length + u32 request id + u8 opcode + u8 flags + u16 status.</summary>
    public const int HeaderSize = 12;

    /// <summary>
    /// Header bytes counted by the length field: the length field (4 bytes) counts everything after
    /// itself, so length = 8 + body length.
    /// </summary>
    public const int LengthOverhead = HeaderSize - sizeof(uint);

    /// <summary>A frame larger than this (whole, header included) goes on a peer link in Fragment pieces, once the peer said it reassembles them: 256 KiB.</summary>
    public const int FragmentThreshold = 256 * 1024;

    /// <summary>The most bytes of a large frame one Fragment piece carries: 64 KiB (less when the peer's maximum frame is smaller).</summary>
    public const int FragmentPieceSize = 64 * 1024;

    /// <summary>The node id a client sends in Hello.</summary>
    public const ushort ClientNodeId = 0xFFFF;

    /// <summary>Bytes of a TxnId on the wire: u64 timestamp + u16 node id + u16 reserved + u32 sequence.</summary>
    public const int TxnIdSize = 16;

    /// <summary>The longest key the wire can carry: a key's length is a u16.</summary>
    public const int MaxWireKeySize = ushort.MaxValue;

    /// <summary>The most entries a list can carry: counts are u16.</summary>
    public const int MaxCount = ushort.MaxValue;

    /// <summary>
    /// The longest time to live a Put may carry (EXPIRES flag): 2^47 ms, about 4460 years, so that now + ttl fits an
    /// expiry time in unix milliseconds with room to spare (Redis bounds EX/PX the same way: the sum must not overflow).
    /// </summary>
    public const ulong MaxTimeToLiveMs = 1UL << 47;
}
