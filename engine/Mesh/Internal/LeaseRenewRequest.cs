using System.Buffers;
using System.Buffers.Binary;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// LeaseRenew: a node asks the Raft leader for its serving lease. Body: u64 the epoch of the cluster state the node has,
/// u8 1 when the in-sync sets that list it are true of it (0 right after a restart, until it is out of every one); from
/// a voter also its report (<paramref name="term"/> above 0): i64 its Raft term, u16 the last leader it saw before that
/// term and i64 that leader's term.
/// </summary>
internal readonly struct LeaseRenewRequest(ulong epoch, bool trustworthy, long term, ushort lastLeader, long lastLeaderTerm) : IFrameRequest
{
    /// <summary>The body without a voter's report.</summary>
    public const int BodySize = 9;

    /// <summary>The body with a voter's report.</summary>
    public const int ReportBodySize = BodySize + 18;

    private int Size => term > 0 ? ReportBodySize : BodySize;

    public int FrameLength => ProtocolConstants.HeaderSize + Size;

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        Span<byte> body = stackalloc byte[ReportBodySize];
        BinaryPrimitives.WriteUInt64LittleEndian(body, epoch);
        body[8] = trustworthy ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(body[9..], term);
        BinaryPrimitives.WriteUInt16LittleEndian(body[17..], lastLeader);
        BinaryPrimitives.WriteInt64LittleEndian(body[19..], lastLeaderTerm);
        FrameWriter.WriteFrame(writer, requestId, Opcode.LeaseRenew, FrameFlags.None, StatusCode.Ok, body[..Size]);
    }
}
