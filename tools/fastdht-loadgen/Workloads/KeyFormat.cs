using System.Buffers.Text;

namespace FastDht.LoadGen.Workloads;

/// <summary>Turns a key index into the key bytes sent on the wire: "key:" and 12 decimal digits, 16 bytes in all.</summary>
/// <remarks>The same shape redis-benchmark uses with -r, so FastDht and Redis are measured on the same keys.</remarks>
public static class KeyFormat
{
    public const int Length = 16;

    private const int Digits = 12;

    public static void Write(long index, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 999_999_999_999L);
        "key:"u8.CopyTo(destination);
        var digits = destination.Slice(4, Digits);
        digits.Fill((byte)'0');
        Span<byte> tmp = stackalloc byte[20];
        Utf8Formatter.TryFormat(index, tmp, out var written);
        tmp[..written].CopyTo(digits[(Digits - written)..]);
    }

    public static byte[] ToArray(long index)
    {
        var key = new byte[Length];
        Write(index, key);
        return key;
    }
}
