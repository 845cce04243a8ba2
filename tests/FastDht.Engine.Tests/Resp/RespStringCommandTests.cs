using FastDht.Engine.Resp.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// The string commands beyond GET/SET/INCR, with the examples of Redis's own documentation, run through a node that
/// does not own the key (so each also crosses the mesh as RespExecute) and at the owner.
/// </summary>
public sealed class RespStringCommandTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<int> Entry => [0, 2];

    /// <summary>A client on node <paramref name="entry"/> and a key prefix whose keys node 2 owns.</summary>
    private async Task<(RespTestClient Client, string Key)> OpenAsync(int entry, string name)
    {
        var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        return (client, RespCluster.KeyOwnedBy(Cluster, 2, $"{name}{entry}"));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Getdel_getrange_substr_and_setrange(int entry)
    {
        var (c, k) = await OpenAsync(entry, "str");
        await using var _ = c;
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "This is a string"));
        Assert.Equal("$4\r\nThis\r\n", await c.CallAsync("GETRANGE", k, "0", "3"));
        Assert.Equal("$3\r\ning\r\n", await c.CallAsync("GETRANGE", k, "-3", "-1"));
        Assert.Equal("$16\r\nThis is a string\r\n", await c.CallAsync("GETRANGE", k, "0", "-1"));
        Assert.Equal("$6\r\nstring\r\n", await c.CallAsync("GETRANGE", k, "10", "100"));
        Assert.Equal("$0\r\n\r\n", await c.CallAsync("GETRANGE", k, "-1", "-5"));
        Assert.Equal("$4\r\nThis\r\n", await c.CallAsync("SUBSTR", k, "0", "3"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("GETRANGE", k, "a", "3"));
        Assert.Equal("$16\r\nThis is a string\r\n", await c.CallAsync("GETDEL", k));
        Assert.Equal("$-1\r\n", await c.CallAsync("GETDEL", k));
        Assert.Equal("$0\r\n\r\n", await c.CallAsync("GETRANGE", k, "0", "-1"));

        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "Hello World"));
        Assert.Equal(":11\r\n", await c.CallAsync("SETRANGE", k, "6", "Redis"));
        Assert.Equal("$11\r\nHello Redis\r\n", await c.CallAsync("GET", k));
        var fresh = k + ":pad";
        Assert.Equal(":0\r\n", await c.CallAsync("SETRANGE", fresh, "3", ""));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", fresh));
        Assert.Equal(":11\r\n", await c.CallAsync("SETRANGE", fresh, "6", "Redis"));
        Assert.Equal("$11\r\n\0\0\0\0\0\0Redis\r\n", await c.CallAsync("GET", fresh));
        Assert.Equal("-ERR offset is out of range\r\n", await c.CallAsync("SETRANGE", fresh, "-1", "x"));
        Assert.StartsWith("-ERR string exceeds maximum allowed size", await c.CallAsync("SETRANGE", fresh, "536870911", "xyz"), StringComparison.Ordinal);
        // Offsets near the top of a 64-bit integer: the size check must not wrap (it closed the connection).
        Assert.StartsWith("-ERR string exceeds maximum allowed size", await c.CallAsync("SETRANGE", fresh, "9223372036854775807", "A"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR string exceeds maximum allowed size", await c.CallAsync("SETRANGE", fresh, "9223372036854775806", "AB"), StringComparison.Ordinal);
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Incrbyfloat_follows_redis(int entry)
    {
        var (c, k) = await OpenAsync(entry, "float");
        await using var _ = c;
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "10.50"));
        Assert.Equal("$4\r\n10.6\r\n", await c.CallAsync("INCRBYFLOAT", k, "0.1"));
        Assert.Equal("$3\r\n5.6\r\n", await c.CallAsync("INCRBYFLOAT", k, "-5"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "5.0e3"));
        Assert.Equal("$4\r\n5200\r\n", await c.CallAsync("INCRBYFLOAT", k, "2.0e2"));
        Assert.Equal("$1\r\n1\r\n", await c.CallAsync("INCRBYFLOAT", k + ":new", "1"));
        Assert.Equal("$1\r\n0\r\n", await c.CallAsync("INCRBYFLOAT", k + ":new", "-1"));
        Assert.Equal("-ERR value is not a valid float\r\n", await c.CallAsync("INCRBYFLOAT", k, "1 "));
        Assert.Equal("-ERR value is not a valid float\r\n", await c.CallAsync("INCRBYFLOAT", k, "nan"));
        Assert.Equal("-ERR increment would produce NaN or Infinity\r\n", await c.CallAsync("INCRBYFLOAT", k, "+inf"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "not a number"));
        Assert.Equal("-ERR value is not a valid float\r\n", await c.CallAsync("INCRBYFLOAT", k, "1"));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(17179869185.5, "17179869185.5")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-20, "0")]
    [InlineData(-2.5, "-2.5")]
    public void Incrbyfloat_results_are_printed_in_plain_decimal(double value, string expected) =>
        Assert.Equal(expected, RespStringCommands.FormatFloat(value));

    [Fact]
    public void Negative_zero_is_printed_as_zero() => Assert.Equal("0", RespStringCommands.FormatFloat(-0.0));

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Setbit_getbit_bitcount_and_bitpos(int entry)
    {
        var (c, k) = await OpenAsync(entry, "bits");
        await using var _ = c;
        Assert.Equal(":0\r\n", await c.CallAsync("SETBIT", k, "7", "1"));
        Assert.Equal(":1\r\n", await c.CallAsync("SETBIT", k, "7", "0"));
        Assert.Equal("$1\r\n\0\r\n", await c.CallAsync("GET", k));
        Assert.Equal(":0\r\n", await c.CallAsync("SETBIT", k, "100", "1"));
        Assert.Equal(":1\r\n", await c.CallAsync("GETBIT", k, "100"));
        Assert.Equal(":0\r\n", await c.CallAsync("GETBIT", k, "99999"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("SETBIT", k, "-1", "1"));
        Assert.Equal("-ERR bit is not an integer or out of range\r\n", await c.CallAsync("SETBIT", k, "1", "2"));

        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "foobar"));
        Assert.Equal(":26\r\n", await c.CallAsync("BITCOUNT", k));
        Assert.Equal(":4\r\n", await c.CallAsync("BITCOUNT", k, "0", "0"));
        Assert.Equal(":6\r\n", await c.CallAsync("BITCOUNT", k, "1", "1"));
        Assert.Equal(":6\r\n", await c.CallAsync("BITCOUNT", k, "1", "1", "BYTE"));
        Assert.Equal(":17\r\n", await c.CallAsync("BITCOUNT", k, "5", "30", "BIT"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("BITCOUNT", k, "0"));
        Assert.Equal(":0\r\n", await c.CallAsync("BITCOUNT", k + ":absent"));

        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "\xff\xf0\x00"));
        Assert.Equal(":12\r\n", await c.CallAsync("BITPOS", k, "0"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "\x00\xff\xf0"));
        Assert.Equal(":8\r\n", await c.CallAsync("BITPOS", k, "1", "0"));
        Assert.Equal(":16\r\n", await c.CallAsync("BITPOS", k, "1", "2"));
        Assert.Equal(":16\r\n", await c.CallAsync("BITPOS", k, "1", "2", "-1", "BYTE"));
        Assert.Equal(":8\r\n", await c.CallAsync("BITPOS", k, "1", "7", "15", "BIT"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "\x00\x00\x00"));
        Assert.Equal(":-1\r\n", await c.CallAsync("BITPOS", k, "1"));
        Assert.Equal(":-1\r\n", await c.CallAsync("BITPOS", k, "1", "7", "-3", "BIT"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "\xff\xff\xff"));
        Assert.Equal(":24\r\n", await c.CallAsync("BITPOS", k, "0"));
        Assert.Equal(":-1\r\n", await c.CallAsync("BITPOS", k, "0", "0", "-1"));
        Assert.Equal(":0\r\n", await c.CallAsync("BITPOS", k + ":absent", "0"));
        Assert.Equal(":-1\r\n", await c.CallAsync("BITPOS", k + ":absent", "1"));
        Assert.Equal("-ERR The bit argument must be 1 or 0.\r\n", await c.CallAsync("BITPOS", k, "2"));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Lcs_answers_the_string_its_length_and_its_ranges(int entry)
    {
        var (c, k) = await OpenAsync(entry, "lcs");
        await using var _ = c;
        // A hash tag puts both keys on one owner, as Redis Cluster requires for LCS.
        var a = "{" + k + "}a";
        var b = "{" + k + "}b";
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", a, "ohmytext", b, "mynewtext"));
        Assert.Equal("$6\r\nmytext\r\n", await c.CallAsync("LCS", a, b));
        Assert.Equal(":6\r\n", await c.CallAsync("LCS", a, b, "LEN"));
        Assert.Equal("*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
            await c.CallAsync("LCS", a, b, "IDX"));
        Assert.Equal("*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
            await c.CallAsync("LCS", a, b, "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"));
        Assert.Equal("$0\r\n\r\n", await c.CallAsync("LCS", a, "{" + k + "}absent"));
        Assert.StartsWith("-ERR If you want both", await c.CallAsync("LCS", a, b, "LEN", "IDX"), StringComparison.Ordinal);
        // Two 5 KB values would need a 100 MB table: refused, not allocated.
        Assert.Equal("+OK\r\n", await c.CallAsync("MSET", a, new string('x', 5000), b, new string('y', 5000)));
        Assert.StartsWith("-ERR LCS of strings this long", await c.CallAsync("LCS", a, b), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_info_lists_the_new_commands()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var info = await c.CallAsync("COMMAND", "INFO", "getdel", "incrbyfloat", "setrange", "setbit", "lcs");
        Assert.DoesNotContain("*-1", info, StringComparison.Ordinal);
        Assert.Contains("incrbyfloat", info, StringComparison.Ordinal);
    }
}
