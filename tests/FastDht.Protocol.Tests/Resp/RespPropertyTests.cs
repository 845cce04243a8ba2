using System.Buffers;
using CsCheck;
using FastDht.Protocol.Resp;
using static FastDht.Protocol.Tests.Resp.RespTestCodec;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespPropertyTests
{
    private static readonly Gen<byte[][]> Command = Gen.Byte.Array[0, 40].Array[1, 6];

    [Fact]
    public void RandomArgumentListsRoundTripThroughAnySegmentation()
    {
        Gen.Select(Command.Array[1, 5], Gen.Int[0, 1000].Array[0, 6]).Sample((commands, cutSeeds) =>
        {
            byte[] bytes = commands.SelectMany(Multibulk).ToArray();
            int[] cuts = cutSeeds.Select(c => bytes.Length == 0 ? 0 : c % (bytes.Length + 1)).Order().ToArray();
            ReadOnlySequence<byte> buffer = RespSegmentedSequence.Create(bytes, cuts);
            var command = new RespCommand();
            foreach (byte[][] expected in commands)
            {
                Assert.True(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out RespError error), error.Message);
                Assert.Equal(expected, Arguments(command));
            }

            Assert.True(buffer.IsEmpty);
            Assert.False(RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _));
        }, iter: 2000);
    }

    [Fact]
    public void RandomArgumentListsRoundTripWhenFedInRandomChunks()
    {
        Gen.Select(Command.Array[1, 4], Gen.Int[1, 17]).Sample((commands, chunk) =>
        {
            byte[] bytes = commands.SelectMany(Multibulk).ToArray();
            List<string[]> parsed = RespRequestReaderTests.Feed(bytes, step => 1 + ((step * 7) % chunk));
            Assert.Equal(commands.Select(c => c.Select(a => System.Text.Encoding.Latin1.GetString(a)).ToArray()), parsed);
        }, iter: 500);
    }

    [Fact]
    public void InlineQuotingRoundTrips()
    {
        // Any bytes but NUL, written inside "..." with every byte escaped as \xHH: the splitter must undo it exactly.
        Gen<byte[]> argument = Gen.Byte[1, 255].Array[0, 20];
        argument.Array[1, 6].Sample(args =>
        {
            string line = string.Join(" ", args.Select(a => "\"" + string.Concat(a.Select(b => "\\x" + b.ToString("x2"))) + "\"")) + "\r\n";
            var (commands, error, left) = ReadAll(new ReadOnlySequence<byte>(Ascii(line)));
            Assert.False(error.IsError, error.Message);
            Assert.Equal(0, left);
            Assert.Equal(args.Select(a => System.Text.Encoding.Latin1.GetString(a)).ToArray(), Assert.Single(commands));
        }, iter: 1000);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        // An alphabet heavy in framing bytes reaches deep into both parsers; tiny limits reach every limit branch.
        byte[] alphabet = Ascii("*$\r\n0123456789-+ \"'\\xabAZ\t\0");
        Gen<byte> framing = Gen.Int[0, alphabet.Length - 1].Select(i => alphabet[i]);
        Gen<byte[]> bytes = Gen.OneOf(Gen.Byte.Array[0, 64], framing.Array[0, 64]);
        var small = new RespLimits { MaxBulkLength = 8, MaxArguments = 4, MaxInlineLength = 12 };
        Gen.Select(bytes, Gen.Int[0, 64], Gen.Bool).Sample((data, cut, useSmall) =>
        {
            ReadOnlySequence<byte> buffer = RespSegmentedSequence.Create(data, Math.Min(cut, data.Length));
            var command = new RespCommand();
            RespLimits limits = useSmall ? small : RespLimits.Default;
            for (int guard = 0; guard < 100; guard++)
            {
                long before = buffer.Length;
                if (!RespRequestReader.TryRead(ref buffer, command, limits, out RespError error))
                {
                    Assert.True(error.IsError || buffer.Length <= before);
                    if (error.IsError)
                    {
                        Assert.StartsWith("Protocol error: ", error.Message);
                    }

                    break;
                }

                Assert.True(command.Count > 0);
                Assert.True(buffer.Length < before);
                _ = Arguments(command);
                _ = command.GetKeyword(command.Count - 1);
                _ = command.TryGetInt64(0, out _);
            }
        }, iter: 20000);
    }

    [Fact]
    public void SegmentationNeverChangesTheOutcome()
    {
        // The single-segment fast path and the multi-segment path must agree on every input: commands, error, rest.
        byte[] alphabet = Ascii("*$\r\n0123456789-\"' ab");
        Gen<byte> framing = Gen.Int[0, alphabet.Length - 1].Select(i => alphabet[i]);
        var small = new RespLimits { MaxBulkLength = 6, MaxArguments = 3, MaxInlineLength = 10 };
        // Tokens build near-valid streams, so the generator reaches deep states (a long line after a good header).
        string[] tokens = ["*1\r\n", "*2\r\n", "*-1\r\n", "$3\r\n", "$0\r\n", "$7\r\n", "abc", "\r\n", "\r", "\n",
            "000000000000", "12345678901", "PING", " ", "\"", "'", "$", "*"];
        Gen<byte[]> structured = Gen.Int[0, tokens.Length - 1].Array[0, 12]
            .Select(picks => Ascii(string.Concat(picks.Select(i => tokens[i]))));
        Gen<byte[]> input = Gen.OneOf(framing.Array[0, 48], structured);
        Gen.Select(input, Gen.Int[0, 64].Array[0, 4]).Sample((data, cutSeeds) =>
        {
            int[] cuts = cutSeeds.Select(c => Math.Min(c, data.Length)).Order().ToArray();
            var whole = ReadAll(new ReadOnlySequence<byte>(data), small);
            var split = ReadAll(RespSegmentedSequence.Create(data, cuts), small);
            Assert.Equal(Render(whole.Commands), Render(split.Commands));
            Assert.Equal(whole.Error, split.Error);
            Assert.Equal(whole.Left, split.Left);
        }, iter: 20000);
    }

    [Fact]
    public void IntegerParsingMatchesInt64Formatting()
    {
        Gen.Long.Sample(value =>
        {
            Assert.True(RespInteger.TryParseInt64(Ascii(value.ToString(System.Globalization.CultureInfo.InvariantCulture)), out long parsed));
            Assert.Equal(value, parsed);
        }, iter: 5000);
    }
}
