using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// ReplicaSync: primary to replica. Body: u64 the primary's epoch, u8 kind (0 records, 1 reset), u64 the stream
/// position after the batch, then the records (<see cref="Keyspace.Internal.StreamRecords"/>) back to back.
/// </summary>
internal readonly struct ReplicaSyncRequest(byte[] body, int length) : IFrameRequest
{
    /// <summary>The fixed part of the body before the records.</summary>
    public const int PrefixSize = 8 + 1 + 8;

    public const byte KindRecords = 0;
    public const byte KindReset = 1;

    public int FrameLength => ProtocolConstants.HeaderSize + length;

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteFrame(writer, requestId, Opcode.ReplicaSync, FrameFlags.None, StatusCode.Ok, body.AsSpan(0, length));
}
