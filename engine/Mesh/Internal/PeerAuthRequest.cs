using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>A dialing node's step of the cluster-secret challenge-response: its nonce, then its proof (docs/protocol.md section 3.1).</summary>
internal readonly struct PeerAuthRequest(AuthMechanism step, byte[] bytes) : IFrameRequest
{
    public int FrameLength => (int)FrameLengths.PeerAuthStep;

    public void Write(IBufferWriter<byte> writer, uint requestId) => AuthFrames.WritePeerStep(writer, requestId, step, bytes);
}
