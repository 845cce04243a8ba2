using System.Text;
using CsCheck;
using FastDht.Protocol.Resp;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespKeyPeekTests
{
    private static string[] Keys(string wire, int max = 16)
    {
        var bytes = Encoding.ASCII.GetBytes(wire);
        var keys = new Range[max];
        var n = RespKeyPeek.Scan(bytes, keys);
        return keys[..n].Select(r => Encoding.ASCII.GetString(bytes[r])).ToArray();
    }

    [Fact]
    public void Finds_argument_one_of_each_whole_command()
    {
        var wire = "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
        Assert.Equal(["k1", "k2", "", ""], Keys(wire));
    }

    [Fact]
    public void Stops_before_a_partial_command_and_at_the_limit()
    {
        var whole = "*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n";
        Assert.Equal(["k1"], Keys(whole + "*2\r\n$3\r\nGET\r\n$2\r\nk"));
        Assert.Equal(["k1"], Keys(whole + "*2\r\n$3\r\nGET\r\n$2\r"));
        Assert.Equal(["k1", "k1"], Keys(whole + whole + whole, max: 2));
    }

    [Theory]
    [InlineData("GET k1\r\n")] // inline: left to the parser
    [InlineData("*2\r\n$3\r\nGET\r\n$-1\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n$9999999999\r\nk\r\n")]
    [InlineData("*0\r\n")]
    [InlineData("*2\r\n$3\r\nGET\r\n$2\r\nk1XY")] // no CRLF after the payload is not checked: the payload is skipped by length
    [InlineData("")]
    public void Stops_at_anything_it_does_not_expect(string wire) => Assert.True(Keys(wire).Length <= 1);

    [Fact]
    public void Never_throws_and_every_range_lies_in_the_input()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            var keys = new Range[8];
            var n = RespKeyPeek.Scan(bytes, keys);
            for (var i = 0; i < n; i++)
            {
                var (offset, length) = keys[i].GetOffsetAndLength(bytes.Length);
                if (offset < 0 || length < 0 || offset + length > bytes.Length)
                    return false;
            }
            return n >= 0 && n <= keys.Length;
        }, iter: 20_000);
    }
}
