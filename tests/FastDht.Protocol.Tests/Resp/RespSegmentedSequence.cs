using System.Buffers;

namespace FastDht.Protocol.Tests.Resp;

/// <summary>Builds multi-segment sequences for framing tests, like StackExchange.Redis's FragmentedSegment.</summary>
internal sealed class RespSegmentedSequence : ReadOnlySequenceSegment<byte>
{
    private RespSegmentedSequence(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>One sequence over <paramref name="data"/>, cut at the given offsets (which may repeat: empty segments).</summary>
    public static ReadOnlySequence<byte> Create(byte[] data, params int[] cuts)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        int start = 0;
        foreach (int cut in cuts)
        {
            pieces.Add(data.AsMemory(start, cut - start));
            start = cut;
        }

        pieces.Add(data.AsMemory(start));
        return FromPieces(pieces);
    }

    /// <summary>One byte per segment.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data)
    {
        var cuts = new int[Math.Max(0, data.Length - 1)];
        for (int i = 0; i < cuts.Length; i++)
        {
            cuts[i] = i + 1;
        }

        return Create(data, cuts);
    }

    public static ReadOnlySequence<byte> FromPieces(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        // Each piece is copied into its own array, so reading past a segment's end cannot land in the next by luck.
        var first = new RespSegmentedSequence(pieces[0].ToArray(), 0);
        RespSegmentedSequence last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            var next = new RespSegmentedSequence(pieces[i].ToArray(), last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
