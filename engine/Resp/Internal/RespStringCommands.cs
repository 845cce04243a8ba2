using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The string commands beyond GET/SET/INCR: GETDEL, GETRANGE/SUBSTR, SETRANGE, INCRBYFLOAT, SETBIT/GETBIT,
/// BITCOUNT/BITPOS and LCS, with Redis 7's arguments, edge cases and error words.
/// </summary>
/// <remarks>
/// Same rules as <see cref="RespKeyCommands"/>: every write is one <see cref="KeyWrite"/> (atomic at the owner, refused
/// with -TRYAGAIN while a transaction holds the key); reads take no gate. A value may not grow past the keyspace's
/// <see cref="LocalKeyspace.MaxValueLength"/> (Redis's proto-max-bulk-len: here the frame a value must travel in).
/// </remarks>
internal static class RespStringCommands
{
    /// <summary>A value would grow past the node's largest (SETRANGE, SETBIT, BITFIELD): Redis's proto-max-bulk-len error.</summary>
    internal static ReadOnlySpan<byte> TooLarge => "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"u8;

    /// <summary>A bit offset that is not a number from 0 to 2^32 - 1 (SETBIT, GETBIT, BITFIELD).</summary>
    internal static ReadOnlySpan<byte> BadBitOffset => "-ERR bit offset is not an integer or out of range\r\n"u8;

    private static ReadOnlySpan<byte> NotAFloat => "-ERR value is not a valid float\r\n"u8;

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.GetDel:
                GetDel(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.GetRange:
            case RespCommandKind.Substr:
                GetRange(c, w, keyspace);
                return true;
            case RespCommandKind.SetRange:
                SetRange(c, w, keyspace);
                return true;
            case RespCommandKind.IncrByFloat:
                IncrByFloat(c, w, keyspace);
                return true;
            case RespCommandKind.SetBit:
                SetBit(c, w, keyspace);
                return true;
            case RespCommandKind.GetBit:
                GetBit(c, w, keyspace);
                return true;
            case RespCommandKind.BitCount:
                BitCount(c, w, keyspace);
                return true;
            case RespCommandKind.BitPos:
                BitPos(c, w, keyspace);
                return true;
            case RespCommandKind.Lcs:
                Lcs(c, w, keyspace, respVersion);
                return true;
            default:
                return false;
        }
    }

    private static void GetDel(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!write.TryGet(out var value))
        {
            RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        write.Delete();
        keyspace.Notify(NotifyClass.Generic, "del"u8, c.GetArgument(1));
        RespWriter.WriteBulkString(w, value.Span);
    }

    private static void GetRange(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var start) || !c.TryGetInt64(3, out var end))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        keyspace.TryGet(c.GetArgument(1), out var value);
        var length = value.Length;
        if ((start < 0 && end < 0 && start > end) || length == 0)
        {
            RespWriter.WriteRaw(w, RespReplies.EmptyBulk);
            return;
        }
        if (!ClampRange(ref start, ref end, length))
        {
            RespWriter.WriteRaw(w, RespReplies.EmptyBulk);
            return;
        }
        RespWriter.WriteBulkString(w, value.Span.Slice((int)start, (int)(end - start + 1)));
    }

    /// <summary>Redis's range rule: negative indexes count from the end, both ends are clamped; false when empty.</summary>
    private static bool ClampRange(ref long start, ref long end, long length)
    {
        if (start < 0)
            start += length;
        if (end < 0)
            end += length;
        if (start < 0)
            start = 0;
        if (end < 0)
            end = 0;
        if (end >= length)
            end = length - 1;
        return start <= end;
    }

    private static void SetRange(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var offset))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (offset < 0)
        {
            RespWriter.WriteError(w, "offset is out of range"u8);
            return;
        }
        var patch = c.GetArgument(3);
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        var present = write.TryGet(out var current);
        if (patch.IsEmpty)
        {
            // Nothing to write: an absent key is not created, a present one keeps its length.
            RespWriter.WriteInteger(w, present ? current.Length : 0);
            return;
        }
        // Compared without adding: offset may be as large as 2^63 - 1, and offset + length would wrap negative.
        if (offset > keyspace.MaxValueLength - patch.Length)
        {
            RespWriter.WriteRaw(w, TooLarge);
            return;
        }
        var length = (int)Math.Max(current.Length, offset + patch.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var next = buffer.AsSpan(0, length);
            next.Clear();
            current.Span.CopyTo(next);
            patch.CopyTo(next[(int)offset..]);
            write.PutChangeKeepingExpiry(next);
            keyspace.Notify(NotifyClass.String, "setrange"u8, c.GetArgument(1));
            RespWriter.WriteInteger(w, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void IncrByFloat(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!TryParseFloat(c.GetArgument(2), out var increment))
        {
            RespWriter.WriteRaw(w, NotAFloat);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        double current = 0;
        if (write.TryGet(out var existing) && !TryParseFloat(existing.Span, out current))
        {
            RespWriter.WriteRaw(w, NotAFloat);
            return;
        }
        var next = current + increment;
        if (double.IsNaN(next) || double.IsInfinity(next))
        {
            RespWriter.WriteError(w, "increment would produce NaN or Infinity"u8);
            return;
        }
        var text = Encoding.ASCII.GetBytes(FormatFloat(next));
        write.PutKeepingExpiry(text);
        keyspace.Notify(NotifyClass.String, "incrbyfloat"u8, c.GetArgument(1));
        RespWriter.WriteBulkString(w, text);
    }

    /// <summary>
    /// Redis's string-to-number rule for floats: the whole argument, no spaces, no trailing bytes; "inf" is a number
    /// (so that the increment check can refuse the result), "nan" is not.
    /// </summary>
    internal static bool TryParseFloat(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 5000)
            return false;
        foreach (var b in text)
        {
            if (b <= ' ' || b >= 0x7F)
                return false;
        }
        var unsigned = text[0] is (byte)'+' or (byte)'-' ? text[1..] : text;
        if (Ascii.EqualsIgnoreCase(unsigned, "inf"u8) || Ascii.EqualsIgnoreCase(unsigned, "infinity"u8))
        {
            value = text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (!double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
            return false;
        return !double.IsNaN(value);
    }

    /// <summary>
    /// Redis prints INCRBYFLOAT results in plain decimal with at most 17 decimals and no trailing zeros (never an
    /// exponent, never "-0"); the shortest round-trip form gives that for every value that needs no exponent.
    /// </summary>
    internal static string FormatFloat(double value)
    {
        if (value == 0)
            return "0";
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        if (shortest.IndexOf('E') < 0)
            return shortest;
        var fixedText = value.ToString("F17", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.');
        return fixedText is "" or "-" or "-0" ? "0" : fixedText;
    }

    /// <summary>SETBIT/GETBIT offsets: 0 to 2^32 - 1 bits (Redis's limit), else Redis's error.</summary>
    private static bool TryGetBitOffset(RespCommand c, int index, out long offset) =>
        c.TryGetInt64(index, out offset) && offset >= 0 && offset < (1L << 32);

    private static void SetBit(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!TryGetBitOffset(c, 2, out var offset))
        {
            RespWriter.WriteRaw(w, BadBitOffset);
            return;
        }
        var bitText = c.GetArgument(3);
        if (bitText.Length != 1 || (bitText[0] != '0' && bitText[0] != '1'))
        {
            RespWriter.WriteError(w, "bit is not an integer or out of range"u8);
            return;
        }
        var byteIndex = offset >> 3;
        if (byteIndex + 1 > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, TooLarge);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        var present = write.TryGet(out var current);
        var length = (int)Math.Max(current.Length, byteIndex + 1);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var next = buffer.AsSpan(0, length);
            next.Clear();
            current.Span.CopyTo(next);
            var mask = (byte)(1 << (7 - (int)(offset & 7)));
            var old = (next[(int)byteIndex] & mask) != 0;
            if (bitText[0] == '1')
                next[(int)byteIndex] |= mask;
            else
                next[(int)byteIndex] &= (byte)~mask;
            write.PutChangeKeepingExpiry(next);
            // Redis's event only when the key was created or grown, or the bit changed.
            if (!present || length > current.Length || old != (bitText[0] == '1'))
                keyspace.Notify(NotifyClass.String, "setbit"u8, c.GetArgument(1));
            RespWriter.WriteRaw(w, old ? RespReplies.One : RespReplies.Zero);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void GetBit(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!TryGetBitOffset(c, 2, out var offset))
        {
            RespWriter.WriteRaw(w, BadBitOffset);
            return;
        }
        keyspace.TryGet(c.GetArgument(1), out var value);
        var byteIndex = offset >> 3;
        var set = byteIndex < value.Length && (value.Span[(int)byteIndex] & (1 << (7 - (int)(offset & 7)))) != 0;
        RespWriter.WriteRaw(w, set ? RespReplies.One : RespReplies.Zero);
    }

    /// <summary>Parses BITCOUNT/BITPOS's optional BYTE|BIT unit; false (syntax error) for anything else.</summary>
    private static bool TryGetUnit(RespCommand c, int index, out bool bits)
    {
        bits = false;
        if (index >= c.Count)
            return true;
        var unit = c.GetArgument(index);
        if (Ascii.EqualsIgnoreCase(unit, "BYTE"u8))
            return true;
        bits = Ascii.EqualsIgnoreCase(unit, "BIT"u8);
        return bits;
    }

    private static void BitCount(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        long start = 0, end = -1;
        var bits = false;
        if (c.Count is 4 or 5)
        {
            if (!c.TryGetInt64(2, out start) || !c.TryGetInt64(3, out end))
            {
                RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                return;
            }
            if (!TryGetUnit(c, 4, out bits))
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        else if (c.Count != 2)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (!keyspace.TryGet(c.GetArgument(1), out var value) || (c.Count > 2 && start < 0 && end < 0 && start > end))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        var span = value.Span;
        var total = bits ? span.Length * 8L : span.Length;
        if (!ClampRange(ref start, ref end, total))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        long count = 0;
        if (!bits)
        {
            count = PopCount(span.Slice((int)start, (int)(end - start + 1)));
        }
        else
        {
            for (var bit = start; bit <= end; bit++)
            {
                if ((span[(int)(bit >> 3)] & (1 << (7 - (int)(bit & 7)))) != 0)
                    count++;
            }
        }
        RespWriter.WriteInteger(w, count);
    }

    private static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        while (bytes.Length >= 8)
        {
            count += BitOperations.PopCount(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            bytes = bytes[8..];
        }
        foreach (var b in bytes)
            count += BitOperations.PopCount(b);
        return count;
    }

    private static void BitPos(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var bitText = c.GetArgument(2);
        if (!c.TryGetInt64(2, out var wanted))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (wanted is not (0 or 1) || bitText.Length != 1)
        {
            RespWriter.WriteError(w, "The bit argument must be 1 or 0."u8);
            return;
        }
        long start = 0, end = -1;
        var endGiven = false;
        var bits = false;
        if (c.Count is >= 4 and <= 6)
        {
            if (!c.TryGetInt64(3, out start) || (c.Count >= 5 && !c.TryGetInt64(4, out end)))
            {
                RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                return;
            }
            endGiven = c.Count >= 5;
            if (!TryGetUnit(c, 5, out bits))
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        else if (c.Count != 3)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (!keyspace.TryGet(c.GetArgument(1), out var value))
        {
            // An absent key is an empty string: no set bit anywhere, and the first clear bit is bit 0.
            RespWriter.WriteInteger(w, wanted == 1 ? -1 : 0);
            return;
        }
        var span = value.Span;
        var total = bits ? span.Length * 8L : span.Length;
        if (!ClampRange(ref start, ref end, total))
        {
            RespWriter.WriteInteger(w, -1);
            return;
        }
        var firstBit = bits ? start : start * 8;
        var lastBit = bits ? end : (end * 8) + 7;
        for (var bit = firstBit; bit <= lastBit; bit++)
        {
            var isSet = (span[(int)(bit >> 3)] & (1 << (7 - (int)(bit & 7)))) != 0;
            if (isSet == (wanted == 1))
            {
                RespWriter.WriteInteger(w, bit);
                return;
            }
        }
        // Looking for a clear bit past a run of ones with no end given: Redis answers the first bit after the range,
        // as if the string went on with zeros.
        RespWriter.WriteInteger(w, wanted == 0 && !endGiven ? lastBit + 1 : -1);
    }

    private static void Lcs(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        bool getLength = false, getIndexes = false, withMatchLength = false;
        long minMatchLength = 0;
        for (var i = 3; i < c.Count; i++)
        {
            var option = c.GetArgument(i);
            if (Ascii.EqualsIgnoreCase(option, "LEN"u8))
            {
                getLength = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "IDX"u8))
            {
                getIndexes = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "WITHMATCHLEN"u8))
            {
                withMatchLength = true;
            }
            else if (Ascii.EqualsIgnoreCase(option, "MINMATCHLEN"u8) && i + 1 < c.Count)
            {
                if (!c.TryGetInt64(++i, out minMatchLength))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (minMatchLength < 0)
                    minMatchLength = 0;
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        if (getLength && getIndexes)
        {
            RespWriter.WriteError(w, "If you want both the length and indexes, please just use IDX."u8);
            return;
        }
        keyspace.TryGet(c.GetArgument(1), out var first);
        keyspace.TryGet(c.GetArgument(2), out var second);
        var a = first.Span;
        var b = second.Span;
        // The classic dynamic program over (|a|+1) x (|b|+1) cells of 4 bytes. 16 Mi cells (64 MiB) bounds what one
        // request can make the node allocate (two 4 KB strings need 16 M cells): a client must not be able to
        // balloon the node with two large values, where Redis would try to allocate gigabytes.
        var cells = (long)(a.Length + 1) * (b.Length + 1);
        if (cells > 16L * 1024 * 1024)
        {
            RespWriter.WriteError(w, "LCS of strings this long would need more than 64 MiB of working memory: compare shorter strings"u8);
            return;
        }
        var table = new int[cells];
        var stride = b.Length + 1;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                table[(i * stride) + j] = a[i - 1] == b[j - 1]
                    ? table[((i - 1) * stride) + j - 1] + 1
                    : Math.Max(table[((i - 1) * stride) + j], table[(i * stride) + j - 1]);
            }
        }
        var length = table[(a.Length * stride) + b.Length];
        if (getLength)
        {
            RespWriter.WriteInteger(w, length);
            return;
        }

        // Walk back from the end as Redis does: the common string is filled from its end, and each maximal run of
        // matching bytes is one range (emitted when the run breaks or reaches the start of either string).
        var common = new byte[length];
        var at = length;
        var matches = new List<(long AStart, long AEnd, long BStart, long BEnd)>();
        long unset = a.Length, aStart = unset, aEnd = 0, bStart = 0, bEnd = 0;
        int x = a.Length, y = b.Length;
        while (x > 0 && y > 0)
        {
            var emit = false;
            if (a[x - 1] == b[y - 1])
            {
                common[--at] = a[x - 1];
                if (aStart == unset)
                {
                    aStart = aEnd = x - 1;
                    bStart = bEnd = y - 1;
                }
                else if (aStart == x && bStart == y)
                {
                    aStart--;
                    bStart--;
                }
                else
                {
                    emit = true;
                }
                if (aStart == 0 || bStart == 0)
                    emit = true;
                x--;
                y--;
            }
            else
            {
                if (table[((x - 1) * stride) + y] > table[(x * stride) + y - 1])
                    x--;
                else
                    y--;
                if (aStart != unset)
                    emit = true;
            }
            if (emit)
            {
                if (aEnd - aStart + 1 >= minMatchLength)
                    matches.Add((aStart, aEnd, bStart, bEnd));
                aStart = unset;
            }
        }

        if (!getIndexes)
        {
            RespWriter.WriteBulkString(w, common);
            return;
        }
        if (respVersion == 3)
            RespWriter.WriteRaw(w, "%2\r\n"u8);
        else
            RespWriter.WriteArrayHeader(w, 4);
        RespWriter.WriteBulkString(w, "matches"u8);
        RespWriter.WriteArrayHeader(w, matches.Count);
        foreach (var m in matches)
        {
            RespWriter.WriteArrayHeader(w, withMatchLength ? 3 : 2);
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteInteger(w, m.AStart);
            RespWriter.WriteInteger(w, m.AEnd);
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteInteger(w, m.BStart);
            RespWriter.WriteInteger(w, m.BEnd);
            if (withMatchLength)
                RespWriter.WriteInteger(w, m.AEnd - m.AStart + 1);
        }
        RespWriter.WriteBulkString(w, "len"u8);
        RespWriter.WriteInteger(w, length);
    }
}
