using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>A Fragment with an empty body: asks the peer whether it reassembles pieces (a node from before Fragment answers an unknown opcode).</summary>
internal readonly struct FragmentProbeRequest : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteFragmentProbe(writer, requestId);
}
