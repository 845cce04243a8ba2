using System.Text;
using FastDht.Protocol.Resp;
using FastDht.Protocol.Resp.Internal;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespCommandKindTests
{
    [Fact]
    public void EveryKindIsIdentifiedFromItsNameInAnyCase()
    {
        foreach (RespCommandKind kind in Enum.GetValues<RespCommandKind>())
        {
            if (kind == RespCommandKind.Unknown)
            {
                continue;
            }

            string name = kind.ToString().ToUpperInvariant(); // every kind is named after its command
            if (kind is RespCommandKind.EvalRo or RespCommandKind.EvalShaRo or RespCommandKind.FCallRo or RespCommandKind.SortRo or RespCommandKind.BitFieldRo
                or RespCommandKind.GeoRadiusRo or RespCommandKind.GeoRadiusByMemberRo)
            {
                name = name[..^2] + "_RO"; // EVAL_RO...: C# names carry no underscore
            }

            Assert.Equal(kind, RespCommandTable.Identify(Encoding.ASCII.GetBytes(name)));
            Assert.Equal(kind, RespCommandTable.Identify(Encoding.ASCII.GetBytes(name.ToLowerInvariant())));
            // A name with one more letter is unknown, unless it is another command (LPUSH and LPUSHX).
            if (!Enum.TryParse<RespCommandKind>(name + "X", ignoreCase: true, out _))
                Assert.Equal(RespCommandKind.Unknown, RespCommandTable.Identify(Encoding.ASCII.GetBytes(name + "X")));
        }
    }

    [Fact]
    public void EveryKeywordIsIdentifiedFromItsTokenInAnyCase()
    {
        foreach (RespKeyword keyword in Enum.GetValues<RespKeyword>())
        {
            if (keyword == RespKeyword.Unknown)
            {
                continue;
            }

            string token = keyword switch
            {
                RespKeyword.LibName => "LIB-NAME",
                RespKeyword.LibVer => "LIB-VER",
                RespKeyword.NoEvict => "NO-EVICT",
                RespKeyword.NoTouch => "NO-TOUCH",
                _ => keyword.ToString().ToUpperInvariant(),
            };
            Assert.Equal(keyword, RespKeywordTable.Identify(Encoding.ASCII.GetBytes(token)));
            Assert.Equal(keyword, RespKeywordTable.Identify(Encoding.ASCII.GetBytes(token.ToLowerInvariant())));
        }
    }

    [Fact]
    public void NonAsciiAndEmptyNamesAreUnknown()
    {
        Assert.Equal(RespCommandKind.Unknown, RespCommandTable.Identify([]));
        Assert.Equal(RespCommandKind.Unknown, RespCommandTable.Identify([0xC7, 0x45, 0x54]));
        Assert.Equal(RespCommandKind.Unknown, RespCommandTable.Identify("G\u00c9T"u8));
        Assert.Equal(RespKeyword.Unknown, RespKeywordTable.Identify("NXX"u8));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1", 1L)]
    [InlineData("-1", -1L)]
    [InlineData("1234567890", 1234567890L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void ParsesRedisIntegers(string text, long expected)
    {
        Assert.True(RespInteger.TryParseInt64(Encoding.ASCII.GetBytes(text), out long value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("-0")]
    [InlineData("-01")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1a")]
    [InlineData("1.0")]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("18446744073709551616")]
    [InlineData("99999999999999999999")]
    [InlineData("-99999999999999999999")]
    [InlineData("000000000000000000001")]
    public void RejectsWhatRedisRejects(string text)
    {
        Assert.False(RespInteger.TryParseInt64(Encoding.ASCII.GetBytes(text), out _));
    }
}
