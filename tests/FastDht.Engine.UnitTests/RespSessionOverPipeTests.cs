using System.IO.Pipelines;
using System.Text;
using FastDht.Engine.Node;
using FastDht.Protocol;
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

    /// <summary>
    /// A client that pipelines GETs and reads nothing: the session stops running its commands once its replies fill
    /// the output (a mebibyte held by the session, the output pipe and the client's pipe here), instead of building
    /// every reply of the read first (a read of GETs of a 1 MiB value grew a node by gigabytes: Redis's
    /// client-output-buffer-limit case). Reading then gets every reply, in order.
    /// </summary>
    [Fact]
    public async Task A_client_that_reads_nothing_stops_its_pipeline_instead_of_piling_up_replies()
    {
        const int Rounds = 400;
        var value = new string('v', 60 * 1024);
        // A small frame size, so that the node's pipes pause at 1 MiB (they hold twice a frame, at least 1 MiB).
        await using var node = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = 1,
            Configure = o => o.Limits = new ProtocolLimits { MaxFrameSize = 64 * 1024 },
        });
        // Pipes that hold 64 KiB, as a socket's buffers hold a few: beyond that the node's side waits for the client.
        var (client, server) = PipeClient.CreatePair(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var (watcher, watcherServer) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server, "resp");
        var watching = node[0].ServeAsync(watcherServer, "resp");
        await client.SendAsync($"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${value.Length}\r\n{value}\r\n");
        Assert.Equal("+OK\r\n", await client.ReadTextAsync(5));

        var pipeline = new StringBuilder();
        for (var i = 0; i < Rounds; i++)
            pipeline.Append("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n*2\r\n$4\r\nINCR\r\n$4\r\nruns\r\n");
        await client.SendAsync(pipeline.ToString());

        // The INCRs run only as far as the GETs' replies are taken: watch the count for a while (the old session ran
        // all 400 at once); about 3 MiB of replies (the session's limit and the pipes' buffers) is 50 rounds.
        var seen = 0;
        var watchUntil = Environment.TickCount64 + 2000;
        while (Environment.TickCount64 < watchUntil)
        {
            seen = await ReadCountAsync(watcher, "runs");
            Assert.True(seen < Rounds / 2, $"{seen} of {Rounds} rounds ran with the client reading nothing");
            await Task.Delay(20);
        }

        var getReply = $"${value.Length}\r\n{value}\r\n";
        for (var i = 1; i <= Rounds; i++)
        {
            Assert.Equal(getReply, await client.ReadTextAsync(getReply.Length));
            var incrReply = $":{i}\r\n";
            Assert.Equal(incrReply, await client.ReadTextAsync(incrReply.Length));
        }
        Assert.Equal(Rounds, await ReadCountAsync(watcher, "runs"));

        await client.CompleteOutputAsync();
        await watcher.CompleteOutputAsync();
        await serving.WithinAsync("the session to end");
        await watching.WithinAsync("the watcher's session to end");
    }

    /// <summary>GET of a counter on <paramref name="client"/>'s connection: 0 while it does not exist.</summary>
    /// <remarks>
    /// The reply is a bulk string, or the null bulk string <c>$-1</c> while the counter does not exist (the watcher's
    /// first GET can run before the client's first INCR, as it does on a loaded machine). Reading <c>$-1</c> as a length
    /// waited for a byte that never came: the test failed on its 20 s read bound, only under load.
    /// </remarks>
    private static async Task<int> ReadCountAsync(PipeClient client, string key)
    {
        await client.SendAsync($"*2\r\n$3\r\nGET\r\n${key.Length}\r\n{key}\r\n");
        Assert.Equal("$", await client.ReadTextAsync(1));
        var length = int.Parse(await ReadLineAsync(client), System.Globalization.CultureInfo.InvariantCulture);
        if (length < 0)
            return 0;
        var digits = await client.ReadTextAsync(length + 2);
        Assert.EndsWith("\r\n", digits, StringComparison.Ordinal);
        return int.Parse(digits.AsSpan(0, length), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> ReadLineAsync(PipeClient client)
    {
        // A length line: a few digits. Bounded, so a reply framed otherwise fails here instead of reading on.
        var line = new StringBuilder();
        for (var i = 0; i < 24; i++)
        {
            var c = await client.ReadTextAsync(1);
            if (c == "\r")
            {
                Assert.Equal("\n", await client.ReadTextAsync(1));
                return line.ToString();
            }
            line.Append(c);
        }
        throw new InvalidDataException($"no line end after '{line}'");
    }
}
