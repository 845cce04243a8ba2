using System.Buffers;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>BITOP and BITFIELD/BITFIELD_RO, with Redis 7.0.15's arguments, order of checks, replies and error words (src/bitops.c).</summary>
/// <remarks>
/// BITOP names several keys, so it runs as a transaction of the coordinator (keys on any nodes, like SUNIONSTORE):
/// here it only ever meets the transaction's scratch keyspace. BITFIELD is one <see cref="KeyWrite"/>: read, changed in
/// a pooled buffer, and stored as a change record of the string (logged and replicated as SETBIT's are).
/// </remarks>
internal static class RespBitCommands
{
    private static ReadOnlySpan<byte> BadType =>
        "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"u8;

    private enum Overflow
    {
        Wrap,
        Sat,
        Fail,
    }

    private enum FieldOp
    {
        Get,
        Set,
        IncrBy,
    }

    /// <summary>One parsed BITFIELD operation.</summary>
    private struct Field
    {
        public FieldOp Op;
        public Overflow Overflow;
        public bool Signed;
        public int Bits;
        public long Offset;
        public long Value;
    }

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.BitOp:
                BitOp(c, w, keyspace);
                return true;
            case RespCommandKind.BitField:
            case RespCommandKind.BitFieldRo:
                BitField(c, w, keyspace, respVersion);
                return true;
            default:
                return false;
        }
    }

    private enum Op
    {
        And,
        Or,
        Xor,
        Not,
    }

    /// <summary>BITOP op destkey key...: the sources combined byte by byte (a shorter one padded with zeros) into the destination, which loses its expiry; an empty result deletes it.</summary>
    private static void BitOp(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var name = c.GetArgument(1);
        Op op;
        if (System.Text.Ascii.EqualsIgnoreCase(name, "AND"u8))
            op = Op.And;
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "OR"u8))
            op = Op.Or;
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "XOR"u8))
            op = Op.Xor;
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "NOT"u8))
            op = Op.Not;
        else
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (op == Op.Not && c.Count != 4)
        {
            RespWriter.WriteError(w, "BITOP NOT must be called with a single source key."u8);
            return;
        }
        var maxLength = 0;
        for (var i = 3; i < c.Count; i++)
        {
            if (!keyspace.TryGetTyped(c.GetArgument(i), out var value, out var type))
                continue;
            if (type != EntryType.String)
            {
                RespWriter.WriteRaw(w, RespReplies.WrongType);
                return;
            }
            maxLength = Math.Max(maxLength, value.Length);
        }
        using var write = keyspace.BeginWrite(c.GetArgument(2), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (maxLength == 0)
        {
            if (write.Delete())
                keyspace.Notify(NotifyClass.Generic, "del"u8, c.GetArgument(2));
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            var result = buffer.AsSpan(0, maxLength);
            result.Clear();
            // Read again without counting: the loop above counted each source's read once.
            keyspace.TryGetEntry(c.GetArgument(3), out var first, out _, out _);
            first.Span.CopyTo(result);
            if (op == Op.Not)
            {
                Invert(result);
            }
            else
            {
                for (var i = 4; i < c.Count; i++)
                {
                    keyspace.TryGetEntry(c.GetArgument(i), out var source, out _, out _);
                    Combine(result, source.Span, op);
                }
            }
            write.Put(result);
            keyspace.Notify(NotifyClass.String, "set"u8, c.GetArgument(2));
            RespWriter.WriteInteger(w, maxLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Invert(Span<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)~bytes[i];
    }

    /// <summary>One source into the result; past the source's end it counts as zeros (AND clears the rest, OR and XOR keep it).</summary>
    private static void Combine(Span<byte> result, ReadOnlySpan<byte> source, Op op)
    {
        var common = Math.Min(result.Length, source.Length);
        switch (op)
        {
            case Op.And:
                for (var i = 0; i < common; i++)
                    result[i] &= source[i];
                result[common..].Clear();
                break;
            case Op.Or:
                for (var i = 0; i < common; i++)
                    result[i] |= source[i];
                break;
            default:
                for (var i = 0; i < common; i++)
                    result[i] ^= source[i];
                break;
        }
    }

    /// <summary>
    /// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL]...
    /// and BITFIELD_RO key [GET type offset]...: every operation is parsed (and refused) before any runs, as Redis does.
    /// </summary>
    private static void BitField(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var overflow = Overflow.Wrap;
        var operations = 0;
        var readOnly = true;
        long highestWrite = 0;
        for (var j = 2; j < c.Count; j++)
        {
            if (!TryParseField(c, ref j, ref overflow, w, out var field, out var isOverflow))
                return;
            if (isOverflow)
                continue;
            operations++;
            if (field.Op != FieldOp.Get)
            {
                readOnly = false;
                highestWrite = Math.Max(highestWrite, field.Offset + field.Bits - 1);
            }
        }
        if (readOnly)
        {
            if (keyspace.TryGetTyped(c.GetArgument(1), out var value, out var type) && type != EntryType.String)
            {
                RespWriter.WriteRaw(w, RespReplies.WrongType);
                return;
            }
            RespWriter.WriteArrayHeader(w, operations);
            RunGets(c, w, value.Span);
            return;
        }
        if (c.Kind == RespCommandKind.BitFieldRo)
        {
            RespWriter.WriteError(w, "BITFIELD_RO only supports the GET subcommand"u8);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        var present = write.TryGet(out var current, out _, out var currentType);
        if (present && currentType != EntryType.String)
        {
            RespWriter.WriteRaw(w, RespReplies.WrongType);
            return;
        }
        var needed = (highestWrite >> 3) + 1;
        if (needed > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, RespStringCommands.TooLarge);
            return;
        }
        var length = (int)Math.Max(current.Length, needed);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var next = buffer.AsSpan(0, length);
            next.Clear();
            current.Span.CopyTo(next);
            RespWriter.WriteArrayHeader(w, operations);
            var changes = RunFields(c, w, next, respVersion);
            // Redis creates or pads the string before the operations run, so it keeps that even when every one FAILed.
            if (!present || length != current.Length || changes > 0)
                write.PutChangeKeepingExpiry(next);
            if (changes > 0)
                keyspace.Notify(NotifyClass.String, "setbit"u8, c.GetArgument(1));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Parses the operation at <paramref name="j"/> (left on its last argument), or an OVERFLOW, which changes
    /// <paramref name="overflow"/> for the operations after it; false with the error written.
    /// </summary>
    private static bool TryParseField(RespCommand c, ref int j, ref Overflow overflow, IBufferWriter<byte> w, out Field field, out bool isOverflow)
    {
        field = default;
        isOverflow = false;
        var remaining = c.Count - j - 1;
        var name = c.GetArgument(j);
        if (System.Text.Ascii.EqualsIgnoreCase(name, "GET"u8) && remaining >= 2)
        {
            field.Op = FieldOp.Get;
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "SET"u8) && remaining >= 3)
        {
            field.Op = FieldOp.Set;
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "INCRBY"u8) && remaining >= 3)
        {
            field.Op = FieldOp.IncrBy;
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "OVERFLOW"u8) && remaining >= 1)
        {
            var kind = c.GetArgument(++j);
            if (System.Text.Ascii.EqualsIgnoreCase(kind, "WRAP"u8))
                overflow = Overflow.Wrap;
            else if (System.Text.Ascii.EqualsIgnoreCase(kind, "SAT"u8))
                overflow = Overflow.Sat;
            else if (System.Text.Ascii.EqualsIgnoreCase(kind, "FAIL"u8))
                overflow = Overflow.Fail;
            else
            {
                RespWriter.WriteError(w, "Invalid OVERFLOW type specified"u8);
                return false;
            }
            isOverflow = true;
            return true;
        }
        else
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return false;
        }
        field.Overflow = overflow;
        if (!TryParseType(c.GetArgument(j + 1), out field.Signed, out field.Bits))
        {
            RespWriter.WriteRaw(w, BadType);
            return false;
        }
        if (!TryParseOffset(c.GetArgument(j + 2), field.Bits, out field.Offset))
        {
            RespWriter.WriteRaw(w, RespStringCommands.BadBitOffset);
            return false;
        }
        if (field.Op != FieldOp.Get && !c.TryGetInt64(j + 3, out field.Value))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return false;
        }
        j += field.Op == FieldOp.Get ? 2 : 3;
        return true;
    }

    /// <summary>i1..i64 or u1..u63 (u64 cannot be replied as a RESP integer).</summary>
    private static bool TryParseType(ReadOnlySpan<byte> text, out bool signed, out int bits)
    {
        signed = false;
        bits = 0;
        if (text.IsEmpty || (text[0] != 'i' && text[0] != 'u'))
            return false;
        signed = text[0] == 'i';
        if (!RespInteger.TryParseInt64(text[1..], out var value) || value < 1 || value > (signed ? 64 : 63))
            return false;
        bits = (int)value;
        return true;
    }

    /// <summary>A bit offset, or with '#' a field index multiplied by the width; 0 to 2^32 - 1 (Redis's 512 MB proto-max-bulk-len in bits).</summary>
    private static bool TryParseOffset(ReadOnlySpan<byte> text, int bits, out long offset)
    {
        var byIndex = !text.IsEmpty && text[0] == '#';
        if (!RespInteger.TryParseInt64(byIndex ? text[1..] : text, out offset))
            return false;
        if (byIndex)
        {
            // Redis multiplies without a check (undefined past 2^63); every such product is out of range anyway.
            if (offset > long.MaxValue / bits || offset < long.MinValue / bits)
                return false;
            offset *= bits;
        }
        return offset >= 0 && offset < (1L << 32);
    }

    /// <summary>Runs a BITFIELD of GETs only (parsed once already without error) on a value it does not change.</summary>
    private static void RunGets(RespCommand c, IBufferWriter<byte> w, ReadOnlySpan<byte> value)
    {
        var overflow = Overflow.Wrap;
        for (var j = 2; j < c.Count; j++)
        {
            TryParseField(c, ref j, ref overflow, w, out var field, out var isOverflow);
            if (isOverflow)
                continue;
            var got = GetUnsigned(value, field.Offset, field.Bits);
            RespWriter.WriteInteger(w, field.Signed ? SignExtend(got, field.Bits) : (long)got);
        }
    }

    /// <summary>Runs the parsed operations on <paramref name="value"/> (written in place: the caller stores it), writing one reply each; the number that changed a field.</summary>
    private static int RunFields(RespCommand c, IBufferWriter<byte> w, Span<byte> value, int respVersion)
    {
        var overflow = Overflow.Wrap;
        var changes = 0;
        for (var j = 2; j < c.Count; j++)
        {
            // Parsed once already without error: this pass only reads the same fields again.
            TryParseField(c, ref j, ref overflow, w, out var field, out var isOverflow);
            if (isOverflow)
                continue;
            if (field.Op == FieldOp.Get)
            {
                var got = GetUnsigned(value, field.Offset, field.Bits);
                RespWriter.WriteInteger(w, field.Signed ? SignExtend(got, field.Bits) : (long)got);
                continue;
            }
            var old = GetUnsigned(value, field.Offset, field.Bits);
            bool failed;
            ulong stored;
            long reply;
            if (field.Signed)
            {
                var oldValue = SignExtend(old, field.Bits);
                long newValue;
                if (field.Op == FieldOp.IncrBy)
                {
                    var over = CheckSigned(oldValue, field.Value, field.Bits, field.Overflow, out var limit);
                    newValue = over != 0 ? limit : unchecked(oldValue + field.Value);
                    reply = newValue;
                    failed = over != 0 && field.Overflow == Overflow.Fail;
                }
                else
                {
                    newValue = field.Value;
                    var over = CheckSigned(newValue, 0, field.Bits, field.Overflow, out var limit);
                    if (over != 0)
                        newValue = limit;
                    reply = oldValue;
                    failed = over != 0 && field.Overflow == Overflow.Fail;
                }
                stored = unchecked((ulong)newValue);
            }
            else
            {
                ulong newValue;
                if (field.Op == FieldOp.IncrBy)
                {
                    newValue = unchecked(old + (ulong)field.Value);
                    var over = CheckUnsigned(old, field.Value, field.Bits, field.Overflow, out var limit);
                    if (over != 0)
                        newValue = limit;
                    reply = unchecked((long)newValue);
                    failed = over != 0 && field.Overflow == Overflow.Fail;
                }
                else
                {
                    newValue = unchecked((ulong)field.Value);
                    var over = CheckUnsigned(newValue, 0, field.Bits, field.Overflow, out var limit);
                    if (over != 0)
                        newValue = limit;
                    reply = (long)old;
                    failed = over != 0 && field.Overflow == Overflow.Fail;
                }
                stored = newValue;
            }
            if (failed)
            {
                // OVERFLOW FAIL: nothing written, a null reply.
                RespKeyCommands.WriteNull(w, respVersion);
                continue;
            }
            RespWriter.WriteInteger(w, reply);
            SetUnsigned(value, field.Offset, field.Bits, stored);
            if (GetUnsigned(value, field.Offset, field.Bits) != old)
                changes++;
        }
        return changes;
    }

    /// <summary>The <paramref name="bits"/>-bit big-endian field at bit <paramref name="offset"/> (bit 0 the first byte's most significant); bits past the end read 0.</summary>
    private static ulong GetUnsigned(ReadOnlySpan<byte> value, long offset, int bits)
    {
        ulong result = 0;
        for (var j = 0; j < bits; j++, offset++)
        {
            var index = offset >> 3;
            var bit = index < value.Length ? (value[(int)index] >> (7 - (int)(offset & 7))) & 1 : 0;
            result = (result << 1) | (uint)bit;
        }
        return result;
    }

    private static void SetUnsigned(Span<byte> value, long offset, int bits, ulong field)
    {
        for (var j = 0; j < bits; j++, offset++)
        {
            var set = (field & (1UL << (bits - 1 - j))) != 0;
            var mask = (byte)(1 << (7 - (int)(offset & 7)));
            if (set)
                value[(int)(offset >> 3)] |= mask;
            else
                value[(int)(offset >> 3)] &= (byte)~mask;
        }
    }

    private static long SignExtend(ulong value, int bits) =>
        bits < 64 && (value & (1UL << (bits - 1))) != 0 ? unchecked((long)(value | (ulong.MaxValue << bits))) : unchecked((long)value);

    /// <summary>checkUnsignedBitfieldOverflow: 1 over, -1 under, 0 fits; <paramref name="limit"/> the wrapped or saturated value.</summary>
    private static int CheckUnsigned(ulong value, long increment, int bits, Overflow overflow, out ulong limit)
    {
        var max = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        var maxIncrement = unchecked((long)(max - value));
        var minIncrement = unchecked(-(long)value);
        limit = 0;
        int result;
        if (value > max || (increment > 0 && increment > maxIncrement))
        {
            result = 1;
            limit = max;
        }
        else if (increment < 0 && increment < minIncrement)
        {
            result = -1;
            limit = 0;
        }
        else
        {
            return 0;
        }
        if (overflow == Overflow.Wrap)
            limit = unchecked(value + (ulong)increment) & ~(ulong.MaxValue << bits);
        return result;
    }

    /// <summary>checkSignedBitfieldOverflow: 1 over, -1 under, 0 fits; <paramref name="limit"/> the wrapped or saturated value.</summary>
    private static int CheckSigned(long value, long increment, int bits, Overflow overflow, out long limit)
    {
        var max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        var min = -max - 1;
        // They may overflow, but are used only after the value's range is checked (as in Redis).
        var maxIncrement = unchecked((long)((ulong)max - (ulong)value));
        var minIncrement = unchecked(min - value);
        int result;
        if (value > max || (bits != 64 && increment > maxIncrement) || (value >= 0 && increment > 0 && increment > maxIncrement))
        {
            result = 1;
            limit = max;
        }
        else if (value < min || (bits != 64 && increment < minIncrement) || (value < 0 && increment < 0 && increment < minIncrement))
        {
            result = -1;
            limit = min;
        }
        else
        {
            limit = 0;
            return 0;
        }
        if (overflow == Overflow.Wrap)
        {
            var sum = unchecked((ulong)value + (ulong)increment);
            if (bits < 64)
            {
                var mask = ulong.MaxValue << bits;
                sum = (sum & (1UL << (bits - 1))) != 0 ? sum | mask : sum & ~mask;
            }
            limit = unchecked((long)sum);
        }
        return result;
    }
}
