using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>ClusterPropose or ClusterPush: the body is one encoded cluster state (ClusterStateCodec).</summary>
internal readonly struct ClusterStateRequest(Opcode opcode, byte[] state) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + state.Length;

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteFrame(writer, requestId, opcode, FrameFlags.None, StatusCode.Ok, state);
}
