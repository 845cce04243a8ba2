using System.Buffers;
using static FastDht.Protocol.Tests.Resp.RespTestCodec;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespInlineTests
{
    public static TheoryData<string, string[]> Lines() => new()
    {
        { "PING\r\n", ["PING"] },
        { "set a b\n", ["set", "a", "b"] },
        { "  get   key  \r\n", ["get", "key"] },
        { "a\tb\r\n", ["a", "b"] },
        { "\va\fb\r\n", ["a\fb"] },                      // \v and \f skip as leading space but do not end a word
        { "\"hello world\" x\r\n", ["hello world", "x"] },
        { "\"a\\nb\\r\\t\\b\\a\\\\\\\"\"\r\n", ["a\nb\r\t\b\a\\\""] },
        { "\"\\x41\\x4a\\x7A\\x00\"\r\n", ["AJz\0"] },
        { "\"\\xZZ\\x4\"\r\n", ["xZZx4"] },              // not two hex digits: the x stands for itself
        { "\"\\q\"\r\n", ["q"] },
        { "'it\\'s' 'a\\nb'\r\n", ["it's", "a\\nb"] },     // single quotes undo only \'
        { "foo\"bar baz\"\r\n", ["foobar baz"] },
        { "x'a b'\r\n", ["xa b"] },
        { "\"\" ''\r\n", ["", ""] },
        { "\"end\"\r\n", ["end"] },
        { "a\0b c\r\n", ["a"] },                          // a C string to Redis: NUL ends the line
        { "a\rb\r\n", ["a", "b"] },
        { "caf\u00e9\r\n", ["caf\u00e9"] },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void SplitsLikeSdssplitargs(string line, string[] expected)
    {
        byte[] bytes = Ascii(line);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var (commands, error, left) = ReadAll(RespSegmentedSequence.Create(bytes, cut));
            Assert.False(error.IsError, error.Message);
            Assert.Equal(0, left);
            Assert.Single(commands);
            Assert.Equal(expected, commands[0]);
        }
    }

    [Fact]
    public void EmptyAndBlankLinesAreIgnored()
    {
        var (commands, error, left) = ReadAll(new ReadOnlySequence<byte>(Ascii("\r\n\n   \r\n\t\nPING\r\n")));
        Assert.False(error.IsError);
        Assert.Equal(0, left);
        Assert.Equal("[PING]", Render(commands));
    }

    [Fact]
    public void InlineWithoutNewlineWaits()
    {
        var (commands, error, left) = ReadAll(new ReadOnlySequence<byte>(Ascii("PING")));
        Assert.Empty(commands);
        Assert.False(error.IsError);
        Assert.Equal(4, left);
    }
}
