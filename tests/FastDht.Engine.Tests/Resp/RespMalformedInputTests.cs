namespace FastDht.Engine.Tests.Resp;

/// <summary>Malformed RESP gets Redis's protocol error and the connection is closed; the node keeps serving everyone else.</summary>
public sealed class RespMalformedInputTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    public static TheoryData<string, string> Corpus => new()
    {
        { "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n" },
        { "*2\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n" },
        { "*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n" },
        // More arguments than the node holds tables for at the default frame size (2 x 64 MiB / 33 bytes an argument),
        // and more than Redis 7 accepts (INT_MAX): refused from the header.
        { "*4067204\r\n", "-ERR Protocol error: invalid multibulk length\r\n" },
        { "*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n" },
        { "SET \"unterminated\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n" },
        { "*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Malformed_input_gets_the_Redis_error_then_the_connection_closes(string input, string expected)
    {
        var endPoint = RespCluster.RespOf(fixture.Cluster, 0);
        await using var bad = await RespTestClient.ConnectAsync(endPoint);
        await using var good = await RespTestClient.ConnectAsync(endPoint);
        Assert.Equal("+PONG\r\n", await good.CallAsync("PING"));

        // A valid command first: its reply still goes out before the error.
        await bad.SendAsync(RespTestClient.Encode("PING") + input);
        Assert.Equal("+PONG\r\n", await bad.ReadReplyAsync());
        Assert.Equal(expected, await bad.ReadReplyAsync());
        Assert.True(await bad.IsClosedByServerAsync());

        Assert.Equal("+PONG\r\n", await good.CallAsync("PING"));
        await using var fresh = await RespTestClient.ConnectAsync(endPoint);
        Assert.Equal("$2\r\nok\r\n", await fresh.CallAsync("ECHO", "ok"));
    }

    [Fact]
    public async Task A_command_of_more_than_a_million_arguments_is_served_as_Redis_7_serves_it()
    {
        // Redis 6 and FastDht before refused more than 1,048,576 arguments (the audit's DEL of 1,048,577 keys).
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(fixture.Cluster, 0));
        var here = RespCluster.KeyOwnedBy(fixture.Cluster, 0, "many-args");
        var there = RespCluster.KeyOwnedBy(fixture.Cluster, 1, "many-args");
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", here, "v"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", there, "v"));
        const int Keys = 1_100_000;
        var command = new System.Text.StringBuilder(Keys * 24);
        command.Append("*").Append(Keys + 1).Append("\r\n$3\r\nDEL\r\n");
        command.Append('$').Append(here.Length).Append("\r\n").Append(here).Append("\r\n");
        command.Append('$').Append(there.Length).Append("\r\n").Append(there).Append("\r\n");
        for (var i = 2; i < Keys; i++)
        {
            var key = "many-args-absent:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            command.Append('$').Append(key.Length).Append("\r\n").Append(key).Append("\r\n");
        }
        await c.SendAsync(command.ToString());
        Assert.Equal(":2\r\n", await c.ReadReplyAsync());
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", here, there));
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
    }

    [Fact]
    public async Task A_value_larger_than_the_frame_limit_is_refused_before_it_is_buffered()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(fixture.Cluster, 0));
        // 64 MiB is the default frame size, so the value limit: the header alone is rejected.
        await c.SendAsync("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$70000000\r\n");
        Assert.Equal("-ERR Protocol error: invalid bulk length\r\n", await c.ReadReplyAsync());
        Assert.True(await c.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_value_of_several_megabytes_is_stored_and_read_back_through_any_node(int entry)
    {
        // Redis's own suite sends 4 MB values ("Very big payload in GET/SET"); node 2 owns the key, so from node 0 the
        // value crosses the mesh both ways.
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(fixture.Cluster, entry));
        var key = RespCluster.KeyOwnedBy(fixture.Cluster, 2, $"big{entry}");
        var value = new string('x', 3_999_990) + "abcdefghij";
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, value));
        Assert.Equal($"${value.Length}\r\n{value}\r\n", await c.CallAsync("GET", key));
        Assert.Equal(":4000000\r\n", await c.CallAsync("STRLEN", key));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", key));
    }
}
