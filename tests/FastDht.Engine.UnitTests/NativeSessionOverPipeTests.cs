using System.Buffers;
using System.Buffers.Binary;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.UnitTests;

/// <summary>The node's native client session over an in-memory connection: handshake, framing, pipelining, closing.</summary>
public sealed class NativeSessionOverPipeTests
{
    private static readonly byte[] Key = "pipe:key"u8.ToArray();
    private static readonly byte[] Value = "pipe:value"u8.ToArray();

    [Fact]
    public async Task Pipelined_requests_after_the_handshake_are_answered_in_order()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server);

        var batch = new ArrayBufferWriter<byte>();
        WriteHello(batch, 1);
        FrameWriter.WritePut(batch, 2, Key, Value);
        FrameWriter.WriteGet(batch, 3, Key);
        FrameWriter.WritePutIfAbsent(batch, 4, Key, Value);
        FrameWriter.WriteDelete(batch, 5, Key);
        FrameWriter.WriteGet(batch, 6, Key);
        await client.SendAsync(batch.WrittenMemory);

        var expected = new[] { StatusCode.Ok, StatusCode.Ok, StatusCode.Ok, StatusCode.Exists, StatusCode.Ok, StatusCode.NotFound };
        for (var i = 0; i < expected.Length; i++)
        {
            var response = await client.ReadFrameAsync();
            Assert.NotNull(response);
            Assert.Equal((uint)(i + 1), response.Header.RequestId);
            Assert.Equal(expected[i], response.Status);
            if (i == 2)
                Assert.Equal(Value, response.Value);
        }

        await client.CompleteOutputAsync();
        Assert.Empty(await client.ReadToEndAsync());
        await serving.WithinAsync("the session to end");
    }

    /// <summary>Every split of a pipelined batch into two deliveries, on one connection: each frame is parsed whole.</summary>
    [Fact]
    public async Task Requests_split_at_every_offset_are_parsed_whole()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server);
        await HandshakeAsync(client);

        var batch = new ArrayBufferWriter<byte>();
        FrameWriter.WritePut(batch, 10, Key, Value);
        FrameWriter.WriteGet(batch, 11, Key);
        var bytes = batch.WrittenMemory;
        for (var split = 1; split < bytes.Length; split++)
        {
            await client.SendAsync(bytes[..split]);
            await client.SendAsync(bytes[split..]);
            var put = await client.ReadFrameAsync();
            var get = await client.ReadFrameAsync();
            Assert.Equal(StatusCode.Ok, put!.Status);
            Assert.Equal(10u, put.Header.RequestId);
            Assert.Equal(Value, get!.Value);
        }

        await client.SendInPiecesAsync(bytes, pieceSize: 1);
        Assert.Equal(StatusCode.Ok, (await client.ReadFrameAsync())!.Status);
        Assert.Equal(Value, (await client.ReadFrameAsync())!.Value);

        await client.CompleteOutputAsync();
        await serving.WithinAsync("the session to end");
    }

    /// <summary>A client that half-closes right after its requests still gets every answer it is owed.</summary>
    [Fact]
    public async Task A_half_closed_client_gets_every_answer()
    {
        const int Puts = 50;
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server);

        var batch = new ArrayBufferWriter<byte>();
        WriteHello(batch, 1);
        for (var i = 0; i < Puts; i++)
            FrameWriter.WritePut(batch, (uint)(2 + i), KeyOf(i), Value);
        await client.SendAsync(batch.WrittenMemory);
        await client.CompleteOutputAsync();

        for (var i = 0; i <= Puts; i++)
        {
            var response = await client.ReadFrameAsync();
            Assert.NotNull(response);
            Assert.Equal((uint)(i + 1), response.Header.RequestId);
            Assert.Equal(StatusCode.Ok, response.Status);
        }
        Assert.Null(await client.ReadFrameAsync());
        await serving.WithinAsync("the session to end");
        for (var i = 0; i < Puts; i++)
            Assert.True(node[0].Store.TryGet(KeyOf(i), out _));
    }

    [Fact]
    public async Task A_request_before_the_handshake_is_refused_and_the_connection_closed()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server);

        var batch = new ArrayBufferWriter<byte>();
        FrameWriter.WriteGet(batch, 9, Key);
        await client.SendAsync(batch.WrittenMemory);

        var response = await client.ReadFrameAsync();
        Assert.Equal(StatusCode.HandshakeRequired, response!.Status);
        Assert.Equal(9u, response.Header.RequestId);
        Assert.Null(await client.ReadFrameAsync());
        await serving.WithinAsync("the session to end");
    }

    /// <summary>A length over the node's limit is refused from the header alone: no body is ever sent or buffered.</summary>
    [Fact]
    public async Task An_oversized_frame_is_refused_from_its_header_and_the_connection_closed()
    {
        await using var node = await SingleNode.StartAsync();
        var (client, server) = PipeClient.CreatePair();
        var serving = node[0].ServeAsync(server);
        await HandshakeAsync(client);

        var header = new byte[ProtocolConstants.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 77);
        header[8] = (byte)Opcode.Get;
        await client.SendAsync(header);

        var response = await client.ReadFrameAsync();
        Assert.Equal(StatusCode.FrameTooLarge, response!.Status);
        Assert.Equal(77u, response.Header.RequestId);
        Assert.Null(await client.ReadFrameAsync());
        await serving.WithinAsync("the session to end");
    }

    private static async Task HandshakeAsync(PipeClient client)
    {
        var hello = new ArrayBufferWriter<byte>();
        WriteHello(hello, 1);
        await client.SendAsync(hello.WrittenMemory);
        Assert.Equal(StatusCode.Ok, (await client.ReadFrameAsync())!.Status);
    }

    private static void WriteHello(IBufferWriter<byte> writer, uint id) =>
        FrameWriter.WriteHello(writer, id, NodeRole.Client, ProtocolConstants.ClientNodeId, SingleNode.ClusterName, "", 1 << 20);

    private static byte[] KeyOf(int i) => System.Text.Encoding.ASCII.GetBytes($"pipe:{i}");
}
