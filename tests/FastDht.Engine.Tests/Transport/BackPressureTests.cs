using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class BackPressureTests
{
    [Fact]
    public async Task A_peer_that_never_reads_blocks_the_writer_with_bounded_buffering_until_abort()
    {
        const long pause = 64 * 1024;  // small thresholds so the test fills them quickly
        const long resume = 32 * 1024;
        const int frameSize = 1024;
        const long cap = 64L * 1024 * 1024; // far beyond any kernel buffering: reaching it means nothing blocked

        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, Func<Task<SocketConnection>> next) =
            Loopback.Listen(Loopback.CountedOptions(pool, counters, senders, pause, resume));
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint, receiveBufferSize: 4096);
        SocketConnection server = await next();
        server.Socket.SendBufferSize = 4096;

        byte[] frame = new byte[frameSize];
        long written = 0;
        ValueTask<bool> pendingExit = default;
        bool blocked = false;
        while (written < cap)
        {
            Assert.True(server.TryEnterWrite(out PipeWriter writer), "the lock is free between our own holds");
            writer.Write(frame.AsSpan());
            written += frameSize;

            // Unsent bytes (written, not yet handed over by a completed send) never exceed the pause threshold
            // plus the one frame written since the last flush that completed.
            long unsent = written - server.BytesSent;
            Assert.True(unsent <= pause + frameSize, $"{unsent} bytes buffered, threshold {pause}");

            pendingExit = server.ExitWriteAsync();
            if (!pendingExit.IsCompleted)
            {
                blocked = true;
                break;
            }

            Assert.True(await pendingExit);
        }

        Assert.True(blocked, $"wrote {written} bytes to a peer that never reads without the flush ever waiting");

        // While the flush waits, the lock stays held: another producer waits too instead of buffering more.
        ValueTask<PipeWriter> secondProducer = server.EnterWriteAsync();
        Assert.False(secondProducer.IsCompleted);

        server.Abort(new IOException("test abort"));
        Assert.False(await pendingExit.AsTask().WithinAsync("the pending flush after abort"));
        PipeWriter second = await secondProducer.AsTask().WithinAsync("the second producer after abort");
        second.Write(frame.AsSpan());
        Assert.False(await server.ExitWriteAsync());

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }
}
