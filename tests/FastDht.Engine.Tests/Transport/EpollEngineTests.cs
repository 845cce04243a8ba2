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
