using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

/// <summary>
/// FastDht's epoll engine under hostile peers, each case run on both engines: what the runtime's engine does is the
/// contract (a case that fails only for epoll is an engine bug); the epoll-only cases check what only it has.
/// </summary>
public sealed class EpollEngineTests
{
    public static TheoryData<SocketEngineKind> Engines => new() { SocketEngineKind.Runtime, SocketEngineKind.Epoll };

    [Theory]
    [InlineData(SocketEngineKind.Runtime, 1)]
    [InlineData(SocketEngineKind.Epoll, 1)]
    [InlineData(SocketEngineKind.Epoll, 3 * 1024 * 1024 + 7)]
    public async Task An_accepted_connection_echoes_every_byte_and_closes_its_descriptor(SocketEngineKind engine, int size)
    {
        var (pool, counters, senders, options) = Counted(engine);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        SocketConnection client = await SocketConnector.ConnectAsync(listener.LocalEndPoint, TimeSpan.FromSeconds(10), default, options);
        SocketConnection server = await next();
        Assert.Equal(ExpectEpoll(engine), server.IsServedByEpoll);
        Assert.False(client.IsServedByEpoll); // dialed connections stay on the runtime's engine
        Task echo = EchoTests.EchoAsync(server);

        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);
        Task<byte[]> reading = Loopback.ReadExactlyAsync(client.Input, size);
        for (int offset = 0; offset < size; offset += 64 * 1024)
        {
            Assert.True(await Loopback.WriteAsync(client, payload.AsMemory(offset, Math.Min(64 * 1024, size - offset))));
        }

        Assert.Equal(payload, await reading.WithinAsync("the echo"));
        await client.DisposeAsync();
        await echo.WithinAsync("the echo loop to end");
        Assert.True(server.Socket.SafeHandle.IsClosed, "the served socket's descriptor is closed once both loops ended");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_slow_reader_gets_every_byte_of_a_reply_larger_than_every_buffer(SocketEngineKind engine)
    {
        const int size = 4 * 1024 * 1024;
        var (pool, counters, senders, options) = Counted(engine, outputPause: 256 * 1024, outputResume: 128 * 1024);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint, receiveBufferSize: 4096);
        SocketConnection server = await next();
        server.Socket.SendBufferSize = 4096;

        byte[] payload = new byte[size];
        new Random(7).NextBytes(payload);
        var written = new StrongBox<long>();
        Task<bool> writing = WriteInFramesAsync(server, payload, 64 * 1024, written);

        // The peer reads nothing until the socket is full and the writer is held at the output pause threshold.
        await Bounded.UntilAsync(() => writing.IsCompleted || Volatile.Read(ref written.Value) - server.BytesSent >= 256 * 1024, "the unsent output to reach the pause threshold");
        Assert.False(writing.IsCompleted, $"the writer ended before the peer read anything (closed: {server.IsClosed}, {server.CloseReason})");
        byte[] received = new byte[size];
        int filled = 0;
        while (filled < size)
        {
            // Small reads: each one makes a little room, so the server's sends keep meeting EAGAIN and a wake-up.
            int n = await peer.ReceiveAsync(received.AsMemory(filled, Math.Min(8192, size - filled))).AsTask().WithinAsync("the next bytes of the reply");
            Assert.True(n > 0, $"the reply ended after {filled} of {size} bytes");
            filled += n;
        }

        Assert.True(await writing.WithinAsync("the writer to finish"));
        Assert.Equal(payload, received);
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_peer_that_half_closes_is_read_to_the_end_and_still_gets_its_reply(SocketEngineKind engine)
    {
        var (pool, counters, senders, options) = Counted(engine);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();

        await peer.SendAsync(Encoding.ASCII.GetBytes("last words"));
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal("last words", Encoding.ASCII.GetString(await Loopback.ReadExactlyAsync(server.Input, 10)));
        ReadResult end = await server.Input.ReadAsync().AsTask().WithinAsync("the end of the input");
        Assert.True(end.IsCompleted && end.Buffer.IsEmpty, "FIN completes the input");
        server.Input.AdvanceTo(end.Buffer.End);
        Assert.False(server.IsClosed, "a half-close leaves our output open");

        Assert.True(await Loopback.WriteAsync(server, Encoding.ASCII.GetBytes("reply")));
        byte[] reply = new byte[5];
        int got = 0;
        while (got < reply.Length)
            got += await peer.ReceiveAsync(reply.AsMemory(got)).AsTask().WithinAsync("the reply after the half-close");
        Assert.Equal("reply", Encoding.ASCII.GetString(reply));

        await server.DisposeAsync();
        Assert.Equal(0, await peer.ReceiveAsync(new byte[1].AsMemory()).AsTask().WithinAsync("the server's FIN"));
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_reset_by_the_peer_ends_the_connection_with_the_reset_as_its_reason(SocketEngineKind engine)
    {
        var (pool, counters, senders, options) = Counted(engine);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();
        await peer.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, await Loopback.ReadExactlyAsync(server.Input, 3));

        // Linger 0: close sends RST instead of FIN.
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();

        await Bounded.UntilAsync(() => server.IsClosed, "the reset to close the connection");
        var reason = Assert.IsType<SocketException>(server.CloseReason);
        Assert.Equal(SocketError.ConnectionReset, reason.SocketErrorCode);
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Abort_from_another_thread_while_the_send_waits_for_room_closes_at_once(SocketEngineKind engine)
    {
        var (pool, counters, senders, options) = Counted(engine, outputPause: 64 * 1024, outputResume: 32 * 1024);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint, receiveBufferSize: 4096);
        SocketConnection server = await next();
        server.Socket.SendBufferSize = 4096;
        var written = new StrongBox<long>();
        Task<bool> writing = WriteInFramesAsync(server, new byte[1024 * 1024], 1024, written);
        // The resume threshold, not the pause one: once paused, the sender may still pass a few bytes to the kernel,
        // leaving between 32 and 64 KiB unsent with the writer held; waiting for 64 KiB then never ended (flaky under load).
        await Bounded.UntilAsync(() => writing.IsCompleted || Volatile.Read(ref written.Value) - server.BytesSent >= 32 * 1024, "the writer to be held by a full socket");
        Assert.False(writing.IsCompleted, $"the writer ended before the abort (closed: {server.IsClosed}, {server.CloseReason})");

        await Task.Run(() => server.Abort(new IOException("aborted by the test")));
        Assert.False(await writing.WithinAsync("the held writer to be released"));
        await server.DisposeAsync().AsTask().WithinAsync("disposal after the abort");
        Assert.True(server.Socket.SafeHandle.IsClosed);
        Assert.Equal("aborted by the test", server.CloseReason?.Message);
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_paused_input_resumes_and_loses_no_byte_sent_meanwhile(SocketEngineKind engine)
    {
        const int size = 16 * 1024 * 1024;
        var (pool, counters, senders, options) = Counted(engine, inputPause: 64 * 1024, inputResume: 32 * 1024);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();

        byte[] payload = new byte[size];
        new Random(11).NextBytes(payload);
        Task sending = Task.Run(async () =>
        {
            for (int offset = 0; offset < size; offset += 16 * 1024)
                await peer.SendAsync(payload.AsMemory(offset, 16 * 1024));
        });

        // Nobody reads the input yet: the receive loop pauses at the threshold and the peer's sends stall in the kernel.
        await Bounded.UntilAsync(() => server.BytesReceived >= 64 * 1024, "the input to fill to its pause threshold");
        Assert.False(sending.IsCompleted, "16 MiB cannot fit in a 64 KiB pipe and the loopback socket buffers");
        Assert.Equal(payload, await Loopback.ReadExactlyAsync(server.Input, size));
        await sending.WithinAsync("the peer's sends");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }

    [Fact]
    public async Task Thousands_of_connections_opened_and_closed_leave_no_descriptor_or_registration()
    {
        if (!EpollSocketEngine.IsSupported)
            return;
        var (pool, counters, senders, options) = Counted(SocketEngineKind.Epoll);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        var served = new List<SocketConnection>();
        for (int i = 0; i < 2000; i++)
        {
            using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
            SocketConnection server = await next();
            served.Add(server);
            Task echo = EchoTests.EchoAsync(server);
            await peer.SendAsync(new byte[] { (byte)i });
            byte[] one = new byte[1];
            Assert.Equal(1, await peer.ReceiveAsync(one.AsMemory()).AsTask().WithinAsync("the echo"));
            Assert.Equal((byte)i, one[0]);
            // Every third peer resets, the others close in order: both paths must release the descriptor.
            if (i % 3 == 0)
                peer.LingerState = new LingerOption(true, 0);
            peer.Close();
            await echo.WithinAsync("the server side to close");
        }

        foreach (SocketConnection server in served)
        {
            Assert.True(server.Socket.SafeHandle.IsClosed, "every served descriptor is closed");
            Assert.False(server.IsRegisteredWithEpoll, "every served descriptor left the event thread's table");
        }

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    [Fact]
    public async Task The_after_batch_hook_runs_on_the_event_thread_after_the_batch_that_served_a_request()
    {
        if (!EpollSocketEngine.IsSupported)
            return;
        var (pool, counters, senders, options) = Counted(SocketEngineKind.Epoll);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options);
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();
        Task echo = EchoTests.EchoAsync(server);

        long receivedAtHook = -1;
        string? hookThread = null;
        using (EpollSocketEngine.OnAfterBatch(() =>
        {
            // Every batch runs it (other tests' too): keep the first that comes after our request was received.
            if (server.BytesReceived > 0 && Interlocked.CompareExchange(ref receivedAtHook, server.BytesReceived, -1) == -1)
                hookThread = Thread.CurrentThread.Name;
        }))
        {
            await peer.SendAsync(new byte[] { 42 });
            Assert.Equal(1, await peer.ReceiveAsync(new byte[1].AsMemory()).AsTask().WithinAsync("the echo"));
            await Bounded.UntilAsync(() => Interlocked.Read(ref receivedAtHook) >= 0, "the hook after the request's batch");
        }

        Assert.Equal(1, receivedAtHook);
        Assert.StartsWith("FastDht epoll", hookThread, StringComparison.Ordinal);
        peer.Close();
        await echo.WithinAsync("the server side to close");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    [Fact]
    public async Task Replies_made_during_a_batch_leave_after_it_in_one_send()
    {
        if (!EpollSocketEngine.IsSupported)
            return;
        var (pool, counters, senders, options) = Counted(SocketEngineKind.Epoll);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options.WithInlineScheduling());
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();

        // Started before the peer sends, so the handler waits on the input and the event thread resumes it inline.
        string? thread = null;
        long sentAfterFirstReply = -1;
        Task handler = HandleOnceAsync(server, async () =>
        {
            thread = Thread.CurrentThread.Name;
            Assert.True(await Loopback.WriteAsync(server, Encoding.ASCII.GetBytes("first ")));
            sentAfterFirstReply = server.BytesSent;
            Assert.True(await Loopback.WriteAsync(server, Encoding.ASCII.GetBytes("second")));
        });
        await peer.SendAsync(Encoding.ASCII.GetBytes("go"));
        await handler.WithinAsync("the handler");

        Assert.Equal("first second", Encoding.ASCII.GetString(await ReceiveExactlyAsync(peer, 12)));
        Assert.StartsWith("FastDht epoll", thread, StringComparison.Ordinal);
        Assert.Equal(0, sentAfterFirstReply); // flushed, yet held to the batch's end
        Assert.Equal(1, server.SendCount); // both replies in the one send after the batch
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Replies_made_on_the_event_thread_reach_every_client_whole_and_in_order(SocketEngineKind engine)
    {
        const int clients = 8;
        const int requests = 300;
        var (pool, counters, senders, options) = Counted(engine);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options.WithInlineScheduling());
        var peers = new Socket[clients];
        var servers = new SocketConnection[clients];
        var echoes = new Task[clients];
        for (int c = 0; c < clients; c++)
        {
            peers[c] = await Loopback.RawPeerAsync(listener.LocalEndPoint);
            servers[c] = await next();
            echoes[c] = EchoTests.EchoAsync(servers[c]);
        }

        // Every client sends its numbered requests in uneven bursts, all clients at once, so the event thread's batches
        // hold several connections and several reads of one; each must get back exactly its own bytes, in order.
        var expected = new byte[clients][];
        var exchanges = new Task[clients];
        for (int c = 0; c < clients; c++)
        {
            expected[c] = new byte[requests * 8];
            for (int r = 0; r < requests; r++)
                BitConverter.TryWriteBytes(expected[c].AsSpan(r * 8), ((long)c << 32) | (uint)r);
            int client = c;
            exchanges[c] = Task.Run(async () =>
            {
                Task<byte[]> reading = ReceiveExactlyAsync(peers[client], expected[client].Length);
                var random = new Random(client);
                for (int offset = 0; offset < expected[client].Length;)
                {
                    int length = Math.Min(random.Next(1, 97), expected[client].Length - offset);
                    await peers[client].SendAsync(expected[client].AsMemory(offset, length));
                    offset += length;
                }

                Assert.Equal(expected[client], await reading);
            });
        }

        await Task.WhenAll(exchanges).WithinAsync("every client's echo");
        for (int c = 0; c < clients; c++)
        {
            peers[c].Close();
            await echoes[c].WithinAsync("the server side to close");
        }

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, servers);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_large_reply_made_on_the_event_thread_reaches_a_slow_reader_through_partial_sends(SocketEngineKind engine)
    {
        const int size = 4 * 1024 * 1024;
        var (pool, counters, senders, options) = Counted(engine, outputPause: 256 * 1024, outputResume: 128 * 1024);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options.WithInlineScheduling());
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint, receiveBufferSize: 4096);
        SocketConnection server = await next();
        server.Socket.SendBufferSize = 4096;

        byte[] payload = new byte[size];
        new Random(13).NextBytes(payload);
        var written = new StrongBox<long>();
        Task<bool> writing = null!;
        Task handler = HandleOnceAsync(server, () =>
        {
            // The frames start on the event thread, mid-batch; the writer is held at the pause threshold from there on.
            writing = WriteInFramesAsync(server, payload, 64 * 1024, written);
            return Task.CompletedTask;
        });
        await peer.SendAsync(new byte[] { 1 });
        await handler.WithinAsync("the handler");

        byte[] received = new byte[size];
        int filled = 0;
        while (filled < size)
        {
            // Small reads: each makes a little room, so the server's sends keep coming back short or with EAGAIN.
            int n = await peer.ReceiveAsync(received.AsMemory(filled, Math.Min(8192, size - filled))).AsTask().WithinAsync("the next bytes of the reply");
            Assert.True(n > 0, $"the reply ended after {filled} of {size} bytes");
            filled += n;
        }

        Assert.True(await writing.WithinAsync("the writer to finish"));
        Assert.Equal(payload, received);
        Assert.True(server.SendCount > 1, "a reply larger than the socket's buffer leaves in several sends");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_client_that_resets_while_its_reply_waits_for_the_batch_end_closes_alone(SocketEngineKind engine)
    {
        var (pool, counters, senders, options) = Counted(engine);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(options.WithInlineScheduling());
        Socket leaving = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection leavingServer = await next();
        using Socket staying = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection stayingServer = await next();
        Task stayingEcho = EchoTests.EchoAsync(stayingServer);

        long sentWhenReset = -1;
        Task handler = HandleOnceAsync(leavingServer, async () =>
        {
            Assert.True(await Loopback.WriteAsync(leavingServer, new byte[100]));
            sentWhenReset = leavingServer.BytesSent;
            // Still inside the batch: the client resets (linger 0) before the reply it is owed was sent.
            leaving.LingerState = new LingerOption(true, 0);
            leaving.Close();
        });
        await leaving.SendAsync(new byte[] { 1 });
        await handler.WithinAsync("the handler");
        if (ExpectEpoll(engine))
            Assert.Equal(0, sentWhenReset);

        await Bounded.UntilAsync(() => leavingServer.IsClosed, "the reset connection to close");
        var reason = Assert.IsType<SocketException>(leavingServer.CloseReason);
        Assert.Contains(reason.SocketErrorCode, new[] { SocketError.ConnectionReset, SocketError.Shutdown }); // ECONNRESET, or EPIPE

        // The other client, on the same event thread, is served as before.
        await staying.SendAsync(Encoding.ASCII.GetBytes("still here"));
        Assert.Equal("still here", Encoding.ASCII.GetString(await ReceiveExactlyAsync(staying, 10)));
        staying.Close();
        await stayingEcho.WithinAsync("the other server side to close");
        await leavingServer.DisposeAsync().AsTask().WithinAsync("disposal of the reset connection");
        Assert.True(leavingServer.Socket.SafeHandle.IsClosed, "the reset connection's descriptor is closed");
        Assert.False(leavingServer.IsRegisteredWithEpoll, "the reset connection left the event thread's table");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, stayingServer);
    }

    /// <summary>Waits for the connection's first input, runs <paramref name="onRequest"/> where that read resumed (the event thread when inline), then consumes the input.</summary>
    private static async Task HandleOnceAsync(SocketConnection connection, Func<Task> onRequest)
    {
        ReadResult read = await connection.Input.ReadAsync();
        Assert.False(read.Buffer.IsEmpty, "the first read holds the request");
        await onRequest();
        connection.Input.AdvanceTo(read.Buffer.End);
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket peer, int count)
    {
        byte[] received = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await peer.ReceiveAsync(received.AsMemory(filled)).AsTask().WithinAsync("the reply's bytes");
            Assert.True(n > 0, $"the peer's input ended after {filled} of {count} bytes");
            filled += n;
        }

        return received;
    }

    private static bool ExpectEpoll(SocketEngineKind engine) => engine == SocketEngineKind.Epoll && EpollSocketEngine.IsSupported;

    private static (CountingMemoryPool Pool, TransportCounters Counters, SocketSenderPool Senders, ConnectionOptions Options) Counted(
        SocketEngineKind engine, long outputPause = 1024 * 1024, long outputResume = 512 * 1024, long inputPause = 1024 * 1024, long inputResume = 512 * 1024)
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        return (pool, counters, senders, Loopback.CountedOptions(pool, counters, senders, outputPause, outputResume, engine, inputPause, inputResume));
    }

    /// <summary>Writes <paramref name="payload"/> in frames of <paramref name="frame"/> bytes, each flushed; false once the connection refused one.</summary>
    private static async Task<bool> WriteInFramesAsync(SocketConnection connection, byte[] payload, int frame, StrongBox<long> written)
    {
        for (int offset = 0; offset < payload.Length; offset += frame)
        {
            int length = Math.Min(frame, payload.Length - offset);
            Volatile.Write(ref written.Value, written.Value + length); // counted before the flush that may wait
            if (!await Loopback.WriteAsync(connection, payload.AsMemory(offset, length)))
                return false;
        }

        return true;
    }
}
