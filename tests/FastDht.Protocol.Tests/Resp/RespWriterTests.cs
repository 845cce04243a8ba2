using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespWriterTests
{
    [Fact]
    public void WritesRespTwoTypesByteExact()
    {
        Assert.Equal("+OK\r\n", Write(w => RespWriter.WriteSimpleString(w, "OK"u8)));
        Assert.Equal("+a b c\r\n", Write(w => RespWriter.WriteSimpleString(w, "a\rb\nc"u8)));
        Assert.Equal("-ERR unknown command\r\n", Write(w => RespWriter.WriteError(w, "unknown command"u8)));
        Assert.Equal("-WRONGTYPE Operation against a key\r\n", Write(w => RespWriter.WriteError(w, RespErrorCodes.WrongType, "Operation against a key"u8)));
        Assert.Equal("-ERR two  lines\r\n", Write(w => RespWriter.WriteError(w, "two\r\nlines"u8)));
        Assert.Equal("-MOVED 3999 127.0.0.1:6381\r\n", Write(w => RespWriter.WriteMoved(w, 3999, "127.0.0.1:6381"u8)));
        Assert.Equal("-ASK 0 10.0.0.1:7000\r\n", Write(w => RespWriter.WriteAsk(w, 0, "10.0.0.1:7000"u8)));
        Assert.Equal(":0\r\n", Write(w => RespWriter.WriteInteger(w, 0)));
        Assert.Equal(":-1\r\n", Write(w => RespWriter.WriteInteger(w, -1)));
        Assert.Equal(":9223372036854775807\r\n", Write(w => RespWriter.WriteInteger(w, long.MaxValue)));
        Assert.Equal(":-9223372036854775808\r\n", Write(w => RespWriter.WriteInteger(w, long.MinValue)));
        Assert.Equal("$5\r\nhello\r\n", Write(w => RespWriter.WriteBulkString(w, "hello"u8)));
        Assert.Equal("$0\r\n\r\n", Write(w => RespWriter.WriteBulkString(w, ReadOnlySpan<byte>.Empty)));
        Assert.Equal("$4\r\na\r\nb\r\n", Write(w => RespWriter.WriteBulkString(w, "a\r\nb"u8)));
        Assert.Equal("$-1\r\n", Write(RespWriter.WriteNullBulk));
        Assert.Equal("*3\r\n", Write(w => RespWriter.WriteArrayHeader(w, 3)));
        Assert.Equal("*0\r\n", Write(w => RespWriter.WriteArrayHeader(w, 0)));
        Assert.Equal("*-1\r\n", Write(RespWriter.WriteNullArray));
        Assert.Equal("+PONG\r\n", Write(w => RespWriter.WriteRaw(w, RespReplies.Pong)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(w => RespWriter.WriteArrayHeader(w, -1)));
    }

    [Fact]
    public void WritesRespThreeTypesByteExact()
    {
        Assert.Equal("_\r\n", Write(RespWriter.WriteNull));
        Assert.Equal("%2\r\n", Write(w => RespWriter.WriteMapHeader(w, 2)));
        Assert.Equal("~4\r\n", Write(w => RespWriter.WriteSetHeader(w, 4)));
        Assert.Equal(">3\r\n", Write(w => RespWriter.WritePushHeader(w, 3)));
        Assert.Equal("#t\r\n", Write(w => RespWriter.WriteBoolean(w, true)));
        Assert.Equal("#f\r\n", Write(w => RespWriter.WriteBoolean(w, false)));
        Assert.Equal(",3.14\r\n", Write(w => RespWriter.WriteDouble(w, 3.14)));
        Assert.Equal(",-2\r\n", Write(w => RespWriter.WriteDouble(w, -2)));
        Assert.Equal(",1E+300\r\n", Write(w => RespWriter.WriteDouble(w, 1e300)));
        Assert.Equal(",inf\r\n", Write(w => RespWriter.WriteDouble(w, double.PositiveInfinity)));
        Assert.Equal(",-inf\r\n", Write(w => RespWriter.WriteDouble(w, double.NegativeInfinity)));
        Assert.Equal(",nan\r\n", Write(w => RespWriter.WriteDouble(w, double.NaN)));
        Assert.Equal("=15\r\ntxt:Some string\r\n", Write(w => RespWriter.WriteVerbatimString(w, "txt"u8, "Some string"u8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(w => RespWriter.WriteVerbatimString(w, "text"u8, "x"u8)));
    }

    [Fact]
    public void WritesLargeAndSegmentedBulkStrings()
    {
        byte[] value = new byte[100_000];
        new Random(1).NextBytes(value);
        byte[] expected = [.. "$100000\r\n"u8, .. value, .. "\r\n"u8];

        // A writer that hands out small spans forces the chunked copy through many GetSpan calls.
        var small = new SmallSpanWriter(1000);
        RespWriter.WriteBulkString(small, value);
        Assert.Equal(expected, small.Written.ToArray());

        var whole = new ArrayBufferWriter<byte>();
        RespWriter.WriteBulkString(whole, RespSegmentedSequence.Create(value, 10, 5000, 99_999));
        Assert.Equal(expected, whole.WrittenSpan.ToArray());

        var single = new ArrayBufferWriter<byte>();
        RespWriter.WriteBulkString(single, new ReadOnlySequence<byte>("abc"u8.ToArray()));
        Assert.Equal("$3\r\nabc\r\n"u8.ToArray(), single.WrittenSpan.ToArray());
    }

    [Fact]
    public void PrecomputedRepliesAreTheRedisBytes()
    {
        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(RespReplies.Ok));
        Assert.Equal(":1\r\n", Encoding.ASCII.GetString(RespReplies.One));
        Assert.Equal(":0\r\n", Encoding.ASCII.GetString(RespReplies.Zero));
        Assert.Equal("$-1\r\n", Encoding.ASCII.GetString(RespReplies.NullBulk));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", Encoding.ASCII.GetString(RespReplies.NotAnInteger));
    }

    [Fact]
    public void WritingAllocatesNothing()
    {
        var output = new ArrayBufferWriter<byte>(1 << 16);
        byte[] value = new byte[1024];
        WriteMix(output, value); // warm-up
        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            WriteMix(output, value);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void WriteMix(IBufferWriter<byte> output, byte[] value)
    {
        RespWriter.WriteArrayHeader(output, 3);
        RespWriter.WriteBulkString(output, value);
        RespWriter.WriteInteger(output, 12345);
        RespWriter.WriteRaw(output, RespReplies.Ok);
        RespWriter.WriteError(output, "boom"u8);
        RespWriter.WriteDouble(output, 1.5);
    }

    private static string Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }

    /// <summary>Offers at most <c>max</c> bytes per span unless more is demanded, like a pipe with small segments.</summary>
    private sealed class SmallSpanWriter(int max) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new();

        public ReadOnlySpan<byte> Written => _inner.WrittenSpan;

        public void Advance(int count) => _inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Memory<byte> memory = _inner.GetMemory(sizeHint);
            return memory[..Math.Max(sizeHint, Math.Min(max, memory.Length))];
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
