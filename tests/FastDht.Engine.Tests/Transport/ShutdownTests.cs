using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Concurrent_aborts_and_a_peer_reset_shut_down_once_keep_one_reason_and_return_every_buffer()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, SocketConnection server, SocketConnection client) =
            await Loopback.PairAsync(Loopback.CountedOptions(pool, counters, senders));
        Assert.Equal(2, counters.LiveConnections);

        // Some traffic first, so pipes hold rented segments when the connection dies.
        Assert.True(await Loopback.WriteAsync(client, new byte[10_000]));
        Assert.Equal(10_000, (await Loopback.ReadExactlyAsync(server.Input, 10_000)).Length);
        Assert.True(await Loopback.WriteAsync(client, new byte[3_000])); // left unread in the server's input pipe
        ValueTask<ReadResult> pendingRead = server.Input.ReadAsync();

        var reasons = new Exception[8];
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborters = new Task[reasons.Length + 1];
        for (int i = 0; i < reasons.Length; i++)
        {
            Exception reason = reasons[i] = new InvalidOperationException($"reason {i}");
            aborters[i] = Task.Run(async () =>
            {
                await gate.Task;
                server.Abort(reason);
            });
        }

        aborters[^1] = Task.Run(async () =>
        {
            await gate.Task;
            client.Socket.LingerState = new LingerOption(true, 0); // close with RST: a peer reset
            client.Abort();
        });
        gate.SetResult();
        await Task.WhenAll(aborters).WithinAsync("the aborts");

        Exception? kept = server.CloseReason;
        Assert.NotNull(kept);
        Assert.True(Array.IndexOf(reasons, kept) >= 0 || kept is SocketException, $"unexpected reason {kept}");
        server.Abort(new InvalidOperationException("late"));
        Assert.Same(kept, server.CloseReason);
        Assert.True(server.IsClosed);

        await Bounded.UntilAsync(() => server.ConnectionClosed.IsCancellationRequested, "ConnectionClosed fired");

        // The parse loop's pending read ends normally: whatever arrived, then IsCompleted.
        ReadResult read = await pendingRead.AsTask().WithinAsync("the pending read");
        while (!read.IsCompleted)
        {
            server.Input.AdvanceTo(read.Buffer.End);
            read = await server.Input.ReadAsync().AsTask().WithinAsync("the input to complete");
        }

        server.Input.AdvanceTo(read.Buffer.End);
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server, client);
    }

    [Fact]
    public async Task The_first_abort_reason_is_kept_and_dispose_twice_is_harmless()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, SocketConnection server, SocketConnection client) =
            await Loopback.PairAsync(Loopback.CountedOptions(pool, counters, senders));

        var first = new IOException("first");
        server.Abort(first);
        server.Abort(new IOException("second"));
        Assert.Same(first, server.CloseReason);

        // The peer sees an orderly end of input.
        ReadResult read = await client.Input.ReadAsync().AsTask().WithinAsync("the client's input to end");
        Assert.True(read.IsCompleted);
        client.Input.AdvanceTo(read.Buffer.End);

        Task firstDispose = server.DisposeAsync().AsTask();
        Task secondDispose = server.DisposeAsync().AsTask();
        await Task.WhenAll(firstDispose, secondDispose).WithinAsync("both disposals");
        Assert.Throws<ObjectDisposedException>(() => { _ = server.EnterWriteAsync(); });
        Assert.False(server.TryEnterWrite(out _));

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server, client);
    }

    [Fact]
    public async Task CloseAsync_sends_everything_already_written_before_closing()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, SocketConnection server, SocketConnection client) =
            await Loopback.PairAsync(Loopback.CountedOptions(pool, counters, senders));

        // 600 KB written with one flush: under the 1 MiB pause threshold, so the writer never waits; with a small
        // kernel send buffer most of it is still in the output pipe when the close starts, so an abort would lose it.
        server.Socket.SendBufferSize = 4096;
        byte[] data = new byte[600_000];
        new Random(3).NextBytes(data);
        Assert.True(server.TryEnterWrite(out PipeWriter writer));
        writer.Write(data.AsSpan());
        Assert.True(await server.ExitWriteAsync());

        Task closing = server.CloseAsync(TimeSpan.FromSeconds(10)).AsTask();
        byte[] received = await Loopback.ReadExactlyAsync(client.Input, data.Length);
        Assert.Equal(data, received);
        ReadResult end = await client.Input.ReadAsync().AsTask().WithinAsync("the end of the client's input");
        Assert.True(end.IsCompleted);
        Assert.True(end.Buffer.IsEmpty);
        client.Input.AdvanceTo(end.Buffer.End);

        await closing.WithinAsync("the graceful close");
        Assert.Null(server.CloseReason);
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server, client);
    }

    [Fact]
    public async Task A_clean_peer_close_delivers_every_byte_then_completes_input_without_a_reason()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(Loopback.CountedOptions(pool, counters, senders));
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();

        byte[] data = new byte[100_000];
        new Random(7).NextBytes(data);
        await peer.SendAsync(data.AsMemory(), SocketFlags.None).AsTask().WithinAsync("the peer's send");
        peer.Shutdown(SocketShutdown.Send); // FIN right behind the data

        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult read = await server.Input.ReadAsync().AsTask().WithinAsync("server input");
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                received.Write(segment.Span);
            }

            server.Input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal(data, received.WrittenSpan.ToArray());
        Assert.Null(server.CloseReason);
        await Bounded.UntilAsync(() => server.ConnectionClosed.IsCancellationRequested, "ConnectionClosed fired");

        // Half-closed: our side can still answer until the owner disposes.
        Assert.True(await Loopback.WriteAsync(server, new byte[] { 1, 2, 3 }));
        byte[] answer = new byte[3];
        int got = await peer.ReceiveAsync(answer.AsMemory(), SocketFlags.None).AsTask().WithinAsync("the answer");
        Assert.Equal(3, got);

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }

    [Fact]
    public async Task A_peer_that_resets_mid_frame_ends_the_loops_without_an_unobserved_exception()
    {
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) =>
        {
            if (e.Exception.ToString().Contains("FastDht.Engine.Transport", StringComparison.Ordinal))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        };
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            var pool = new CountingMemoryPool();
            var counters = new TransportCounters();
            var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
            (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(Loopback.CountedOptions(pool, counters, senders));
            Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
            SocketConnection server = await next();

            // A length prefix promising 100 bytes, then 20 of them, then a reset.
            byte[] partial = new byte[24];
            partial[0] = 100;
            await peer.SendAsync(partial.AsMemory(), SocketFlags.None).AsTask().WithinAsync("the partial frame");
            peer.LingerState = new LingerOption(true, 0);
            peer.Dispose();

            // The parse loop reads whatever arrived, then sees the end, never an exception.
            long seen = 0;
            while (true)
            {
                ReadResult read = await server.Input.ReadAsync().AsTask().WithinAsync("server input");
                seen = read.Buffer.Length;
                server.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End); // an incomplete frame: examined, not consumed
                if (read.IsCompleted)
                {
                    break;
                }
            }

            Assert.InRange(seen, 0, partial.Length);
            await Bounded.UntilAsync(() => server.ConnectionClosed.IsCancellationRequested, "ConnectionClosed fired");
            Assert.True(server.CloseReason is null or SocketException, $"unexpected reason {server.CloseReason}");
            await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.Empty(unobserved);
    }
}
