using System.Buffers;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Small reads from a <see cref="ReadOnlySequence{T}"/> that hold even when its first segment is empty.</summary>
internal static class SequenceBytes
{
    public static byte First(in ReadOnlySequence<byte> sequence)
    {
        ReadOnlySpan<byte> first = sequence.FirstSpan;
        if (first.Length > 0)
        {
            return first[0];
        }

        Span<byte> one = stackalloc byte[1];
        sequence.Slice(0, 1).CopyTo(one);
        return one[0];
    }

    public static byte Last(in ReadOnlySequence<byte> sequence)
    {
        Span<byte> one = stackalloc byte[1];
        sequence.Slice(sequence.Length - 1).CopyTo(one);
        return one[0];
    }

    /// <summary>Parses a count or length line's digits; a line too long to be an integer fails without copying it.</summary>
    public static bool TryParseInt64(in ReadOnlySequence<byte> digits, out long value)
    {
        if (digits.Length > RespInteger.MaxLength)
        {
            value = 0;
            return false;
        }

        if (digits.IsSingleSegment)
        {
            return RespInteger.TryParseInt64(digits.FirstSpan, out value);
        }

        Span<byte> copy = stackalloc byte[RespInteger.MaxLength];
        int length = (int)digits.Length;
        digits.CopyTo(copy);
        return RespInteger.TryParseInt64(copy[..length], out value);
    }
}
