using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// MigrateKeys (protocol.md §5.16): a node moving slots to the receiver. Body: u64 the sender's epoch, u8 kind (0 records,
/// 1 reset: drop what an earlier attempt left), u16 first slot, u16 last slot, then <see cref="Keyspace.Internal.StreamRecords"/>.
/// </summary>
internal readonly struct MigrateKeysRequest(byte[] body, int length) : IFrameRequest
{
    /// <summary>The fixed part of the body before the records.</summary>
    public const int PrefixSize = 8 + 1 + 2 + 2;

    public const byte KindRecords = 0;
    public const byte KindReset = 1;

    public int FrameLength => ProtocolConstants.HeaderSize + length;

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteFrame(writer, requestId, Opcode.MigrateKeys, FrameFlags.None, StatusCode.Ok, body.AsSpan(0, length));
}
