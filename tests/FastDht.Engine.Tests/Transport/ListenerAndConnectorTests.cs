using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class ListenerAndConnectorTests
{
    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_with_an_error_naming_the_endpoint()
    {
        // Bound but not listening: the kernel refuses connections to it, and nobody else can take the port meanwhile.
        using var placeholder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        placeholder.Bind(Loopback.AnyPort);
        var endPoint = (IPEndPoint)placeholder.LocalEndPoint!;

        IOException error = await Assert.ThrowsAsync<IOException>(
            () => SocketConnector.ConnectAsync(endPoint, TimeSpan.FromSeconds(10)).AsTask().WithinAsync("the refusal"));
        Assert.Contains(endPoint.ToString(), error.Message, StringComparison.Ordinal);
        SocketException inner = Assert.IsType<SocketException>(error.InnerException);
        Assert.Equal(SocketError.ConnectionRefused, inner.SocketErrorCode);
    }

    [Fact]
    public async Task A_connect_that_gets_no_answer_times_out_with_an_error_naming_the_endpoint()
    {
        // A listener that never accepts, with its accept queue filled: the kernel then ignores further SYNs, so
        // the next connect neither succeeds nor is refused.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(Loopback.AnyPort);
        silent.Listen(0);
        var endPoint = (IPEndPoint)silent.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            // Fill the queue. Each connect sends its SYN before ConnectAsync returns, so by the end of this loop the
            // queue is full and the connect under test is ignored (Linux drops SYNs to a full accept queue; Windows
            // would refuse instead, so this test is written for the Linux CI).
            for (int i = 0; i < 16; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                _ = filler.ConnectAsync(endPoint).ContinueWith(static t => t.Exception, TaskScheduler.Default);
            }

            TimeoutException error = await Assert.ThrowsAsync<TimeoutException>(
                () => SocketConnector.ConnectAsync(endPoint, TimeSpan.FromMilliseconds(300)).AsTask().WithinAsync("the timeout"));
            Assert.True(error.Message.Contains(endPoint.ToString(), StringComparison.Ordinal), error.ToString());
        }
        finally
        {
            foreach (Socket filler in fillers)
            {
                filler.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_connection_past_the_accept_limit_is_closed_at_once_and_one_is_served_again_once_another_closed()
    {
        var limit = new ConnectionLimit(2);
        await using SocketListener listener = SocketListener.Start(Loopback.AnyPort, static async connection =>
        {
            // Held until the client closes: the listener counts a connection until its handler returns.
            while (true)
            {
                ReadResult read = await connection.Input.ReadAsync();
                connection.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }

            await connection.DisposeAsync();
        }, new ConnectionOptions { AcceptLimit = limit });

        using Socket first = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        using Socket second = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        await Bounded.UntilAsync(() => limit.Count == 2, "both connections are counted");
        using Socket third = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        Assert.True(await ClosedByListenerAsync(third), "the connection past the limit is closed by the listener");
        Assert.Equal(1, limit.Refused);
        Assert.Equal(2, limit.Count);
        Assert.True(new ConnectionLimit(1).ShouldLogRefusal(), "the first refusal of a limit is always logged");

        first.Dispose();
        await Bounded.UntilAsync(() => limit.Count == 1, "the closed connection is no longer counted");
        using Socket fourth = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        await Bounded.UntilAsync(() => limit.Count == 2, "a new connection is served again");
        Assert.Equal(1, limit.Refused);
    }

    /// <summary>True when the listener closed the socket (a read ends, or the connection was reset) within the bound.</summary>
    private static async Task<bool> ClosedByListenerAsync(Socket socket)
    {
        try
        {
            int read = await socket.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None).AsTask().WaitAsync(Bounded.Timeout);
            return read == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    [Fact]
    public async Task Stopping_the_listener_refuses_new_connections_and_leaves_open_ones_working()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        ConnectionOptions options = Loopback.CountedOptions(pool, counters, senders);
        (SocketListener listener, SocketConnection server, SocketConnection client) = await Loopback.PairAsync(options);
        Assert.True(listener.LocalEndPoint.Port > 0);

        await listener.StopAsync().AsTask().WithinAsync("the listener to stop");
        await Assert.ThrowsAsync<IOException>(
            () => SocketConnector.ConnectAsync(listener.LocalEndPoint, TimeSpan.FromSeconds(10), default, options).AsTask());

        Assert.True(await Loopback.WriteAsync(client, new byte[] { 42 }));
        Assert.Equal(new byte[] { 42 }, await Loopback.ReadExactlyAsync(server.Input, 1));
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server, client);
    }

    [Fact]
    public async Task A_handler_that_throws_closes_only_its_own_connection()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        ConnectionOptions options = Loopback.CountedOptions(pool, counters, senders);
        int calls = 0;
        SocketListener listener = SocketListener.Start(Loopback.AnyPort, connection =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("handler bug");
            }

            return new ValueTask(EchoTests.EchoAsync(connection));
        }, options);

        SocketConnection first = await SocketConnector.ConnectAsync(listener.LocalEndPoint, TimeSpan.FromSeconds(10), default, options);
        System.IO.Pipelines.ReadResult end = await first.Input.ReadAsync().AsTask().WithinAsync("the failed connection to close");
        Assert.True(end.IsCompleted);
        first.Input.AdvanceTo(end.Buffer.End);

        // The listener still accepts, and the next handler works.
        SocketConnection second = await SocketConnector.ConnectAsync(listener.LocalEndPoint, TimeSpan.FromSeconds(10), default, options);
        Assert.True(await Loopback.WriteAsync(second, new byte[] { 1, 2, 3 }));
        Assert.Equal(new byte[] { 1, 2, 3 }, await Loopback.ReadExactlyAsync(second.Input, 3));

        await first.DisposeAsync();
        await second.DisposeAsync();
        await Bounded.UntilAsync(() => counters.LiveConnections == 0, "the server sides to be disposed");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    [Theory]
    [InlineData(0, 0, 1, 1)]
    [InlineData(1, 1, 0, 0)]
    [InlineData(100, 200, 100, 50)]
    public void Unbounded_or_contradictory_thresholds_are_rejected(long inputPause, long inputResume, long outputPause, long outputResume)
    {
        var options = new ConnectionOptions
        {
            InputPauseThreshold = inputPause,
            InputResumeThreshold = inputResume,
            OutputPauseThreshold = outputPause,
            OutputResumeThreshold = outputResume,
        };
        Assert.Throws<ArgumentOutOfRangeException>(() => SocketListener.Start(Loopback.AnyPort, _ => ValueTask.CompletedTask, options));
    }
}
