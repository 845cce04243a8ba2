using System.Buffers;

namespace FastDht.Protocol.Tests.Infrastructure;

/// <summary>Builds multi-segment sequences, so framing is tested across every segment boundary.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Whole(byte[] bytes) => new(bytes);

    /// <summary>Two segments: [0, offset) and [offset, end); either may be empty.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int offset) =>
        Build(new ReadOnlyMemory<byte>[] { bytes.AsMemory(0, offset), bytes.AsMemory(offset) });

    /// <summary>One byte per segment.</summary>
    public static ReadOnlySequence<byte> BytePerSegment(byte[] bytes)
    {
        var parts = new ReadOnlyMemory<byte>[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            parts[i] = bytes.AsMemory(i, 1);
        }

        return Build(parts);
    }

    public static ReadOnlySequence<byte> Build(ReadOnlyMemory<byte>[] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0], 0);
        Segment last = first;
        for (int i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
