using System.Net.Sockets;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class BatchingTests
{
    [Fact]
    public async Task Small_frames_flushed_while_the_socket_is_slow_go_out_in_fewer_sends_than_frames()
    {
        const int producers = 8;
        const int framesPerProducer = 1000;
        const int frameSize = 32;
        const int bigFrameSize = 128 * 1024;
        const int totalBytes = bigFrameSize + (producers * framesPerProducer * frameSize); // 384 KiB: under the 1 MiB pause threshold

        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(Loopback.CountedOptions(pool, counters, senders));

        // Tiny kernel buffers on both ends (a few KiB), and a peer that does not read yet: the socket is "slow", so
        // the send loop soon waits on a send while the producers keep flushing frames behind it.
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint, receiveBufferSize: 4096);
        SocketConnection server = await next();
        server.Socket.SendBufferSize = 4096;

        // First a frame far larger than both kernel buffers: the send loop's send of it cannot complete until the peer
        // reads, so every small frame flushed meanwhile queues behind it, whatever the scheduling of the threads.
        Assert.True(await Loopback.WriteAsync(server, new byte[bigFrameSize]));

        var writers = new Task[producers];
        for (int p = 0; p < producers; p++)
        {
            writers[p] = Task.Run(async () =>
            {
                byte[] frame = new byte[frameSize];
                for (int i = 0; i < framesPerProducer; i++)
                {
                    Assert.True(await Loopback.WriteAsync(server, frame)); // one flush per frame
                }
            });
        }

        await Task.WhenAll(writers).WithinAsync("the producers");

        // Now the peer drains everything.
        byte[] sink = new byte[64 * 1024];
        int received = 0;
        while (received < totalBytes)
        {
            int n = await peer.ReceiveAsync(sink.AsMemory(), SocketFlags.None).AsTask().WithinAsync("the peer's receive");
            Assert.NotEqual(0, n);
            received += n;
        }

        Assert.Equal(totalBytes, received);
        long sends = server.SendCount;
        Assert.True(sends < producers * framesPerProducer, $"{sends} sends for {(producers * framesPerProducer) + 1} frames: no batching");

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }
}
