using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Engine.UnitTests;

/// <summary>The node's RESP session over an in-memory connection: the request reader, execution and reply writers together.</summary>
public sealed class RespSessionOverPipeTests
{
    private const string Commands =
        "*3\r\n$3\r\nSET\r\n$4\r\npipe\r\n$2\r\n41\r\n"
        + "*2\r\n$4\r\nINCR\r\n$4\r\npipe\r\n"
        + "*2\r\n$3\r\nGET\r\n$4\r\npipe\r\n"
        + "PING\r\n"                                     // an inline command
        + "*2\r\n$3\r\nDEL\r\n$4\r\npipe\r\n"
        + "*2\r\n$3\r\nGET\r\n$4\r\npipe\r\n";

    private const string Replies = "+OK\r\n:42\r\n$2\r\n42\r\n+PONG\r\n:1\r\n$-1\r\n";

    [Fact]
    public async Task Pipelined_commands_get_their_replies_in_order()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server, "resp");

        await client.SendAsync(Commands);
        Assert.Equal(Replies, await client.ReadTextAsync(Replies.Length));

        await client.CompleteOutputAsync();
        Assert.Empty(await client.ReadToEndAsync());
        await serving.WithinAsync("the session to end");
    }

    /// <summary>Every split of the pipeline into two deliveries, then one byte at a time, on one connection.</summary>
    [Fact]
    public async Task Commands_split_at_every_offset_are_read_whole()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server, "resp");
        var bytes = Encoding.ASCII.GetBytes(Commands);

        for (var split = 1; split < bytes.Length; split++)
        {
            await client.SendAsync(bytes.AsMemory(0, split));
            await client.SendAsync(bytes.AsMemory(split));
            Assert.Equal(Replies, await client.ReadTextAsync(Replies.Length));
        }
        await client.SendInPiecesAsync(bytes, pieceSize: 1);
        Assert.Equal(Replies, await client.ReadTextAsync(Replies.Length));

        await client.CompleteOutputAsync();
        await serving.WithinAsync("the session to end");
    }

    [Fact]
    public async Task A_half_closed_client_gets_every_reply()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server, "resp");

        await client.SendAsync(Commands);
        await client.CompleteOutputAsync();

        Assert.Equal(Replies, Encoding.ASCII.GetString(await client.ReadToEndAsync()));
        await serving.WithinAsync("the session to end");
    }

    /// <summary>Framing lost (a bad length): answered with a protocol error as Redis does, then the connection is closed.</summary>
    [Fact]
    public async Task A_protocol_error_is_answered_and_the_connection_closed()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server, "resp");

        await client.SendAsync("*1\r\n$4\r\nPING\r\n*1\r\n$x\r\nPING\r\n");
        var rest = Encoding.ASCII.GetString(await client.ReadToEndAsync());

        Assert.StartsWith("+PONG\r\n-ERR Protocol error", rest, StringComparison.Ordinal);
        Assert.EndsWith("\r\n", rest, StringComparison.Ordinal);
        await serving.WithinAsync("the session to end");
    }
}
