using System.Buffers;
using System.Buffers.Binary;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// LeaseRenew: a node asks the Raft leader for its serving lease. Body: u64 the epoch of the cluster state the node has,
/// u8 1 when the in-sync sets that list it are true of it (0 right after a restart, until it is out of every one); from
/// a voter also its report (<see cref="LeaderReport"/>): i64 its Raft term, u16 the last leader it saw before that
/// term, i64 that leader's term and u32 the milliseconds since it last read from that leader on the Raft connections.
/// </summary>
internal readonly struct LeaseRenewRequest(ulong epoch, bool trustworthy, LeaderReport report) : IFrameRequest
{
    /// <summary>The body without a voter's report.</summary>
    public const int BodySize = 9;

    /// <summary>The body with a voter's report as the eighth session's build sent it (no silence).</summary>
    public const int TermsOnlyBodySize = BodySize + 18;

    /// <summary>The body with a voter's report.</summary>
    public const int ReportBodySize = TermsOnlyBodySize + 4;

    private int Size => report.IsPresent ? ReportBodySize : BodySize;

    public int FrameLength => ProtocolConstants.HeaderSize + Size;

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        Span<byte> body = stackalloc byte[ReportBodySize];
        BinaryPrimitives.WriteUInt64LittleEndian(body, epoch);
        body[8] = trustworthy ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(body[9..], report.Term);
        BinaryPrimitives.WriteUInt16LittleEndian(body[17..], report.LastLeader);
        BinaryPrimitives.WriteInt64LittleEndian(body[19..], report.LastLeaderTerm);
        BinaryPrimitives.WriteUInt32LittleEndian(body[27..], report.LastLeaderSilentMs);
        FrameWriter.WriteFrame(writer, requestId, Opcode.LeaseRenew, FrameFlags.None, StatusCode.Ok, body[..Size]);
    }

    /// <summary>Reads a LeaseRenew body; false when its length or its trust byte is wrong.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out ulong epoch, out bool trustworthy, out LeaderReport report)
    {
        epoch = 0;
        trustworthy = false;
        report = LeaderReport.None;
        if (body.Length is not (BodySize or TermsOnlyBodySize or ReportBodySize) || body[8] > 1)
            return false;
        epoch = BinaryPrimitives.ReadUInt64LittleEndian(body);
        trustworthy = body[8] == 1;
        if (body.Length >= TermsOnlyBodySize)
        {
            report = new LeaderReport(
                BinaryPrimitives.ReadInt64LittleEndian(body[9..]),
                BinaryPrimitives.ReadUInt16LittleEndian(body[17..]),
                BinaryPrimitives.ReadInt64LittleEndian(body[19..]),
                body.Length == ReportBodySize ? BinaryPrimitives.ReadUInt32LittleEndian(body[27..]) : LeaderReport.SilenceUnknown);
        }
        return true;
    }
}
