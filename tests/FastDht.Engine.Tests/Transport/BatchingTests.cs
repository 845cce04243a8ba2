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
        const int totalBytes = producers * framesPerProducer * frameSize; // 256 KiB: under the 1 MiB pause threshold

        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(Loopback.CountedOptions(pool, counters, senders));

        // Tiny kernel buffers on both ends (a few KiB), and a peer that does not read yet: the socket is "slow", so
        // the send loop soon waits on a send while the producers keep flushing frames behind it.
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint, receiveBufferSize: 4096);
        SocketConnection server = await next();
        server.Socket.SendBufferSize = 4096;

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
        Assert.True(sends < producers * framesPerProducer, $"{sends} sends for {producers * framesPerProducer} frames: no batching");

        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }
}
