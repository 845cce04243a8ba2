using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// DUMP's payload: a value in Redis's RDB object format, then the RDB version (2 bytes) and Redis's CRC-64 (8 bytes),
/// so a payload moves between FastDht and redis-server 7.0 either way.
/// </summary>
/// <remarks>
/// <para>Written: the plain RDB types every Redis since 2.x loads (string; list, set, hash as counted strings; sorted
/// set as strings and binary doubles), version 10 (Redis 7.0).</para>
/// <para>Read: those, plus what Redis 7.0's own DUMP writes: integer and LZF-compressed strings, the version-1 sorted
/// set (scores as text), sets of integers (intset), hashes and sorted sets as a listpack, lists as a quicklist of
/// listpacks. Not read: the ziplist and zipmap encodings of Redis 6 and older, Redis 7.2's listpack sets (version 11,
/// refused by the version check), streams and modules: "Bad data format". Every length is checked against the payload
/// and the node's largest value, so a hostile payload is refused, never trusted.</para>
/// </remarks>
internal static class RdbCodec
{
    /// <summary>Redis 7.0's RDB version: payloads of a later version are refused, as Redis refuses them.</summary>
    public const int Version = 10;

    private const byte TypeString = 0, TypeList = 1, TypeSet = 2, TypeZSet = 3, TypeHash = 4, TypeZSet2 = 5, TypeSetIntset = 11,
        TypeHashListpack = 16, TypeZSetListpack = 17, TypeListQuicklist2 = 18;

    /// <summary>The DUMP payload of a value of <paramref name="type"/>.</summary>
    public static byte[] Dump(ReadOnlyMemory<byte> value, EntryType type)
    {
        var w = new ArrayBufferWriter<byte>(value.Length + 32);
        switch (type)
        {
            case EntryType.List:
            case EntryType.Set:
            case EntryType.Hash:
            {
                var elements = RespCollections.Elements(value);
                w.Write([type switch { EntryType.List => TypeList, EntryType.Set => TypeSet, _ => TypeHash }]);
                WriteLength(w, type == EntryType.Hash ? elements.Count / 2 : elements.Count);
                foreach (var e in elements)
                    WriteString(w, e.Span);
                break;
            }
            case EntryType.SortedSet:
            {
                var members = new List<ScoredMember>(CollectionCodec.Count(value.Span));
                CollectionCodec.DecodeScored(value, members);
                w.Write([TypeZSet2]);
                WriteLength(w, members.Count);
                foreach (var m in members)
                {
                    WriteString(w, m.Member.Span);
                    BinaryPrimitives.WriteDoubleLittleEndian(w.GetSpan(8), m.Score);
                    w.Advance(8);
                }
                break;
            }
            default:
                w.Write([TypeString]);
                WriteString(w, value.Span);
                break;
        }
        w.Write([(byte)(Version & 0xff), (byte)(Version >> 8)]);
        BinaryPrimitives.WriteUInt64LittleEndian(w.GetSpan(8), RdbCrc64.Compute(w.WrittenSpan));
        w.Advance(8);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Whether the payload's version is one this node reads and its checksum matches (Redis's verifyDumpPayload).</summary>
    public static bool IsIntact(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10)
            return false;
        var version = payload[^10] | (payload[^9] << 8);
        return version <= Version && BinaryPrimitives.ReadUInt64LittleEndian(payload[^8..]) == RdbCrc64.Compute(payload[..^8]);
    }

    /// <summary>
    /// Reads an intact payload's value: its type, and its elements (a string: one; a hash: field, value...; a sorted set:
    /// in <paramref name="members"/>, unsorted). False for anything malformed, empty, duplicated or too large.
    /// </summary>
    public static bool TryLoad(ReadOnlyMemory<byte> payload, long maxValueLength, out EntryType type, out List<ReadOnlyMemory<byte>> elements, out List<ScoredMember> members)
    {
        type = EntryType.String;
        elements = [];
        members = [];
        var reader = new Reader(payload[..^10], maxValueLength);
        if (!reader.TryByte(out var rdbType))
            return false;
        var ok = rdbType switch
        {
            TypeString => reader.TryString(out var s) && Add(elements, s),
            TypeList or TypeSet => reader.TryStrings(elements, 1),
            TypeHash => reader.TryStrings(elements, 2),
            TypeZSet or TypeZSet2 => reader.TryScored(members, rdbType == TypeZSet2),
            TypeSetIntset => reader.TryString(out var blob) && TryIntset(blob, elements),
            TypeHashListpack => reader.TryString(out var blob) && TryListpack(blob, elements) && elements.Count % 2 == 0,
            TypeZSetListpack => reader.TryString(out var blob) && TryListpack(blob, elements) && TryPairsToMembers(elements, members),
            TypeListQuicklist2 => reader.TryQuicklist(elements),
            _ => false,
        };
        if (!ok || !reader.AtEnd)
            return false;
        type = rdbType switch
        {
            TypeString => EntryType.String,
            TypeList or TypeListQuicklist2 => EntryType.List,
            TypeSet or TypeSetIntset => EntryType.Set,
            TypeHash or TypeHashListpack => EntryType.Hash,
            _ => EntryType.SortedSet,
        };
        return type == EntryType.String || elements.Count > 0 || members.Count > 0; // Redis refuses an empty collection
    }

    private static bool Add(List<ReadOnlyMemory<byte>> elements, ReadOnlyMemory<byte> s)
    {
        elements.Add(s);
        return true;
    }

    private static void WriteLength(IBufferWriter<byte> w, long length)
    {
        if (length < 64)
        {
            w.Write([(byte)length]);
        }
        else if (length < 16384)
        {
            w.Write([(byte)(0x40 | (length >> 8)), (byte)length]);
        }
        else if (length <= uint.MaxValue)
        {
            w.Write([(byte)0x80]);
            BinaryPrimitives.WriteUInt32BigEndian(w.GetSpan(4), (uint)length);
            w.Advance(4);
        }
        else
        {
            w.Write([(byte)0x81]);
            BinaryPrimitives.WriteUInt64BigEndian(w.GetSpan(8), (ulong)length);
            w.Advance(8);
        }
    }

    private static void WriteString(IBufferWriter<byte> w, ReadOnlySpan<byte> s)
    {
        WriteLength(w, s.Length);
        w.Write(s);
    }

    /// <summary>An intset: encoding (2, 4 or 8 bytes per integer), count, then the integers, little-endian.</summary>
    private static bool TryIntset(ReadOnlyMemory<byte> blob, List<ReadOnlyMemory<byte>> elements)
    {
        var span = blob.Span;
        if (span.Length < 8)
            return false;
        var width = BinaryPrimitives.ReadUInt32LittleEndian(span);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        if (width is not (2 or 4 or 8) || count == 0 || (span.Length - 8) / width != count || (span.Length - 8) % width != 0)
            return false;
        for (var i = 0; i < count; i++)
        {
            var at = span[(8 + (i * (int)width))..];
            long v = width switch
            {
                2 => BinaryPrimitives.ReadInt16LittleEndian(at),
                4 => BinaryPrimitives.ReadInt32LittleEndian(at),
                _ => BinaryPrimitives.ReadInt64LittleEndian(at),
            };
            elements.Add(Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture)));
        }
        return true;
    }

    /// <summary>A listpack's entries, integers as their decimal text; false when malformed.</summary>
    private static bool TryListpack(ReadOnlyMemory<byte> blob, List<ReadOnlyMemory<byte>> elements)
    {
        var lp = blob.Span;
        if (lp.Length < 7 || BinaryPrimitives.ReadUInt32LittleEndian(lp) != lp.Length || lp[^1] != 0xFF)
            return false;
        var pos = 6;
        while (true)
        {
            if (pos >= lp.Length)
                return false;
            var b = lp[pos];
            if (b == 0xFF)
                return pos == lp.Length - 1;
            long number = 0;
            var isString = false;
            int header, length;
            if ((b & 0x80) == 0)
            {
                (header, length, number) = (1, 0, b & 0x7f);
            }
            else if ((b & 0xC0) == 0x80)
            {
                (header, length, isString) = (1, b & 0x3f, true);
            }
            else if ((b & 0xE0) == 0xC0)
            {
                if (pos + 1 >= lp.Length)
                    return false;
                var v = ((b & 0x1f) << 8) | lp[pos + 1];
                (header, length, number) = (2, 0, v >= 1 << 12 ? v - (1 << 13) : v);
            }
            else if ((b & 0xF0) == 0xE0)
            {
                if (pos + 1 >= lp.Length)
                    return false;
                (header, length, isString) = (2, ((b & 0x0f) << 8) | lp[pos + 1], true);
            }
            else if (b == 0xF0)
            {
                if (pos + 5 > lp.Length)
                    return false;
                var big = BinaryPrimitives.ReadUInt32LittleEndian(lp[(pos + 1)..]);
                if (big > int.MaxValue)
                    return false;
                (header, length, isString) = (5, (int)big, true);
            }
            else
            {
                var width = b switch { 0xF1 => 2, 0xF2 => 3, 0xF3 => 4, 0xF4 => 8, _ => 0 };
                if (width == 0 || pos + 1 + width > lp.Length)
                    return false;
                var at = lp.Slice(pos + 1, width);
                number = width switch
                {
                    2 => BinaryPrimitives.ReadInt16LittleEndian(at),
                    3 => (at[0] | (at[1] << 8) | (at[2] << 16)) << 8 >> 8,
                    4 => BinaryPrimitives.ReadInt32LittleEndian(at),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(at),
                };
                (header, length) = (1 + width, 0);
            }
            var entry = (long)header + length;
            if (pos + entry > lp.Length)
                return false;
            elements.Add(isString ? blob.Slice(pos + header, length) : Encoding.ASCII.GetBytes(number.ToString(CultureInfo.InvariantCulture)));
            var backlen = entry <= 127 ? 1 : entry < 16383 ? 2 : entry < 2097151 ? 3 : entry < 268435455 ? 4 : 5;
            pos += (int)entry + backlen;
        }
    }

    /// <summary>A sorted set's listpack: member, score, member, score...</summary>
    private static bool TryPairsToMembers(List<ReadOnlyMemory<byte>> pairs, List<ScoredMember> members)
    {
        if (pairs.Count % 2 != 0)
            return false;
        for (var i = 0; i < pairs.Count; i += 2)
        {
            if (!TryParseScore(pairs[i + 1].Span, out var score))
                return false;
            members.Add(new ScoredMember(score, pairs[i]));
        }
        pairs.Clear();
        return true;
    }

    private static bool TryParseScore(ReadOnlySpan<byte> text, out double score)
    {
        if (Ascii.EqualsIgnoreCase(text, "inf"u8) || Ascii.EqualsIgnoreCase(text, "+inf"u8))
            score = double.PositiveInfinity;
        else if (Ascii.EqualsIgnoreCase(text, "-inf"u8))
            score = double.NegativeInfinity;
        else if (!double.TryParse(Encoding.ASCII.GetString(text), NumberStyles.Float, CultureInfo.InvariantCulture, out score))
            return false;
        return !double.IsNaN(score);
    }

    /// <summary>Reads RDB lengths and strings from the payload, refusing anything past its end or over the largest value.</summary>
    private sealed class Reader(ReadOnlyMemory<byte> data, long maxValueLength)
    {
        private int _pos;

        public bool AtEnd => _pos == data.Length;

        public bool TryByte(out byte b)
        {
            b = 0;
            if (_pos >= data.Length)
                return false;
            b = data.Span[_pos++];
            return true;
        }

        /// <summary>An RDB length; <paramref name="special"/> when it is a string encoding (integer, LZF) instead.</summary>
        private bool TryLength(out long length, out bool special)
        {
            length = 0;
            special = false;
            if (!TryByte(out var b))
                return false;
            switch (b >> 6)
            {
                case 0:
                    length = b & 0x3f;
                    return true;
                case 1:
                    if (!TryByte(out var low))
                        return false;
                    length = ((b & 0x3f) << 8) | low;
                    return true;
                case 3:
                    special = true;
                    length = b & 0x3f;
                    return true;
            }
            var width = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
            if (width == 0 || _pos + width > data.Length)
                return false;
            var at = data.Span.Slice(_pos, width);
            _pos += width;
            var big = width == 4 ? BinaryPrimitives.ReadUInt32BigEndian(at) : BinaryPrimitives.ReadUInt64BigEndian(at);
            if (big > int.MaxValue)
                return false;
            length = (long)big;
            return true;
        }

        public bool TryCount(out int count)
        {
            count = 0;
            if (!TryLength(out var n, out var special) || special || n > data.Length - _pos) // every element takes a byte at least
                return false;
            count = (int)n;
            return true;
        }

        public bool TryString(out ReadOnlyMemory<byte> s)
        {
            s = default;
            if (!TryLength(out var length, out var special))
                return false;
            if (!special)
            {
                if (length > data.Length - _pos || length > maxValueLength)
                    return false;
                s = data.Slice(_pos, (int)length);
                _pos += (int)length;
                return true;
            }
            switch (length)
            {
                case 0:
                case 1:
                case 2:
                {
                    var width = 1 << (int)length;
                    if (_pos + width > data.Length)
                        return false;
                    var at = data.Span.Slice(_pos, width);
                    _pos += width;
                    long v = width switch
                    {
                        1 => (sbyte)at[0],
                        2 => BinaryPrimitives.ReadInt16LittleEndian(at),
                        _ => BinaryPrimitives.ReadInt32LittleEndian(at),
                    };
                    s = Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));
                    return true;
                }
                case 3:
                    return TryLzf(out s);
                default:
                    return false;
            }
        }

        /// <summary>An LZF-compressed string: compressed length, plain length, then LZF's literal runs and back references.</summary>
        private bool TryLzf(out ReadOnlyMemory<byte> s)
        {
            s = default;
            if (!TryLength(out var compressed, out var special1) || special1 || !TryLength(out var plain, out var special2) || special2
                || compressed > data.Length - _pos || plain > maxValueLength)
                return false;
            var input = data.Span.Slice(_pos, (int)compressed);
            _pos += (int)compressed;
            var output = new byte[plain];
            int ip = 0, op = 0;
            while (ip < input.Length)
            {
                int ctrl = input[ip++];
                if (ctrl < 32)
                {
                    var run = ctrl + 1;
                    if (ip + run > input.Length || op + run > output.Length)
                        return false;
                    input.Slice(ip, run).CopyTo(output.AsSpan(op));
                    ip += run;
                    op += run;
                    continue;
                }
                var len = ctrl >> 5;
                var back = op - ((ctrl & 0x1f) << 8) - 1;
                if (len == 7)
                {
                    if (ip >= input.Length)
                        return false;
                    len += input[ip++];
                }
                if (ip >= input.Length)
                    return false;
                back -= input[ip++];
                len += 2;
                if (back < 0 || op + len > output.Length)
                    return false;
                for (var i = 0; i < len; i++)
                    output[op++] = output[back++]; // may overlap what it writes: byte by byte
            }
            if (op != output.Length)
                return false;
            s = output;
            return true;
        }

        /// <summary>A count (of pairs when <paramref name="per"/> is 2), then that many strings.</summary>
        public bool TryStrings(List<ReadOnlyMemory<byte>> into, int per)
        {
            if (!TryCount(out var count))
                return false;
            for (var i = 0; i < count * (long)per; i++)
            {
                if (!TryString(out var s))
                    return false;
                into.Add(s);
            }
            return true;
        }

        /// <summary>A sorted set: a count, then member and score (binary double, or version 1's text).</summary>
        public bool TryScored(List<ScoredMember> into, bool binary)
        {
            if (!TryCount(out var count))
                return false;
            for (var i = 0; i < count; i++)
            {
                if (!TryString(out var member))
                    return false;
                double score;
                if (binary)
                {
                    if (_pos + 8 > data.Length)
                        return false;
                    score = BinaryPrimitives.ReadDoubleLittleEndian(data.Span[_pos..]);
                    _pos += 8;
                }
                else
                {
                    // 253 nan, 254 +inf, 255 -inf, else a length and the text.
                    if (!TryByte(out var n))
                        return false;
                    if (n == 253 || _pos + (n < 253 ? n : 0) > data.Length)
                        return false;
                    score = n == 254 ? double.PositiveInfinity : n == 255 ? double.NegativeInfinity : 0;
                    if (n < 253)
                    {
                        if (!TryParseScore(data.Span.Slice(_pos, n), out score))
                            return false;
                        _pos += n;
                    }
                }
                if (double.IsNaN(score))
                    return false;
                into.Add(new ScoredMember(score, member));
            }
            return true;
        }

        /// <summary>A list as quicklist nodes: each a container kind (1 plain element, 2 a listpack) and its bytes.</summary>
        public bool TryQuicklist(List<ReadOnlyMemory<byte>> into)
        {
            if (!TryCount(out var nodes))
                return false;
            for (var i = 0; i < nodes; i++)
            {
                if (!TryLength(out var container, out var special) || special || !TryString(out var blob))
                    return false;
                if (container == 1)
                    into.Add(blob);
                else if (container != 2 || !TryListpack(blob, into))
                    return false;
            }
            return true;
        }
    }
}
