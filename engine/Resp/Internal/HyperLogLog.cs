using System.Buffers.Binary;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Redis's HyperLogLog, byte for byte: the 16-byte <c>HYLL</c> header, the sparse and dense encodings, MurmurHash64A
/// and Ertl's estimator, written from Redis 7.0.15's src/hyperloglog.c so that a value copied between Redis and
/// FastDht (GET/SET, DUMP/RESTORE) keeps working and counts the same.
/// </summary>
/// <remarks>
/// <para>Layout (hyperloglog.c): "HYLL", the encoding (0 dense, 1 sparse), 3 zero bytes, the cached cardinality as 8
/// little-endian bytes whose top bit marks it stale; then the registers. 16384 registers (P = 14) of 6 bits: dense is
/// 12288 bytes of packed registers, least significant bits first; sparse is a run-length code of ZERO (00xxxxxx: 1-64
/// zero registers), XZERO (01xxxxxx yyyyyyyy: 1-16384 zero registers) and VAL (1vvvvvxx: 1-4 registers of value 1-32).
/// A sparse value that would grow past <see cref="SparseMaxBytes"/> or hold a register over 32 turns dense.</para>
/// <para>Every change works in a caller's buffer of at least <see cref="WorkLength"/> bytes: a sparse change grows
/// the value by at most 3 bytes, and a promotion makes it exactly <see cref="DenseSize"/>. Nothing here allocates.</para>
/// </remarks>
internal static class HyperLogLog
{
    private const int P = 14;
    private const int Q = 64 - P;
    /// <summary>16384 registers: Redis's HLL_REGISTERS (2^P).</summary>
    public const int Registers = 1 << P;
    private const int RegisterMax = 63;
    /// <summary>The header: magic, encoding, 3 reserved bytes, 8 bytes of cached cardinality.</summary>
    public const int HeaderSize = 16;
    /// <summary>A dense value: the header and 16384 six-bit registers (12288 bytes).</summary>
    public const int DenseSize = HeaderSize + ((Registers * 6) + 7) / 8;
    private const byte Dense = 0;
    private const byte Sparse = 1;
    // Redis's hll-sparse-max-bytes default: past it a sparse value turns dense (FastDht has no setting for it).
    public const int SparseMaxBytes = 3000;
    private const int SparseValMaxValue = 32;
    private const int SparseValMaxLen = 4;
    private const int SparseZeroMaxLen = 64;
    private const int SparseXZeroMaxLen = 16384;
    private const double AlphaInf = 0.721347520444481703680; // 0.5 / ln(2)

    /// <summary>The buffer a change of a value of <paramref name="length"/> bytes needs: room for a promotion, and for a sparse split (3 bytes) written even over a truncated last opcode.</summary>
    public static int WorkLength(int length) => Math.Max(DenseSize, length + 8);

    /// <summary>Redis's isHLLObjectOrReply test of the bytes: the magic, a known encoding, and a dense value's exact length.</summary>
    public static bool IsValid(ReadOnlySpan<byte> value) =>
        value.Length >= HeaderSize && value[0] == 'H' && value[1] == 'Y' && value[2] == 'L' && value[3] == 'L' && value[4] <= Sparse
        && (value[4] != Dense || value.Length == DenseSize);

    /// <summary>Whether the value is dense (checked valid first).</summary>
    public static bool IsDense(ReadOnlySpan<byte> value) => value[4] == Dense;

    /// <summary>Writes an empty sparse value (createHLLObject: the header and one XZERO of every register); returns its length.</summary>
    public static int CreateEmpty(Span<byte> into)
    {
        into[..HeaderSize].Clear();
        "HYLL"u8.CopyTo(into);
        into[4] = Sparse;
        var p = HeaderSize;
        for (var left = Registers; left > 0;)
        {
            var run = Math.Min(left, SparseXZeroMaxLen);
            SetXZero(into, p, run);
            p += 2;
            left -= run;
        }
        return p;
    }

    /// <summary>Marks the cached cardinality stale (the top bit of its last byte).</summary>
    public static void InvalidateCache(Span<byte> value) => value[15] |= 0x80;

    /// <summary>The cached cardinality, when the value holds a valid one.</summary>
    public static bool TryGetCache(ReadOnlySpan<byte> value, out long card)
    {
        card = (long)BinaryPrimitives.ReadUInt64LittleEndian(value.Slice(8, 8));
        return (value[15] & 0x80) == 0;
    }

    /// <summary>Stores a freshly computed cardinality as the valid cache.</summary>
    public static void SetCache(Span<byte> value, long card) => BinaryPrimitives.WriteUInt64LittleEndian(value.Slice(8, 8), (ulong)card);

    /// <summary>MurmurHash2, 64-bit (MurmurHash64A), as Redis made it endian-neutral: 8-byte blocks read little-endian.</summary>
    public static ulong MurmurHash64A(ReadOnlySpan<byte> key, uint seed)
    {
        const ulong m = 0xc6a4a7935bd1e995;
        const int r = 47;
        var h = seed ^ ((ulong)key.Length * m);
        var blocks = key.Length - (key.Length & 7);
        for (var i = 0; i < blocks; i += 8)
        {
            var k = BinaryPrimitives.ReadUInt64LittleEndian(key.Slice(i, 8));
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        var tail = key[blocks..];
        if (tail.Length > 0)
        {
            for (var i = tail.Length - 1; i >= 0; i--)
                h ^= (ulong)tail[i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }

    /// <summary>hllPatLen: the register an element hashes to, and the length of its 000..1 pattern (1 to Q + 1).</summary>
    public static int PatternLength(ReadOnlySpan<byte> element, out int index)
    {
        var hash = MurmurHash64A(element, 0xadc83b19);
        index = (int)(hash & (Registers - 1));
        hash >>= P;
        hash |= 1UL << Q; // so the count stops at Q + 1
        var count = 1;
        for (var bit = 1UL; (hash & bit) == 0; bit <<= 1)
            count++;
        return count;
    }

    /// <summary>
    /// hllAdd: the element into the value in <paramref name="buffer"/> (its first <paramref name="length"/> bytes, a
    /// valid header; the buffer at least <see cref="WorkLength"/> long). 1 when a register grew, 0 when none did, -1
    /// when a sparse value is corrupt. The cache is left as it was: the caller marks it stale once for all elements.
    /// </summary>
    public static int Add(Span<byte> buffer, ref int length, ReadOnlySpan<byte> element)
    {
        var count = PatternLength(element, out var index);
        return buffer[4] == Dense ? DenseSet(buffer[HeaderSize..DenseSize], index, count) : SparseSet(buffer, ref length, index, count);
    }

    /// <summary>Sets register <paramref name="index"/> to <paramref name="count"/> when that is larger, in either encoding (PFMERGE's destination).</summary>
    public static int Set(Span<byte> buffer, ref int length, int index, int count) =>
        buffer[4] == Dense ? DenseSet(buffer[HeaderSize..DenseSize], index, count) : SparseSet(buffer, ref length, index, count);

    private static int GetRegister(ReadOnlySpan<byte> registers, int index)
    {
        var bit = index * 6;
        var b = bit >> 3;
        var fb = bit & 7;
        // The last register's second byte is past the array (Redis reads its string's terminating zero).
        var b1 = b + 1 < registers.Length ? registers[b + 1] : 0;
        return ((registers[b] >> fb) | (b1 << (8 - fb))) & RegisterMax;
    }

    private static void SetRegister(Span<byte> registers, int index, int value)
    {
        var bit = index * 6;
        var b = bit >> 3;
        var fb = bit & 7;
        registers[b] = (byte)((registers[b] & ~(RegisterMax << fb)) | (value << fb));
        if (b + 1 < registers.Length)
            registers[b + 1] = (byte)((registers[b + 1] & ~(RegisterMax >> (8 - fb))) | (value >> (8 - fb)));
    }

    private static int DenseSet(Span<byte> registers, int index, int count)
    {
        if (count <= GetRegister(registers, index))
            return 0;
        SetRegister(registers, index, count);
        return 1;
    }

    private static bool IsZero(byte op) => (op & 0xc0) == 0;

    private static bool IsXZero(byte op) => (op & 0xc0) == 0x40;

    private static bool IsVal(byte op) => (op & 0x80) != 0;

    private static int ZeroLength(byte op) => (op & 0x3f) + 1;

    private static int XZeroLength(ReadOnlySpan<byte> s, int p) => (((s[p] & 0x3f) << 8) | (p + 1 < s.Length ? s[p + 1] : 0)) + 1;

    private static int ValValue(byte op) => ((op >> 2) & 0x1f) + 1;

    private static int ValLength(byte op) => (op & 0x3) + 1;

    private static byte Val(int value, int length) => (byte)(((value - 1) << 2) | (length - 1) | 0x80);

    private static void SetXZero(Span<byte> s, int p, int length)
    {
        s[p] = (byte)(((length - 1) >> 8) | 0x40);
        s[p + 1] = (byte)((length - 1) & 0xff);
    }

    /// <summary>hllSparseToDense in place: false (the buffer unchanged) when the sparse code does not cover exactly 16384 registers.</summary>
    public static bool SparseToDense(Span<byte> buffer, ref int length)
    {
        if (buffer[4] == Dense)
            return true;
        Span<byte> registers = stackalloc byte[DenseSize - HeaderSize];
        registers.Clear();
        var sparse = buffer[..length];
        var index = 0;
        var p = HeaderSize;
        while (p < sparse.Length)
        {
            var op = sparse[p];
            if (IsZero(op))
            {
                index += ZeroLength(op);
                p++;
            }
            else if (IsXZero(op))
            {
                index += XZeroLength(sparse, p);
                p += 2;
            }
            else
            {
                var run = ValLength(op);
                var value = ValValue(op);
                if (run + index > Registers)
                    break;
                for (; run > 0; run--)
                    SetRegister(registers, index++, value);
                p++;
            }
        }
        if (index != Registers)
            return false;
        buffer[4] = Dense; // magic and cached cardinality stay, as Redis copies the header
        registers.CopyTo(buffer[HeaderSize..]);
        length = DenseSize;
        return true;
    }

    /// <summary>hllSparseSet: the register to <paramref name="count"/> when larger, splitting and merging opcodes as Redis does; -1 when corrupt.</summary>
    private static int SparseSet(Span<byte> s, ref int length, int index, int count)
    {
        if (count > SparseValMaxValue)
            return Promote(s, ref length, index, count);
        var end = length;
        var p = HeaderSize;
        var first = 0;
        var prev = -1;
        var span = 0;
        while (p < end)
        {
            var oplen = 1;
            var op = s[p];
            if (IsZero(op))
            {
                span = ZeroLength(op);
            }
            else if (IsVal(op))
            {
                span = ValLength(op);
            }
            else
            {
                span = XZeroLength(s[..end], p);
                oplen = 2;
            }
            if (index <= first + span - 1)
                break;
            prev = p;
            p += oplen;
            first += span;
        }
        if (span == 0 || p >= end)
            return -1;
        var next = IsXZero(s[p]) ? p + 2 : p + 1;
        if (next >= end)
            next = -1;
        var current = s[p];
        var isZero = IsZero(current);
        var isXZero = IsXZero(current);
        var isVal = IsVal(current);
        var runLength = isZero ? ZeroLength(current) : isXZero ? XZeroLength(s[..end], p) : ValLength(current);

        if (isVal)
        {
            if (ValValue(current) >= count)
                return 0; // case A: already as large
            if (runLength == 1)
            {
                s[p] = Val(count, 1); // case B
                return Updated(s, ref length, prev, end);
            }
        }
        if (isZero && runLength == 1)
        {
            s[p] = Val(count, 1); // case C
            return Updated(s, ref length, prev, end);
        }

        // Case D: split the opcode into up to three (worst: XZERO, VAL, XZERO: 5 bytes).
        Span<byte> seq = stackalloc byte[5];
        var n = 0;
        var last = first + span - 1;
        if (isZero || isXZero)
        {
            if (index != first)
                n += WriteZeros(seq, n, index - first);
            seq[n++] = Val(count, 1);
            if (index != last)
                n += WriteZeros(seq, n, last - index);
        }
        else
        {
            var value = ValValue(current);
            if (index != first)
                seq[n++] = Val(value, index - first);
            seq[n++] = Val(count, 1);
            if (index != last)
                seq[n++] = Val(value, last - index);
        }
        var oldLength = isXZero ? 2 : 1;
        var delta = n - oldLength;
        if (delta > 0 && length + delta > SparseMaxBytes)
            return Promote(s, ref length, index, count);
        if (delta != 0 && next >= 0)
            s[next..end].CopyTo(s[(next + delta)..]);
        length += delta;
        seq[..n].CopyTo(s[p..]);
        end += delta;
        return Updated(s, ref length, prev, end);
    }

    private static int WriteZeros(Span<byte> seq, int n, int run)
    {
        if (run > SparseZeroMaxLen)
        {
            SetXZero(seq, n, run);
            return 2;
        }
        seq[n] = (byte)(run - 1);
        return 1;
    }

    /// <summary>Step 4 of hllSparseSet: merges adjacent equal VAL opcodes over up to 5 opcodes from the one before the change; marks the cache stale.</summary>
    private static int Updated(Span<byte> s, ref int length, int prev, int end)
    {
        var p = prev >= 0 ? prev : HeaderSize;
        var scan = 5;
        while (p < end && scan-- > 0)
        {
            if (IsXZero(s[p]))
            {
                p += 2;
                continue;
            }
            if (IsZero(s[p]))
            {
                p++;
                continue;
            }
            if (p + 1 < end && IsVal(s[p + 1]))
            {
                var v1 = ValValue(s[p]);
                var v2 = ValValue(s[p + 1]);
                if (v1 == v2)
                {
                    var run = ValLength(s[p]) + ValLength(s[p + 1]);
                    if (run <= SparseValMaxLen)
                    {
                        s[p + 1] = Val(v1, run);
                        s[(p + 1)..end].CopyTo(s[p..]);
                        length--;
                        end--;
                        continue;
                    }
                }
            }
            p++;
        }
        InvalidateCache(s);
        return 1;
    }

    private static int Promote(Span<byte> s, ref int length, int index, int count)
    {
        if (!SparseToDense(s, ref length))
            return -1;
        // A promotion happens only for a register that must grow, so the dense set changes it (Redis asserts so).
        return DenseSet(s[HeaderSize..DenseSize], index, count);
    }

    /// <summary>hllMerge: raises each of <paramref name="max"/>'s 16384 byte registers to the value's; false when a sparse value is corrupt.</summary>
    public static bool Merge(Span<byte> max, ReadOnlySpan<byte> value)
    {
        if (value[4] == Dense)
        {
            var registers = value[HeaderSize..];
            for (var i = 0; i < Registers; i++)
            {
                var r = (byte)GetRegister(registers, i);
                if (r > max[i])
                    max[i] = r;
            }
            return true;
        }
        var index = 0;
        var p = HeaderSize;
        while (p < value.Length)
        {
            var op = value[p];
            if (IsZero(op))
            {
                index += ZeroLength(op);
                p++;
            }
            else if (IsXZero(op))
            {
                index += XZeroLength(value, p);
                p += 2;
            }
            else
            {
                var run = ValLength(op);
                var v = (byte)ValValue(op);
                if (run + index > Registers)
                    break;
                for (; run > 0; run--, index++)
                {
                    if (v > max[index])
                        max[index] = v;
                }
                p++;
            }
        }
        return index == Registers;
    }

    /// <summary>hllCount of a valid value: the estimate from its registers (the cache is not read); invalid when a sparse code is corrupt.</summary>
    public static long Count(ReadOnlySpan<byte> value, out bool invalid)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        invalid = false;
        if (value[4] == Dense)
        {
            var registers = value[HeaderSize..];
            for (var i = 0; i < Registers; i++)
                histogram[GetRegister(registers, i)]++;
        }
        else
        {
            var index = 0;
            var p = HeaderSize;
            while (p < value.Length)
            {
                var op = value[p];
                if (IsZero(op))
                {
                    var run = ZeroLength(op);
                    index += run;
                    histogram[0] += run;
                    p++;
                }
                else if (IsXZero(op))
                {
                    var run = XZeroLength(value, p);
                    index += run;
                    histogram[0] += run;
                    p += 2;
                }
                else
                {
                    var run = ValLength(op);
                    index += run;
                    histogram[ValValue(op)] += run;
                    p++;
                }
            }
            invalid = index != Registers;
        }
        return Estimate(histogram);
    }

    /// <summary>hllCount of 16384 byte registers (PFCOUNT of several keys, after <see cref="Merge"/>).</summary>
    public static long CountRegisters(ReadOnlySpan<byte> max)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        foreach (var r in max)
            histogram[r]++;
        return Estimate(histogram);
    }

    /// <summary>Ertl's estimator ("New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284), in Redis's order of operations.</summary>
    private static long Estimate(ReadOnlySpan<int> histogram)
    {
        const double m = Registers;
        var z = m * Tau((m - histogram[Q + 1]) / m);
        for (var j = Q; j >= 1; --j)
        {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        return (long)Math.Round(AlphaInf * m * m / z, MidpointRounding.AwayFromZero); // llroundl
    }

    private static double Sigma(double x)
    {
        if (x == 1.0)
            return double.PositiveInfinity;
        double zPrime;
        var y = 1.0;
        var z = x;
        do
        {
            x *= x;
            zPrime = z;
            z += x * y;
            y += y;
        }
        while (zPrime != z);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0)
            return 0.0;
        double zPrime;
        var y = 1.0;
        var z = 1 - x;
        do
        {
            x = Math.Sqrt(x);
            zPrime = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (zPrime != z);
        return z / 3;
    }
}
