using System.Buffers;
using System.Text.RegularExpressions;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.UnitTests;

/// <summary>The node's statistics count every protocol: native requests show in RESP's INFO next to RESP commands.</summary>
public sealed class StatisticsTests
{
    [Fact]
    public async Task Native_requests_and_reads_are_counted_and_shown_by_INFO()
    {
        await using var node = await SingleNode.StartAsync();
        var (native, nativeServer) = PipeClient.CreatePair();
        var nativeServing = node[0].ServeAsync(nativeServer);

        var batch = new ArrayBufferWriter<byte>();
        FrameWriter.WriteHello(batch, 1, NodeRole.Client, ProtocolConstants.ClientNodeId, SingleNode.ClusterName, "", 1 << 20);
        FrameWriter.WritePut(batch, 2, "stats:a"u8, "1"u8);
        FrameWriter.WriteGet(batch, 3, "stats:a"u8);       // a hit
        FrameWriter.WriteGet(batch, 4, "stats:b"u8);       // a miss
        FrameWriter.WriteGet(batch, 5, "stats:c"u8);       // a miss
        await native.SendAsync(batch.WrittenMemory);
        for (var i = 0; i < 5; i++)
            Assert.NotNull(await native.ReadFrameAsync());

        var (resp, respServer) = PipeClient.CreatePair();
        var respServing = node[0].ServeAsync(respServer, "resp");
        await resp.SendAsync("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n");
        var info = await ReadBulkAsync(resp);
        Assert.Equal(4, Field(info, "total_commands_processed"));   // the four requests after the handshake
        Assert.Equal(1, Field(info, "keyspace_hits"));
        Assert.Equal(2, Field(info, "keyspace_misses"));
        Assert.Equal(2, Field(info, "total_connections_received"));

        await resp.SendAsync("*2\r\n$4\r\nINFO\r\n$7\r\nclients\r\n");
        Assert.Equal(2, Field(await ReadBulkAsync(resp), "connected_clients")); // the native client is still connected

        await native.CompleteOutputAsync();
        await nativeServing.WithinAsync("the native session to end");
        await resp.SendAsync("*2\r\n$4\r\nINFO\r\n$7\r\nclients\r\n");
        Assert.Equal(1, Field(await ReadBulkAsync(resp), "connected_clients"));
        await resp.CompleteOutputAsync();
        await respServing.WithinAsync("the RESP session to end");
    }

    private static async Task<string> ReadBulkAsync(PipeClient client)
    {
        var header = "";
        while (!header.EndsWith("\r\n", StringComparison.Ordinal))
            header += await client.ReadTextAsync(1);
        Assert.StartsWith("$", header, StringComparison.Ordinal);
        var length = int.Parse(header.AsSpan(1, header.Length - 3), System.Globalization.CultureInfo.InvariantCulture);
        return (await client.ReadTextAsync(length + 2))[..length];
    }

    private static long Field(string info, string name)
    {
        var match = Regex.Match(info, $"(?m)^{name}:(\\d+)\\r?$");
        Assert.True(match.Success, $"INFO has no {name}: {info}");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
