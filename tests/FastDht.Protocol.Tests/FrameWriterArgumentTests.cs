using System.Buffers;

namespace FastDht.Protocol.Tests;

/// <summary>Encoders reject what the wire cannot carry, with a typed exception and nothing written.</summary>
public class FrameWriterArgumentTests
{
    [Fact]
    public void Empty_or_oversized_keys_throw_and_write_nothing()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteGet(writer, 1, ReadOnlySpan<byte>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WritePut(writer, 1, new byte[65536], "v"u8));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteMultiGet(writer, 1, [new byte[1], ReadOnlyMemory<byte>.Empty]));
        Assert.Equal(0, writer.WrittenCount);

        // 65535 is the largest key the wire carries.
        FrameWriter.WriteGet(writer, 1, new byte[65535]);
        Assert.Equal(12 + 2 + 65535, writer.WrittenCount);
    }

    [Fact]
    public void Counts_statuses_and_strings_are_checked()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteMultiPut(writer, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteMultiGet(writer, 1, new ReadOnlyMemory<byte>[65536]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteStatusResponse(writer, 1, Opcode.Get, StatusCode.BadRequest));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteErrorResponse(writer, 1, Opcode.Get, StatusCode.NotFound, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.WriteHello(writer, 1, NodeRole.Client, 0xFFFF, new string('x', 70000), "", 4096));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Limits_reject_out_of_range_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxFrameSize = (1 << 30) + 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxFrameSize = 100 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxKeySize = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProtocolLimits { MaxKeySize = 65536 });
        Assert.Equal(64 << 20, ProtocolLimits.Default.MaxFrameSize);
        Assert.Equal(65535, ProtocolLimits.Default.MaxKeySize);
    }
}
