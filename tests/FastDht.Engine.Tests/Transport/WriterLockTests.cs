using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FastDht.Engine.Transport;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class WriterLockTests
{
    private const int Producers = 8;
    private const int FramesPerProducer = 2000;

    [Fact]
    public async Task Frames_written_from_many_threads_arrive_whole_and_in_per_producer_order()
    {
        var pool = new CountingMemoryPool();
        var counters = new TransportCounters();
        var senders = new SocketSenderPool(TransportSchedulers.SocketCompletions);
        (SocketListener listener, SocketConnection server, SocketConnection client) =
            await Loopback.PairAsync(Loopback.CountedOptions(pool, counters, senders));

        Task<int> receiving = Task.Run(() => ReceiveFramesAsync(client.Input, Producers * FramesPerProducer));
        var producers = new Task[Producers];
        for (int p = 0; p < Producers; p++)
        {
            byte id = (byte)p;
            producers[p] = Task.Run(() => ProduceAsync(server, id));
        }

        await Task.WhenAll(producers).WithinAsync("the producers");
        int received = await receiving.WithinAsync("every frame");

        Assert.Equal(Producers * FramesPerProducer, received);
        await Loopback.DisposeAndCheckAsync(pool, counters, senders, listener, server, client);
    }

    /// <summary>Writes this producer's frames; every seventh hold writes three frames, some holds defer their flush.</summary>
    private static async Task ProduceAsync(SocketConnection connection, byte id)
    {
        int seq = 0;
        while (seq < FramesPerProducer)
        {
            if (!connection.TryEnterWrite(out PipeWriter writer))
            {
                writer = await connection.EnterWriteAsync();
            }

            int framesThisHold = seq % 7 == 0 ? 3 : 1;
            for (int i = 0; i < framesThisHold && seq < FramesPerProducer; i++, seq++)
            {
                WriteFrame(writer, id, seq);
            }

            // Deferring a flush leaves bytes for a later holder's flush; the last hold always flushes.
            bool flush = seq % 5 != 0 || seq == FramesPerProducer;
            Assert.True(await connection.ExitWriteAsync(flush));
        }
    }

    private static int PayloadLength(byte id, int seq) => 5 + ((seq * 7) + id) % 300;

    private static byte Pattern(byte id, int seq, int index) => (byte)((id * 31) + seq + index);

    /// <summary>[int32 length][id][int32 seq][pattern bytes], written with one GetSpan and one Advance.</summary>
    private static void WriteFrame(PipeWriter writer, byte id, int seq)
    {
        int length = PayloadLength(id, seq);
        Span<byte> span = writer.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        span[4] = id;
        BinaryPrimitives.WriteInt32LittleEndian(span[5..], seq);
        for (int i = 9; i < 4 + length; i++)
        {
            span[i] = Pattern(id, seq, i);
        }

        writer.Advance(4 + length);
    }

    private static async Task<int> ReceiveFramesAsync(PipeReader input, int expected)
    {
        int[] nextSeq = new int[Producers];
        int count = 0;
        while (count < expected)
        {
            ReadResult read = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = read.Buffer;
            while (TryReadFrame(ref buffer, out byte id, out int seq, out byte[] payload))
            {
                Assert.True(id < Producers, $"frame from unknown producer {id}: torn or interleaved");
                Assert.Equal(nextSeq[id], seq);
                Assert.Equal(PayloadLength(id, seq), payload.Length);
                for (int i = 5; i < payload.Length; i++)
                {
                    if (payload[i] != Pattern(id, seq, i + 4))
                    {
                        Assert.Fail($"producer {id} frame {seq} corrupt at byte {i}");
                    }
                }

                nextSeq[id]++;
                count++;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        return count;
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out byte id, out int seq, out byte[] payload)
    {
        id = 0;
        seq = 0;
        payload = [];
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadLittleEndian(out int length) || reader.Remaining < length)
        {
            return false;
        }

        payload = buffer.Slice(4, length).ToArray();
        id = payload[0];
        seq = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(1));
        buffer = buffer.Slice(4 + length);
        return true;
    }
}
