using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

/// <summary>Helpers that set up loopback connections on 127.0.0.1 port 0 for the transport tests.</summary>
internal static class Loopback
{
    public static readonly IPEndPoint AnyPort = new(IPAddress.Loopback, 0);

    /// <summary>Options whose memory, senders and connections are all counted by this test alone.</summary>
    public static ConnectionOptions CountedOptions(CountingMemoryPool pool, TransportCounters counters, SocketSenderPool senders,
        long outputPause = 1024 * 1024, long outputResume = 512 * 1024, SocketEngineKind engine = SocketEngineKind.Runtime,
        long inputPause = 1024 * 1024, long inputResume = 512 * 1024) =>
        new()
        {
            SocketEngine = engine,
            InputPauseThreshold = inputPause,
            InputResumeThreshold = inputResume,
            MemoryPool = pool,
            Counters = counters,
            SenderPool = senders,
            OutputPauseThreshold = outputPause,
            OutputResumeThreshold = outputResume,
        };

    /// <summary>A listener whose handler just hands each accepted connection to the test.</summary>
    public static (SocketListener Listener, Func<Task<SocketConnection>> NextAccepted) Listen(ConnectionOptions options)
    {
        var accepted = System.Threading.Channels.Channel.CreateUnbounded<SocketConnection>();
        SocketListener listener = SocketListener.Start(AnyPort, connection =>
        {
            accepted.Writer.TryWrite(connection);
            return ValueTask.CompletedTask;
        }, options);
        return (listener, () => accepted.Reader.ReadAsync().AsTask().WithinAsync("an accepted connection"));
    }

    /// <summary>A connected pair of transport connections through a listener.</summary>
    public static async Task<(SocketListener Listener, SocketConnection Server, SocketConnection Client)> PairAsync(ConnectionOptions options)
    {
        (SocketListener listener, Func<Task<SocketConnection>> next) = Listen(options);
        SocketConnection client = await SocketConnector.ConnectAsync(listener.LocalEndPoint, TimeSpan.FromSeconds(10), default, options);
        SocketConnection server = await next();
        return (listener, server, client);
    }

    /// <summary>A plain socket connected to the listener: a peer the test controls byte by byte.</summary>
    public static async Task<Socket> RawPeerAsync(IPEndPoint endPoint, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferSize is int size)
        {
            // Before connect, so the advertised window is small from the start.
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(endPoint).WaitAsync(Bounded.Timeout);
        return socket;
    }

    /// <summary>Writes <paramref name="data"/> as one frame under the writer lock and flushes.</summary>
    public static async ValueTask<bool> WriteAsync(SocketConnection connection, ReadOnlyMemory<byte> data)
    {
        if (!connection.TryEnterWrite(out PipeWriter writer))
        {
            writer = await connection.EnterWriteAsync();
        }

        writer.Write(data.Span);
        return await connection.ExitWriteAsync();
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the connection's input.</summary>
    public static async Task<byte[]> ReadExactlyAsync(PipeReader input, int count)
    {
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            ReadResult read = await input.ReadAsync().AsTask().WithinAsync("input bytes");
            ReadOnlySequence<byte> buffer = read.Buffer;
            long take = Math.Min(buffer.Length, count - filled);
            buffer.Slice(0, take).CopyTo(result.AsSpan(filled));
            filled += (int)take;
            input.AdvanceTo(buffer.GetPosition(take));
            if (read.IsCompleted && filled < count)
            {
                throw new EndOfStreamException($"Input ended after {filled} of {count} bytes.");
            }
        }

        return result;
    }

    /// <summary>Disposes connections and listener, then checks that nothing pooled is still out.</summary>
    public static async Task DisposeAndCheckAsync(CountingMemoryPool pool, TransportCounters counters, SocketSenderPool senders,
        SocketListener? listener, params SocketConnection[] connections)
    {
        foreach (SocketConnection connection in connections)
        {
            await connection.DisposeAsync().AsTask().WithinAsync("connection disposal");
        }

        if (listener is not null)
        {
            await listener.DisposeAsync().AsTask().WithinAsync("listener stop");
        }

        Assert.Equal(0, counters.LiveConnections);
        Assert.Equal(0, senders.Outstanding);
        Assert.Equal(0, pool.DoubleReturns);
        Assert.Equal(pool.Rented, pool.Returned);
        senders.Dispose();
    }
}
