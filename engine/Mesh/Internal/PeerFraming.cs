using System.Buffers.Binary;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The native protocol's framing for a peer link's fragments: which frames may pass a large one, and the Fragment piece header (docs/protocol.md §5.21).</summary>
internal sealed class PeerFraming(int pieceSize) : OutputFraming
{
    public override int HeaderSize => ProtocolConstants.HeaderSize;

    public override int LargeFrame => ProtocolConstants.FragmentThreshold;

    public override int PieceSize { get; } = pieceSize;

    public override int PieceHeaderSize => ProtocolConstants.HeaderSize;

    /// <remarks>
    /// Answers pass (the protocol matches them by request id, in any order), and so do the two requests whose delay fails
    /// a healthy node: Ping and LeaseRenew. Every other request keeps its place: a client's SET of a large value and its
    /// GET right after go through one link, and the GET must see the SET.
    /// </remarks>
    public override long FrameLength(ReadOnlySpan<byte> header, out bool passes)
    {
        var flags = (FrameFlags)header[9];
        var opcode = (Opcode)header[8];
        passes = (flags & FrameFlags.Response) != 0 || opcode is Opcode.Ping or Opcode.LeaseRenew;
        return sizeof(uint) + (long)BinaryPrimitives.ReadUInt32LittleEndian(header);
    }

    public override void WritePieceHeader(Span<byte> destination, uint streamId, int pieceLength) =>
        FrameWriter.WriteFragmentHeader(destination, streamId, pieceLength);
}
