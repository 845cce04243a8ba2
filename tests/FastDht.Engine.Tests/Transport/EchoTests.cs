using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class EchoTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(5 * 1024 * 1024 + 7)] // several MB, deliberately not a multiple of the segment size
    public async Task Echo_round_trip_returns_every_byte_in_order(int size)
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        ConnectionOptions options = Loopback.CountedOptions(pool, counters, senders);
        Task? echoLoop = null;
        SocketListener listener = SocketListener.Start(Loopback.AnyPort, server =>
        {
            echoLoop = EchoAsync(server);
            return ValueTask.CompletedTask;
        }, options);
        SocketConnection client = await SocketConnector.ConnectAsync(listener.LocalEndPoint, TimeSpan.FromSeconds(10), default, options);

        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);

        // Write and read concurrently: a payload larger than both pause thresholds would otherwise deadlock by design.
        Task<byte[]> reading = Loopback.ReadExactlyAsync(client.Input, size);
        for (int offset = 0; offset < size; offset += 64 * 1024)
        {
            Assert.True(await Loopback.WriteAsync(client, payload.AsMemory(offset, Math.Min(64 * 1024, size - offset))));
        }

        byte[] echoed = await reading.WithinAsync("the echo");
        Assert.Equal(payload, echoed);

        // The client closes; the server's echo loop sees its input complete and disposes its side.
        await client.DisposeAsync();
        await Bounded.UntilAsync(() => echoLoop is not null, "the echo loop started");
        await echoLoop!.WithinAsync("the echo loop to end");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener);
    }

    /// <summary>Echoes everything received until the input completes, then disposes the connection.</summary>
    internal static async Task EchoAsync(SocketConnection connection)
    {
        try
        {
            while (true)
            {
                ReadResult read = await connection.Input.ReadAsync();
                ReadOnlySequence<byte> buffer = read.Buffer;
                if (!buffer.IsEmpty)
                {
                    if (!connection.TryEnterWrite(out PipeWriter writer))
                    {
                        writer = await connection.EnterWriteAsync();
                    }

                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        writer.Write(segment.Span);
                    }

                    await connection.ExitWriteAsync();
                }

                connection.Input.AdvanceTo(buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
