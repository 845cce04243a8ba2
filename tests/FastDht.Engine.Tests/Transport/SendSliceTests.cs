using System.IO.Pipelines;
using System.Net.Sockets;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

/// <summary>
/// A large reply leaves in bounded slices: the runtime's multi-buffer send pins every remaining buffer on each partial
/// send, so one send of a whole 60 MB reply (15,000 segments) to a slow reader cost O(segments^2) and two
/// large-object-heap arrays per partial send, and stalled the node (docs/known-issues.md).
/// </summary>
public sealed class SendSliceTests
{
    [Fact]
    public async Task A_reply_of_many_segments_is_sent_in_slices_of_at_most_MaxSendSegments_and_arrives_whole()
    {
        const int SegmentSize = 4096;
        const int Segments = 1024; // 4 MiB in one hold of the writer lock, one flush
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        // Output pause above the reply, so the producer writes it all before the first send (one buffered sequence).
        (SocketListener listener, Func<Task<SocketConnection>> next) = Loopback.Listen(
            Loopback.CountedOptions(pool, counters, senders, outputPause: 8 << 20, outputResume: 4 << 20));
        using Socket peer = await Loopback.RawPeerAsync(listener.LocalEndPoint);
        SocketConnection server = await next();

        if (!server.TryEnterWrite(out PipeWriter writer))
        {
            writer = await server.EnterWriteAsync();
        }

        for (int i = 0; i < Segments; i++)
        {
            Span<byte> span = writer.GetSpan(SegmentSize)[..SegmentSize];
            span.Fill((byte)i);
            writer.Advance(SegmentSize);
        }

        Task<bool> flushed = server.ExitWriteAsync().AsTask();

        byte[] received = new byte[SegmentSize * Segments];
        int count = 0;
        while (count < received.Length)
        {
            int n = await peer.ReceiveAsync(received.AsMemory(count), SocketFlags.None).AsTask().WithinAsync("the peer's receive");
            Assert.NotEqual(0, n);
            count += n;
        }

        Assert.True(await flushed.WithinAsync("the flush"));
        for (int i = 0; i < Segments; i++)
        {
            Assert.True(received.AsSpan(i * SegmentSize, SegmentSize).IndexOfAnyExcept((byte)i) < 0, $"segment {i} arrived damaged or out of order");
        }

        // Every segment went out, none in a send of more than MaxSendSegments (before: one send of all 1024). The peer
        // may read the last bytes before their send's completion is counted: wait for the count.
        await Bounded.UntilAsync(() => server.BytesSent == (long)SegmentSize * Segments, "every byte counted as sent");
        Assert.True(server.SendCount >= Segments / SocketConnection.MaxSendSegments, $"{server.SendCount} sends for {Segments} segments");
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server);
    }
}
