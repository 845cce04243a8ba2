using System.Buffers;
using System.Buffers.Binary;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// LeaseRenew: a node asks the Raft leader for its serving lease. Body: u64 the epoch of the cluster state the node has,
/// u8 1 when the in-sync sets that list it are true of it (0 right after a restart, until it is out of every one).
/// </summary>
internal readonly struct LeaseRenewRequest(ulong epoch, bool trustworthy) : IFrameRequest
{
    public const int BodySize = 9;

    public int FrameLength => ProtocolConstants.HeaderSize + BodySize;

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        Span<byte> body = stackalloc byte[BodySize];
        BinaryPrimitives.WriteUInt64LittleEndian(body, epoch);
        body[8] = trustworthy ? (byte)1 : (byte)0;
        FrameWriter.WriteFrame(writer, requestId, Opcode.LeaseRenew, FrameFlags.None, StatusCode.Ok, body);
    }
}
