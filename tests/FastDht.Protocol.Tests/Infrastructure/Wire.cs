using System.Buffers;

namespace FastDht.Protocol.Tests.Infrastructure;

/// <summary>Test helpers: encode with a writer delegate, decode exactly one frame.</summary>
internal static class Wire
{
    public static byte[] Encode(Action<ArrayBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Reads exactly one frame that fills the whole sequence; returns its header and a copy of its body.</summary>
    public static (FrameHeader Header, byte[] Body) ReadSingle(ReadOnlySequence<byte> sequence, ProtocolLimits? limits = null)
    {
        ReadOnlySequence<byte> buffer = sequence;
        Assert.True(FrameReader.TryReadFrame(ref buffer, limits ?? ProtocolLimits.Default, out Frame frame, out ProtocolError error), error.ToString());
        Assert.True(error.IsNone);
        Assert.Equal(0, buffer.Length);
        Assert.Equal(frame.Header.BodyLength, frame.Body.Length);
        byte[] scratch = new byte[frame.Header.BodyLength];
        byte[] body = frame.GetBodySpan(scratch).ToArray();
        return (frame.Header, body);
    }

    public static (FrameHeader Header, byte[] Body) ReadSingle(byte[] bytes, ProtocolLimits? limits = null) =>
        ReadSingle(new ReadOnlySequence<byte>(bytes), limits);

    /// <summary>Header bytes followed by the body, with an explicit length field (may lie).</summary>
    public static byte[] Raw(uint length, uint requestId, byte opcode, byte flags, ushort status, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[12 + body.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), length);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), requestId);
        bytes[8] = opcode;
        bytes[9] = flags;
        BitConverter.TryWriteBytes(bytes.AsSpan(10), status);
        body.CopyTo(bytes.AsSpan(12));
        return bytes;
    }

    /// <summary>A well-formed request frame around <paramref name="body"/>.</summary>
    public static byte[] Request(Opcode opcode, ReadOnlySpan<byte> body, FrameFlags flags = FrameFlags.None) =>
        Raw((uint)(8 + body.Length), 7, (byte)opcode, (byte)flags, 0, body);
}
