using System.Buffers;
using FastDht.Protocol.Resp;
using static FastDht.Protocol.Tests.Resp.RespTestCodec;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespRequestReaderTests
{
    public static TheoryData<string, string> Forms()
    {
        // (wire bytes, expected commands rendered)
        var data = new TheoryData<string, string>
        {
            { "*1\r\n$4\r\nPING\r\n", "[PING]" },
            { "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n", "[GET],[key:000000000001]" },
            { "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n", "[SET],[k],[value]" },
            { "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", "[GET],[]" },
            { "*3\r\n$3\r\nSET\r\n$4\r\na\r\nb\r\n$3\r\n*1\n\r\n", "[SET],[a\r\nb],[*1\n]" },
            { "PING\r\n", "[PING]" },
            { "set a b\n", "[set],[a],[b]" },
            { "\r\n\r\n*1\r\n$4\r\nPING\r\n", "[PING]" },
            { "*0\r\n*-1\r\n*1\r\n$4\r\nQUIT\r\n", "[QUIT]" },
            { "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING\r\n*1\r\n$4\r\nPING\r\n", "[ECHO],[abc] | [PING] | [PING]" },
        };
        string value = new('v', 1024);
        data.Add("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$1024\r\n" + value + "\r\n", "[SET],[key:000000000001],[" + value + "]");
        return data;
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void ParsesWhole(string wire, string expected)
    {
        var (commands, error, left) = ReadAll(new ReadOnlySequence<byte>(Ascii(wire)));
        Assert.Equal(expected, Render(commands));
        Assert.False(error.IsError);
        Assert.Equal(0, left);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void ParsesSplitAtEveryOffset(string wire, string expected)
    {
        byte[] bytes = Ascii(wire);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var (commands, error, left) = ReadAll(RespSegmentedSequence.Create(bytes, cut));
            Assert.Equal(expected, Render(commands));
            Assert.False(error.IsError);
            Assert.Equal(0, left);

            // Two cuts at one offset leave an empty segment in the middle.
            (commands, _, left) = ReadAll(RespSegmentedSequence.Create(bytes, cut, cut, bytes.Length / 2 < cut ? cut : bytes.Length / 2));
            Assert.Equal(expected, Render(commands));
            Assert.Equal(0, left);
        }
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void ParsesOneBytePerSegment(string wire, string expected)
    {
        var (commands, error, left) = ReadAll(RespSegmentedSequence.OneBytePerSegment(Ascii(wire)));
        Assert.Equal(expected, Render(commands));
        Assert.False(error.IsError);
        Assert.Equal(0, left);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void ParsesWhenBytesArriveOneAtATime(string wire, string expected)
    {
        Assert.Equal(expected, Render(Feed(Ascii(wire), _ => 1)));
    }

    [Fact]
    public void IncompleteCommandLeavesBufferUntouched()
    {
        byte[] bytes = Ascii("*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n");
        var command = new RespCommand();
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.False(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out RespError error));
            Assert.False(error.IsError);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(0, command.Count);
        }
    }

    [Fact]
    public void PreviousCommandIsWithdrawnWhenTheNextIsIncomplete()
    {
        var command = new RespCommand();
        var buffer = new ReadOnlySequence<byte>(Ascii("PING\r\nGET ke"));
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(1, command.Count);
        Assert.False(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out RespError error));
        Assert.False(error.IsError);
        Assert.Equal(0, command.Count);
        Assert.Equal(RespCommandKind.Unknown, command.Kind);
        Assert.Throws<ArgumentOutOfRangeException>(() => command.GetArgument(0));
    }

    [Fact]
    public void ResetForgetsAPartlyParsedCommand()
    {
        var command = new RespCommand();
        var partial = new ReadOnlySequence<byte>(Multibulk("SET", "key", "value")[..20]);
        Assert.False(RespRequestReader.TryRead(ref partial, command, RespLimits.Default, out _));

        // Another stream now: without Reset the command would resume at the old offset.
        command.Reset();
        var other = new ReadOnlySequence<byte>(Multibulk("GET", "k"));
        Assert.True(RespRequestReader.TryRead(ref other, command, RespLimits.Default, out _));
        Assert.Equal(["GET", "k"], Strings(command));

        command.Dispose();
        Assert.Equal(0, command.Count);
    }

    [Fact]
    public void PipelineOfManyCommandsInOneBuffer()
    {
        var stream = new List<byte>();
        for (int i = 0; i < 500; i++)
        {
            stream.AddRange(i % 3 == 0 ? Multibulk("GET", "key" + i) : Multibulk("SET", "key" + i, new string('x', i)));
        }

        byte[] bytes = stream.ToArray();
        foreach (ReadOnlySequence<byte> buffer in new[]
                 {
                     new ReadOnlySequence<byte>(bytes),
                     RespSegmentedSequence.Create(bytes, 4096, 8192, 8193, 20000),
                 })
        {
            var (commands, error, left) = ReadAll(buffer);
            Assert.False(error.IsError);
            Assert.Equal(0, left);
            Assert.Equal(500, commands.Count);
            for (int i = 0; i < 500; i++)
            {
                string[] expected = i % 3 == 0 ? ["GET", "key" + i] : ["SET", "key" + i, new string('x', i)];
                Assert.Equal(expected, commands[i]);
            }
        }
    }

    [Fact]
    public void SlowCommandWithManyArgumentsResumesAcrossReads()
    {
        var args = new string[3000];
        args[0] = "MSET";
        for (int i = 1; i < args.Length; i++)
        {
            args[i] = "a" + i;
        }

        byte[] bytes = Multibulk(args);
        var random = new Random(7);
        List<string[]> commands = Feed(bytes, _ => random.Next(1, 40));
        Assert.Single(commands);
        Assert.Equal(args, commands[0]);
    }

    [Fact]
    public void IdentifiesTheCommandKind()
    {
        var buffer = new ReadOnlySequence<byte>(Multibulk("sEt", "k", "v"));
        var command = new RespCommand();
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(RespCommandKind.Set, command.Kind);
        Assert.False(command.IsInline);

        buffer = new ReadOnlySequence<byte>(Ascii("flushall async\r\n"));
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(RespCommandKind.FlushAll, command.Kind);
        Assert.Equal(RespKeyword.Async, command.GetKeyword(1));
        Assert.True(command.IsInline);

        buffer = new ReadOnlySequence<byte>(Multibulk("NOSUCH"));
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(RespCommandKind.Unknown, command.Kind);
    }

    [Fact]
    public void StraddlingArgumentsGetDistinctCopies()
    {
        byte[] bytes = Multibulk("SET", "0123456789", "abcdefghij");

        // Cut inside both the key and the value, so both are copied and both spans must survive together.
        int key = Array.IndexOf(bytes, (byte)'5');
        int value = Array.IndexOf(bytes, (byte)'e');
        ReadOnlySequence<byte> buffer = RespSegmentedSequence.Create(bytes, key, value);
        var command = new RespCommand();
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        ReadOnlySpan<byte> k = command.GetArgument(1);
        ReadOnlySpan<byte> v = command.GetArgument(2);
        Assert.Equal("0123456789", System.Text.Encoding.ASCII.GetString(k));
        Assert.Equal("abcdefghij", System.Text.Encoding.ASCII.GetString(v));
        Assert.False(command.GetArgumentSequence(1).IsSingleSegment);
    }

    [Fact]
    public void ArgumentHelpers()
    {
        var buffer = new ReadOnlySequence<byte>(Multibulk("SET", "k", "v", "ex", "100", "NX", "12a"));
        var command = new RespCommand();
        Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        Assert.Equal(7, command.Count);
        Assert.Equal(RespKeyword.Ex, command.GetKeyword(3));
        Assert.True(command.ArgumentEquals(3, "EX"u8));
        Assert.False(command.ArgumentEquals(3, "PX"u8));
        Assert.True(command.TryGetInt64(4, out long seconds));
        Assert.Equal(100, seconds);
        Assert.Equal(RespKeyword.Nx, command.GetKeyword(5));
        Assert.False(command.TryGetInt64(6, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => command.GetArgument(7));
        Assert.Equal("SET k v ex 100 NX 12a", command.ToString());
    }

    /// <summary>Feeds <paramref name="bytes"/> in chunks the way a pipe does: unconsumed bytes stay, new ones append.</summary>
    internal static List<string[]> Feed(byte[] bytes, Func<int, int> nextChunk, RespLimits? limits = null)
    {
        var command = new RespCommand();
        var commands = new List<string[]>();
        var pieces = new List<ReadOnlyMemory<byte>>();
        int received = 0;
        int consumed = 0;
        for (int step = 0; received < bytes.Length && step < 1_000_000; step++)
        {
            int chunk = Math.Min(nextChunk(step), bytes.Length - received);
            pieces.Add(bytes.AsMemory(received, chunk));
            received += chunk;

            // The unconsumed bytes, segmented as they arrived.
            var unconsumed = new List<ReadOnlyMemory<byte>>();
            int position = 0;
            foreach (ReadOnlyMemory<byte> piece in pieces)
            {
                int start = Math.Max(consumed - position, 0);
                if (start < piece.Length)
                {
                    unconsumed.Add(piece[start..]);
                }

                position += piece.Length;
            }

            ReadOnlySequence<byte> buffer = RespSegmentedSequence.FromPieces(unconsumed);
            long before = buffer.Length;
            for (int guard = 0; guard < 100_000; guard++)
            {
                if (!RespRequestReader.TryRead(ref buffer, command, limits ?? RespLimits.Default, out RespError error))
                {
                    Assert.False(error.IsError, error.Message);
                    break;
                }

                commands.Add(Strings(command));
            }

            consumed += (int)(before - buffer.Length);
        }

        Assert.Equal(bytes.Length, consumed);
        return commands;
    }
}
