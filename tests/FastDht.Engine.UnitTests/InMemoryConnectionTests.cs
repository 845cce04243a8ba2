using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FastDht.Engine.Transport;
using FastDht.TestUtilities;
using Nerdbank.Streams;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The transport's connection over an in-memory duplex pipe: the same writer lock, back-pressure and shutdown as over
/// a socket, which is what lets sessions be tested here without the network.
/// </summary>
public sealed class InMemoryConnectionTests
{
    /// <summary>Four producers write records concurrently under the writer lock: every record arrives whole and in each producer's order.</summary>
    [Fact]
    public async Task Concurrent_producers_never_interleave_and_keep_their_order()
    {
        const int Producers = 4;
        const int RecordsEach = 500;
        var (near, far) = FullDuplexStream.CreatePipePair();
        await using var connection = SocketConnection.CreateInMemory(near);

        var producers = new Task[Producers];
        for (var p = 0; p < Producers; p++)
            producers[p] = ProduceAsync(connection, (byte)p, RecordsEach);

        var next = new int[Producers];
        var received = 0;
        while (received < Producers * RecordsEach)
        {
            var result = await far.Input.ReadAsync().AsTask().WithinAsync("records to arrive");
            var buffer = result.Buffer;
            while (TryReadRecord(ref buffer, out var producer, out var sequence, out var intact))
            {
                Assert.True(intact, $"record {sequence} of producer {producer} is torn");
                Assert.Equal(next[producer], sequence);
                next[producer]++;
                received++;
            }
            far.Input.AdvanceTo(buffer.Start, buffer.End);
            Assert.False(result.IsCompleted, "the connection ended early");
        }
        await Task.WhenAll(producers).WithinAsync("the producers to finish");
    }

    /// <summary>The other side ending its output ends our input, and our output still reaches it (a half-close).</summary>
    [Fact]
    public async Task The_other_side_half_closing_ends_input_but_not_output()
    {
        var (near, far) = FullDuplexStream.CreatePipePair();
        await using var connection = SocketConnection.CreateInMemory(near);

        await far.Output.WriteAsync("last words"u8.ToArray());
        await far.Output.CompleteAsync();
        var input = await ReadToEndAsync(connection.Input);
        Assert.Equal("last words"u8.ToArray(), input);
        Assert.False(connection.IsClosed);

        var writer = await connection.EnterWriteAsync().AsTask().WithinAsync("the writer lock");
        writer.Write("the answer"u8);
        Assert.True(await connection.ExitWriteAsync().AsTask().WithinAsync("the flush"));
        var result = await far.Input.ReadAtLeastAsync(10).AsTask().WithinAsync("the answer to arrive");
        Assert.Equal("the answer"u8.ToArray(), result.Buffer.Slice(0, 10).ToArray());
    }

    /// <summary>An abort reaches the other side as an error (its "reset"), the first reason is kept, and the closed event fires.</summary>
    [Fact]
    public async Task Abort_is_seen_by_the_other_side_and_keeps_the_first_reason()
    {
        var (near, far) = FullDuplexStream.CreatePipePair();
        var connection = SocketConnection.CreateInMemory(near);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = connection.ConnectionClosed.Register(() => closed.TrySetResult());

        var first = new InvalidDataException("first");
        connection.Abort(first);
        connection.Abort(new InvalidDataException("second"));

        await closed.Task.WithinAsync("the closed event");
        Assert.True(connection.IsClosed);
        Assert.Same(first, connection.CloseReason);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadToEndAsync(far.Input)).WithinAsync("the other side to see the reset");
        Assert.Same(first, error);
        Assert.Empty(await ReadToEndAsync(connection.Input));
        await connection.DisposeAsync().AsTask().WithinAsync("the disposal");
    }

    /// <summary>
    /// A reader that stops reading holds the writer back once both pipes are full, instead of the connection buffering
    /// without limit; an abort then releases the writer with "closed".
    /// </summary>
    [Fact]
    public async Task A_reader_that_stops_reading_holds_the_writer_back()
    {
        var pool = new CountingMemoryPool();
        var options = new ConnectionOptions
        {
            OutputPauseThreshold = 64 * 1024,
            OutputResumeThreshold = 32 * 1024,
            MemoryPool = pool,
        };
        // The transport pipe pauses too (its own threshold): the far side below never reads.
        var pipeOptions = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024);
        var (near, far) = FullDuplexStream.CreatePipePair(pipeOptions);
        var connection = SocketConnection.CreateInMemory(near, options);

        var chunk = new byte[16 * 1024];
        ValueTask<bool> flush = default;
        var written = 0L;
        // 64 KiB per pipe plus what the copy loop holds: 1 MiB is far beyond what can be in flight.
        while (written < 1024 * 1024)
        {
            var writer = await connection.EnterWriteAsync().AsTask().WithinAsync("the writer lock");
            writer.Write(chunk);
            written += chunk.Length;
            flush = connection.ExitWriteAsync();
            if (!flush.IsCompleted)
                break;
            Assert.True(await flush);
        }
        Assert.False(flush.IsCompleted, $"{written} bytes were accepted with nobody reading");

        connection.Abort();
        Assert.False(await flush.AsTask().WithinAsync("the held writer to be released"));
        await connection.DisposeAsync().AsTask().WithinAsync("the disposal");
        await far.Input.CompleteAsync();
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, pool.DoubleReturns);
    }

    private static async Task ProduceAsync(SocketConnection connection, byte producer, int records)
    {
        await Task.Yield();
        for (var i = 0; i < records; i++)
        {
            // Records of varying length, so a torn write would show as a bad length or a bad filler.
            var length = 1 + ((i * 37 + producer * 11) % 300);
            if (!connection.TryEnterWrite(out var writer))
                writer = await connection.EnterWriteAsync();
            var span = writer.GetSpan(7 + length);
            span[0] = producer;
            BinaryPrimitives.WriteInt32LittleEndian(span[1..], i);
            BinaryPrimitives.WriteUInt16LittleEndian(span[5..], (ushort)length);
            span.Slice(7, length).Fill((byte)(producer ^ i));
            writer.Advance(7 + length);
            Assert.True(await connection.ExitWriteAsync(flush: i % 3 == 0 || i == records - 1));
        }
    }

    private static bool TryReadRecord(ref ReadOnlySequence<byte> buffer, out int producer, out int sequence, out bool intact)
    {
        producer = sequence = 0;
        intact = false;
        if (buffer.Length < 7)
            return false;
        Span<byte> head = stackalloc byte[7];
        buffer.Slice(0, 7).CopyTo(head);
        var length = BinaryPrimitives.ReadUInt16LittleEndian(head[5..]);
        if (buffer.Length < 7 + length)
            return false;
        producer = head[0];
        sequence = BinaryPrimitives.ReadInt32LittleEndian(head[1..]);
        var body = buffer.Slice(7, length).ToArray();
        var filler = (byte)(producer ^ sequence);
        intact = producer < 4 && Array.TrueForAll(body, b => b == filler);
        buffer = buffer.Slice(7 + length);
        return true;
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await reader.ReadAsync().AsTask().WithinAsync("the end of the input");
            foreach (var segment in result.Buffer)
                all.Write(segment.Span);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                return all.WrittenSpan.ToArray();
        }
    }
}
