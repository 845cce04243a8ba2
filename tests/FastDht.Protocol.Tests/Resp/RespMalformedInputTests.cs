using System.Buffers;
using FastDht.Protocol.Resp;
using static FastDht.Protocol.Tests.Resp.RespTestCodec;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespMalformedInputTests
{
    public static TheoryData<string, string> Corpus() => new()
    {
        // Redis's own protocol tests (tests/unit/protocol.tcl) and the conditions in processMultibulkBuffer.
        // Redis 7 refuses a count above INT_MAX (Redis 6: above 1024 * 1024; see MoreThanAMillionArgumentsAreReadAndTheirTablesGivenBackAtTheNextCommand).
        { "*3000000000\r\n", "Protocol error: invalid multibulk length" },
        { "*2147483648\r\n", "Protocol error: invalid multibulk length" },
        { "*abc\r\n", "Protocol error: invalid multibulk length" },
        { "*\r\n", "Protocol error: invalid multibulk length" },
        { "*01\r\n", "Protocol error: invalid multibulk length" },
        { "*+1\r\n", "Protocol error: invalid multibulk length" },
        { "*-0\r\n", "Protocol error: invalid multibulk length" },
        { "* 1\r\n", "Protocol error: invalid multibulk length" },
        { "*99999999999999999999999\r\n", "Protocol error: invalid multibulk length" },
        { "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "Protocol error: expected '$', got 'f'" },
        { "*1\r\n\r\n", "Protocol error: expected '$', got ' '" },
        { "*1\r\n:1\r\n", "Protocol error: expected '$', got ':'" },
        { "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n", "Protocol error: invalid bulk length" },
        { "*1\r\n$abc\r\n", "Protocol error: invalid bulk length" },
        { "*1\r\n$\r\n", "Protocol error: invalid bulk length" },
        { "*1\r\n$2147483648\r\n", "Protocol error: invalid bulk length" },
        { "*1\r\n$536870913\r\n", "Protocol error: invalid bulk length" },
        { "*1\r\n$-0\r\n", "Protocol error: invalid bulk length" },
        { "\"unterminated\r\n", "Protocol error: unbalanced quotes in request" },
        { "'unterminated\r\n", "Protocol error: unbalanced quotes in request" },
        { "set \"a\"b c\r\n", "Protocol error: unbalanced quotes in request" },
        { "set 'a'b c\r\n", "Protocol error: unbalanced quotes in request" },
        { "set \"a\\\"\r\n", "Protocol error: unbalanced quotes in request" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void ReportsRedisErrorWhateverTheSegmentation(string wire, string message)
    {
        byte[] bytes = Ascii(wire);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var (commands, error, left) = ReadAll(RespSegmentedSequence.Create(bytes, cut));
            Assert.Empty(commands);
            Assert.True(error.IsError);
            Assert.Equal(message, error.Message);
            Assert.Equal(bytes.Length, left); // an error consumes nothing
        }

        var (_, oneByte, _) = ReadAll(RespSegmentedSequence.OneBytePerSegment(bytes));
        Assert.Equal(message, oneByte.Message);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void ErrorReplyIsTheRedisLine(string wire, string message)
    {
        var (_, error, _) = ReadAll(new ReadOnlySequence<byte>(Ascii(wire)));
        var output = new ArrayBufferWriter<byte>();
        int written = error.WriteTo(output);
        Assert.Equal("-ERR " + message + "\r\n", System.Text.Encoding.Latin1.GetString(output.WrittenSpan));
        Assert.Equal(output.WrittenCount, written);
    }

    [Fact]
    public void TooBigCountLinesAndInlineRequests()
    {
        string digits = new('1', 70_000);
        Assert.Equal("Protocol error: too big mbulk count string", ReadAll(Seq("*" + digits)).Error.Message);
        Assert.Equal("Protocol error: too big bulk count string", ReadAll(Seq("*1\r\n$" + digits)).Error.Message);
        Assert.Equal("Protocol error: too big inline request", ReadAll(Seq(new string('a', 70_000))).Error.Message);

        // A complete but over-long line is refused too, however it arrived (a deliberate tightening of Redis).
        Assert.Equal("Protocol error: too big inline request", ReadAll(Seq(new string('a', 65_537) + "\r\n")).Error.Message);

        // Exactly at the limit is fine, with or without its CR.
        Assert.Single(ReadAll(Seq(new string('a', 65_536) + "\r\n")).Commands);
        Assert.Single(ReadAll(Seq(new string('a', 65_536) + "\n")).Commands);

        // Under the limit and no CR yet: wait.
        var (commands, error, left) = ReadAll(Seq("*" + new string('1', 60_000)));
        Assert.Empty(commands);
        Assert.False(error.IsError);
        Assert.Equal(60_001, left);
    }

    [Fact]
    public void DeclaredLengthsAreCheckedBeforeThePayloadArrives()
    {
        var limits = new RespLimits { MaxBulkLength = 10, MaxArguments = 3, MaxInlineLength = 16 };
        Assert.Equal(RespErrorKind.InvalidBulkLength, ReadAll(Seq("*2\r\n$3\r\nGET\r\n$11\r\n"), limits).Error.Kind);
        Assert.Equal(RespErrorKind.InvalidMultibulkLength, ReadAll(Seq("*4\r\n"), limits).Error.Kind);
        Assert.Equal(RespErrorKind.TooBigInlineRequest, ReadAll(Seq("get 0123456789abcdef"), limits).Error.Kind);
        Assert.Equal(RespErrorKind.TooBigBulkCountString, ReadAll(Seq("*1\r\n$00000000000000000"), limits).Error.Kind);

        // At the limits: accepted.
        var (commands, error, _) = ReadAll(Seq("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n"), limits);
        Assert.False(error.IsError);
        Assert.Single(commands);
    }

    [Fact]
    public void NegativeAndZeroMultibulkCountsAreIgnored()
    {
        var (commands, error, left) = ReadAll(Seq("*-10\r\n*0\r\nPING\r\n"));
        Assert.Equal("[PING]", Render(commands));
        Assert.False(error.IsError);
        Assert.Equal(0, left);
    }

    [Fact]
    public void BytesAfterPayloadAreSkippedUncheckedAsRedisDoes()
    {
        // Redis skips the two bytes after a payload without looking; "XY" vanishes and parsing goes on.
        var (commands, error, _) = ReadAll(Seq("*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n"));
        Assert.False(error.IsError);
        Assert.Equal("[PING] | [PING]", Render(commands));
    }

    [Fact]
    public void BinaryByteInExpectedDollarIsReportedRaw()
    {
        var (_, error, _) = ReadAll(new ReadOnlySequence<byte>([(byte)'*', (byte)'1', 13, 10, 0xFF, 13, 10]));
        Assert.Equal(RespErrorKind.ExpectedDollar, error.Kind);
        Assert.Equal(0xFF, error.Got);
        var output = new ArrayBufferWriter<byte>();
        error.WriteTo(output);
        Assert.Equal([.. "-ERR Protocol error: expected '$', got '"u8, 0xFF, .. "'\r\n"u8], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void LimitsRejectNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RespLimits { MaxArguments = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RespLimits { MaxBulkLength = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RespLimits { MaxInlineLength = 0 });
        Assert.Equal(512 * 1024 * 1024, RespLimits.Default.MaxBulkLength);
        Assert.Equal(int.MaxValue, RespLimits.Default.MaxArguments);
        Assert.Equal(64 * 1024, RespLimits.Default.MaxInlineLength);
    }

    [Fact]
    public void MoreThanAMillionArgumentsAreReadAndTheirTablesGivenBackAtTheNextCommand()
    {
        // What Redis 7 accepts (Redis 6 refused more than 1,048,576 arguments).
        const int Count = 1_048_577;
        var wire = new System.Text.StringBuilder(Count * 8);
        wire.Append('*').Append(Count + 1).Append("\r\n$3\r\nDEL\r\n");
        for (int i = 0; i < Count; i++)
        {
            wire.Append("$1\r\n").Append((char)('a' + (i % 26))).Append("\r\n");
        }

        wire.Append("*1\r\n$4\r\nPING\r\n");
        ReadOnlySequence<byte> buffer = Seq(wire.ToString());
        var command = new RespCommand();
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(Count + 1, command.Count);
        Assert.Equal("z", System.Text.Encoding.ASCII.GetString(command.GetArgument(26)));
        // The tables grew to the declared count, not to the next power of two (2,097,152).
        Assert.InRange(command.RetainedBytes, (Count + 1) * 12L, (Count + 1) * (long)RespCommand.BytesPerArgument);
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(1, command.Count);
        Assert.True(command.RetainedBytes < 64 * 1024, $"{command.RetainedBytes} bytes kept after a one-argument command");

        // A node's own bound (RespNodeLimits) is refused from the header alone, before any argument is buffered.
        var bounded = new RespLimits { MaxArguments = Count };
        var (_, error, left) = ReadAll(Seq("*1048578\r\n"), bounded);
        Assert.Equal(RespErrorKind.InvalidMultibulkLength, error.Kind);
        Assert.Equal(10, left); // nothing consumed
    }

    private static ReadOnlySequence<byte> Seq(string text) => new(Ascii(text));
}
