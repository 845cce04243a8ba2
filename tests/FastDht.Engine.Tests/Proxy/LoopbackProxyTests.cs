using System.Net;
using System.Net.Sockets;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Proxy;

public sealed class LoopbackProxyTests
{
    [Fact]
    public async Task Relays_both_ways_unchanged_and_a_half_close_ends_the_pair_in_order()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);

        // 100 000 bytes: several 16 KiB chunks each way. Sent while reading, so no buffer has to hold it all.
        byte[] payload = ProxyClient.Pattern(100_000);
        Task sending = ProxyClient.SendAsync(client, payload);
        byte[] echoed = await ProxyClient.ReadExactlyAsync(client, payload.Length);
        await sending.WithinAsync("the send");
        Assert.Equal(payload, echoed);
        Assert.Equal(1, proxy.ConnectionCount);

        client.Shutdown(SocketShutdown.Send);
        (byte[] rest, bool reset) = await ProxyClient.ReadToEndAsync(client);
        Assert.Empty(rest);
        Assert.False(reset);
        await proxy.WaitUntilAsync(() => proxy.ConnectionCount == 0, "the pair to close", Bounded.Timeout);

        Assert.Equal(payload.Length, proxy.BytesClientToServer);
        Assert.Equal(payload.Length, proxy.BytesServerToClient);
        Assert.Equal(1, proxy.TotalConnections);
        await Bounded.UntilAsync(() => echo.LiveConnections == 0, "the echo connection to end");
        Assert.Equal(0, echo.Errors);
        Assert.Null(proxy.UnexpectedError);
    }

    [Fact]
    public async Task CutAll_resets_both_sides_of_every_pair_and_new_connections_still_work()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket first = await ConnectAndEchoAsync(proxy);
        using Socket second = await ConnectAndEchoAsync(proxy);
        await proxy.WaitForConnectionsAsync(2, Bounded.Timeout);

        proxy.CutAll();

        Assert.Equal(0, proxy.ConnectionCount);
        Assert.True((await ProxyClient.ReadToEndAsync(first)).Reset, "the first client sees a reset");
        Assert.True((await ProxyClient.ReadToEndAsync(second)).Reset, "the second client sees a reset");
        await Bounded.UntilAsync(() => echo.LiveConnections == 0, "the server side to end");
        Assert.Equal(2, echo.Errors); // the server saw resets too, not orderly closes

        using Socket third = await ConnectAndEchoAsync(proxy);
        Assert.Equal(3, proxy.TotalConnections);
        Assert.Equal(1, proxy.ConnectionCount);
    }

    [Fact]
    public async Task Refuse_resets_new_connections_before_the_target_and_can_be_lifted()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket before = await ConnectAndEchoAsync(proxy);

        proxy.Refuse(true);
        (byte[] bytes, bool reset) = await ProxyClient.ConnectAndReadToEndAsync(proxy.EndPoint);
        Assert.Empty(bytes);
        Assert.True(reset);

        Assert.Equal(1, proxy.RefusedConnections);
        Assert.Equal(1, echo.Accepted); // the refused connection never reached the target

        // The connection opened before the refusal is untouched.
        await EchoRoundTripAsync(before, 7);

        proxy.Refuse(false);
        using Socket after = await ConnectAndEchoAsync(proxy);
        Assert.Equal(2, echo.Accepted);
        Assert.Equal(2, proxy.TotalConnections);
    }

    [Fact]
    public async Task Stall_client_to_server_holds_the_bytes_with_the_sockets_open_and_resume_delivers_them_in_order()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);
        await proxy.WaitForConnectionsAsync(1, Bounded.Timeout);

        proxy.Stall(true, ProxyDirection.ClientToServer);
        byte[] payload = ProxyClient.Pattern(2_000);
        await ProxyClient.SendAsync(client, payload.AsMemory(0, 1_000));
        await proxy.WaitUntilAsync(() => proxy.HeldChunks >= 1, "the proxy to hold a chunk", Bounded.Timeout);

        // The bytes reached the proxy and stop there: nothing forwarded, yet both connections stay open.
        Assert.Equal(0, proxy.BytesClientToServer);
        Assert.Equal(0, echo.BytesReceived);
        Assert.Equal(1, proxy.ConnectionCount);
        await Bounded.UntilAsync(() => echo.LiveConnections == 1, "the server to hold its side open"); // accept may lag the proxy's connect
        await ProxyClient.SendAsync(client, payload.AsMemory(1_000)); // still accepted by the kernel's buffers

        proxy.Stall(false, ProxyDirection.ClientToServer);
        Assert.Equal(payload, await ProxyClient.ReadExactlyAsync(client, payload.Length));
        Assert.Equal(0, proxy.HeldChunks);
    }

    [Fact]
    public async Task Stall_server_to_client_lets_the_server_receive_but_holds_its_answer_until_resume()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);

        proxy.Stall(true, ProxyDirection.ServerToClient);
        byte[] payload = ProxyClient.Pattern(1_000);
        await ProxyClient.SendAsync(client, payload);
        await Bounded.UntilAsync(() => echo.BytesReceived == payload.Length, "the server to receive the request");
        await proxy.WaitUntilAsync(() => proxy.HeldChunks >= 1, "the proxy to hold the answer", Bounded.Timeout);

        Assert.Equal(0, proxy.BytesServerToClient);
        Assert.Equal(0, client.Available);

        proxy.Stall(false);
        Assert.Equal(payload, await ProxyClient.ReadExactlyAsync(client, payload.Length));
    }

    [Fact]
    public async Task Delay_still_delivers_every_byte_in_order()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        proxy.Delay(TimeSpan.FromMilliseconds(20), ProxyDirection.Both);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);

        byte[] payload = ProxyClient.Pattern(5_000);
        for (int offset = 0; offset < payload.Length; offset += 1_000)
        {
            await ProxyClient.SendAsync(client, payload.AsMemory(offset, 1_000)); // five writes, so several chunks queue
        }

        Assert.Equal(payload, await ProxyClient.ReadExactlyAsync(client, payload.Length));
        // The proxy counts a chunk after its write returns, which can be just after the client has read it.
        await Bounded.UntilAsync(() => proxy.BytesServerToClient == payload.Length, "the proxy to count every byte it forwarded");
    }

    [Fact]
    public async Task Corrupt_rewrites_bytes_in_one_direction_and_null_restores_them()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);

        // Every byte flipped, so the result does not depend on how TCP split the stream into chunks.
        proxy.Corrupt(static chunk =>
        {
            byte[] copy = chunk.ToArray();
            for (int i = 0; i < copy.Length; i++)
            {
                copy[i] ^= 0x5A;
            }

            return copy;
        }, ProxyDirection.ClientToServer);

        byte[] payload = ProxyClient.Pattern(3_000);
        await ProxyClient.SendAsync(client, payload);
        byte[] echoed = await ProxyClient.ReadExactlyAsync(client, payload.Length);
        for (int i = 0; i < payload.Length; i++)
        {
            Assert.Equal((byte)(payload[i] ^ 0x5A), echoed[i]);
        }

        proxy.Corrupt(null, ProxyDirection.ClientToServer);
        await EchoRoundTripAsync(client, 10);
    }

    [Fact]
    public async Task A_throwing_transform_resets_the_connection_and_is_reported()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        proxy.Corrupt(static _ => throw new InvalidOperationException("transform failed"), ProxyDirection.ClientToServer);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);

        await ProxyClient.SendAsync(client, ProxyClient.Pattern(10));
        (byte[] bytes, bool reset) = await ProxyClient.ReadToEndAsync(client);

        Assert.Empty(bytes);
        Assert.True(reset);
        Assert.IsType<InvalidOperationException>(proxy.UnexpectedError);
        await proxy.WaitUntilAsync(() => proxy.ConnectionCount == 0, "the pair to close", Bounded.Timeout);
    }

    [Fact]
    public async Task DropAfter_client_to_server_lets_exactly_n_bytes_through_then_closes_mid_frame()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        proxy.DropAfter(10, ProxyDirection.ClientToServer);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);

        byte[] payload = ProxyClient.Pattern(100);
        await ProxyClient.SendAsync(client, payload);
        (byte[] echoed, _) = await ProxyClient.ReadToEndAsync(client);

        await proxy.WaitUntilAsync(() => proxy.ConnectionCount == 0, "the pair to close", Bounded.Timeout);
        // Accepted first: the proxy's connect completes in the kernel before the echo server's accept loop runs.
        await Bounded.UntilAsync(() => echo.Accepted == 1 && echo.LiveConnections == 0, "the server side to end");
        Assert.Equal(10, echo.BytesReceived);
        Assert.Equal(10, proxy.BytesClientToServer);

        // The close may beat the echo back, so the client saw some prefix of those 10 bytes, never more.
        Assert.True(echoed.Length <= 10, $"the client got {echoed.Length} bytes");
        Assert.Equal(payload.AsSpan(0, echoed.Length).ToArray(), echoed);
    }

    [Fact]
    public async Task DropAfter_counts_from_the_call_so_an_established_conversation_can_be_cut_mid_answer()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);
        byte[] payload = ProxyClient.Pattern(100);
        await ProxyClient.SendAsync(client, payload.AsMemory(0, 50));
        Assert.Equal(payload.AsSpan(0, 50).ToArray(), await ProxyClient.ReadExactlyAsync(client, 50));

        proxy.DropAfter(5, ProxyDirection.ServerToClient);
        await ProxyClient.SendAsync(client, payload.AsMemory(50));
        (byte[] answer, _) = await ProxyClient.ReadToEndAsync(client);

        Assert.Equal(payload.AsSpan(50, 5).ToArray(), answer);
        Assert.Equal(55, proxy.BytesServerToClient);
        await proxy.WaitUntilAsync(() => proxy.ConnectionCount == 0, "the pair to close", Bounded.Timeout);

        // Still set for new connections until lifted.
        proxy.DropAfter(null);
        using Socket next = await ConnectAndEchoAsync(proxy);
    }

    [Fact]
    public async Task An_unreachable_target_resets_the_client_and_counts_an_upstream_failure()
    {
        // Bound but not listening: connects to this port are refused for as long as it is held.
        using var closedPort = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closedPort.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = LoopbackProxy.Start((IPEndPoint)closedPort.LocalEndPoint!);
        (byte[] bytes, bool reset) = await ProxyClient.ConnectAndReadToEndAsync(proxy.EndPoint);

        Assert.Empty(bytes);
        Assert.True(reset);
        await proxy.WaitUntilAsync(() => proxy.UpstreamFailures == 1, "the upstream failure", Bounded.Timeout);
        Assert.Equal(0, proxy.TotalConnections);
        Assert.Equal(0, proxy.ConnectionCount);
    }

    [Fact]
    public async Task Dispose_closes_every_pair_including_stalled_ones_and_leaves_no_socket_open()
    {
        await using var echo = new EchoServer();
        LoopbackProxy proxy = LoopbackProxy.Start(echo.EndPoint);
        Socket[] clients = new Socket[3];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = await ConnectAndEchoAsync(proxy);
        }

        proxy.Stall(true, ProxyDirection.ClientToServer);
        await ProxyClient.SendAsync(clients[0], ProxyClient.Pattern(10));
        await proxy.WaitUntilAsync(() => proxy.HeldChunks == 1, "the proxy to hold a chunk", Bounded.Timeout);
        Assert.Equal(3, proxy.ConnectionCount);
        Assert.Equal(6, proxy.OpenSockets);

        await proxy.DisposeAsync().AsTask().WithinAsync("proxy disposal");

        Assert.Equal(0, proxy.ConnectionCount);
        Assert.Equal(0, proxy.OpenSockets);
        Assert.Equal(0, proxy.HeldChunks);
        foreach (Socket client in clients)
        {
            (byte[] bytes, bool reset) = await ProxyClient.ReadToEndAsync(client);
            Assert.Empty(bytes);
            Assert.True(reset);
            client.Dispose();
        }

        await Bounded.UntilAsync(() => echo.LiveConnections == 0, "the server side to end");
        await proxy.DisposeAsync().AsTask().WithinAsync("a second disposal"); // harmless
        Assert.Null(proxy.UnexpectedError);
    }

    [Fact]
    public async Task WaitForConnections_fails_with_a_timeout_when_too_few_connect()
    {
        await using var echo = new EchoServer();
        await using var proxy = LoopbackProxy.Start(echo.EndPoint);
        using Socket client = await ConnectAndEchoAsync(proxy);

        await proxy.WaitForConnectionsAsync(1, Bounded.Timeout);
        await Assert.ThrowsAsync<TimeoutException>(() => proxy.WaitForConnectionsAsync(2, TimeSpan.FromMilliseconds(50)));
    }

    /// <summary>Connects through the proxy and proves the path works end to end.</summary>
    private static async Task<Socket> ConnectAndEchoAsync(LoopbackProxy proxy)
    {
        Socket client = await ProxyClient.ConnectAsync(proxy.EndPoint);
        try
        {
            await EchoRoundTripAsync(client, 3);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task EchoRoundTripAsync(Socket client, int length)
    {
        byte[] payload = ProxyClient.Pattern(length);
        await ProxyClient.SendAsync(client, payload);
        Assert.Equal(payload, await ProxyClient.ReadExactlyAsync(client, length));
    }
}
