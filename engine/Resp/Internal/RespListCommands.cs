using System.Buffers;
using System.Globalization;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The list commands at a key's owner: LPUSH/RPUSH(X), LPOP/RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM,
/// LPOS, LMOVE/RPOPLPUSH, and BLPOP/BRPOP/BLMOVE/BRPOPLPUSH as one attempt that does not block (inside MULTI, and each
/// try of a blocked client: RespSession.Blocking.cs), with Redis 7's replies and errors.
/// </summary>
/// <remarks>
/// Each write is one <see cref="KeyWrite"/> (see <see cref="RespCollections"/>). LMOVE and the other two-key commands
/// always run inside a transaction (RespSession routes them like RENAME), whose scratch keyspace makes their two
/// single-key steps one atomic change, on keys of any nodes.
/// </remarks>
internal static class RespListCommands
{
    private static ReadOnlySpan<byte> NoSuchKey => "-ERR no such key\r\n"u8;

    private static ReadOnlySpan<byte> IndexOutOfRange => "-ERR index out of range\r\n"u8;

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.LPush:
            case RespCommandKind.RPush:
            case RespCommandKind.LPushX:
            case RespCommandKind.RPushX:
                Push(c, w, keyspace);
                return true;
            case RespCommandKind.LPop:
            case RespCommandKind.RPop:
                Pop(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.LLen:
                if (RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.List, w, out var value))
                    RespWriter.WriteInteger(w, CollectionCodec.Count(value.Span));
                return true;
            case RespCommandKind.LRange:
                Range(c, w, keyspace);
                return true;
            case RespCommandKind.LIndex:
                Index(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.LSet:
                Set(c, w, keyspace);
                return true;
            case RespCommandKind.LInsert:
                Insert(c, w, keyspace);
                return true;
            case RespCommandKind.LRem:
                Remove(c, w, keyspace);
                return true;
            case RespCommandKind.LTrim:
                Trim(c, w, keyspace);
                return true;
            case RespCommandKind.LPos:
                Position(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.LMove:
            case RespCommandKind.RPopLPush:
            case RespCommandKind.BLMove:
            case RespCommandKind.BRPopLPush:
                Move(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.BLPop:
            case RespCommandKind.BRPop:
                BlockingPopOnce(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.LMPop:
            case RespCommandKind.BLMPop:
                MultiPop(c, w, keyspace, respVersion);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Parses a blocking command's timeout (seconds, a float) as Redis does; false with the error written. 0 blocks
    /// for ever; the result is in milliseconds.
    /// </summary>
    public static bool TryParseTimeout(ReadOnlySpan<byte> text, IBufferWriter<byte> w, out long timeoutMs)
    {
        timeoutMs = 0;
        if (!double.TryParse(System.Text.Encoding.ASCII.GetString(text), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || double.IsNaN(seconds) || double.IsInfinity(seconds))
        {
            RespWriter.WriteError(w, "timeout is not a float or out of range"u8);
            return false;
        }
        if (seconds < 0)
        {
            RespWriter.WriteError(w, "timeout is negative"u8);
            return false;
        }
        var ms = seconds * 1000;
        if (ms > long.MaxValue / 2)
        {
            RespWriter.WriteError(w, "timeout is out of range"u8);
            return false;
        }
        timeoutMs = (long)Math.Ceiling(ms);
        return true;
    }

    /// <remarks>
    /// Builds the new encoding from the old one's bytes without decoding it (the count, then the pushed elements and the
    /// old elements' bytes copied whole, or the other way round): still a copy of the list per push (the value is
    /// immutable), but no list of element slices, no copy per pushed argument and no re-encoding of every element.
    /// </remarks>
    private static void Push(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var left = c.Kind is RespCommandKind.LPush or RespCommandKind.LPushX;
        var onlyIfPresent = c.Kind is RespCommandKind.LPushX or RespCommandKind.RPushX;
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
            return;
        if (onlyIfPresent && value.IsEmpty)
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        var old = value.Span;
        var body = old[CollectionCodec.HeaderSize(old)..];
        var count = CollectionCodec.Count(old) + c.Count - 2;
        long size = CollectionCodec.CountSize(count) + body.Length;
        for (var i = 2; i < c.Count; i++)
            size += CollectionCodec.ElementSize(c.GetArgument(i).Length);
        if (size > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, RespCollections.TooLarge);
            return;
        }
        var buffer = CollectionCodec.Rent(size);
        try
        {
            var next = buffer.AsSpan(0, (int)size);
            var at = CollectionCodec.WriteCount(next, count);
            if (left)
            {
                // LPUSH a b c pushes a, then b, then c at the head: the list starts c b a.
                for (var i = c.Count - 1; i >= 2; i--)
                    at += CollectionCodec.WriteElement(next[at..], c.GetArgument(i));
                body.CopyTo(next[at..]);
            }
            else
            {
                body.CopyTo(next[at..]);
                at += body.Length;
                for (var i = 2; i < c.Count; i++)
                    at += CollectionCodec.WriteElement(next[at..], c.GetArgument(i));
            }
            write.PutChange(next, EntryType.List, expiresAt);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        keyspace.Notify(NotifyClass.List, left ? "lpush"u8 : "rpush"u8, c.GetArgument(1));
        RespWriter.WriteInteger(w, count);
    }

    private static void Pop(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var withCount = c.Count == 3;
        if (c.Count > 3)
        {
            RespErrors.WriteWrongArity(w, c.Kind == RespCommandKind.LPop ? "lpop"u8 : "rpop"u8);
            return;
        }
        if (!RespCollections.TryParsePopCount(c, w, out var count))
            return;
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
            return;
        if (value.IsEmpty)
        {
            if (withCount)
                RespCollections.WriteNullArray(w, respVersion);
            else
                RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        var elements = RespCollections.Elements(value);
        var n = (int)Math.Min(count, elements.Count);
        var left = c.Kind == RespCommandKind.LPop;
        var start = left ? 0 : elements.Count - n;
        if (withCount)
        {
            RespWriter.WriteArrayHeader(w, n);
            for (var i = 0; i < n; i++)
                RespWriter.WriteBulkString(w, elements[left ? i : elements.Count - 1 - i].Span);
        }
        else
        {
            RespWriter.WriteBulkString(w, elements[left ? 0 : elements.Count - 1].Span);
        }
        if (n == 0)
            return;
        elements.RemoveRange(start, n);
        RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, left ? "lpop"u8 : "rpop"u8);
    }

    private static void Range(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var start) || !c.TryGetInt64(3, out var end))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.List, w, out var value))
            return;
        var elements = RespCollections.Elements(value);
        if (!RespCollections.ClampRange(ref start, ref end, elements.Count))
        {
            RespWriter.WriteRaw(w, RespReplies.EmptyArray);
            return;
        }
        RespCollections.WriteArray(w, elements, (int)start, (int)(end - start + 1));
    }

    private static void Index(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (!c.TryGetInt64(2, out var index))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.List, w, out var value))
            return;
        var elements = RespCollections.Elements(value);
        if (index < 0)
            index += elements.Count;
        if (index < 0 || index >= elements.Count)
            RespKeyCommands.WriteNull(w, respVersion);
        else
            RespWriter.WriteBulkString(w, elements[(int)index].Span);
    }

    private static void Set(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var index))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
            return;
        if (value.IsEmpty)
        {
            RespWriter.WriteRaw(w, NoSuchKey);
            return;
        }
        var elements = RespCollections.Elements(value);
        if (index < 0)
            index += elements.Count;
        if (index < 0 || index >= elements.Count)
        {
            RespWriter.WriteRaw(w, IndexOutOfRange);
            return;
        }
        elements[(int)index] = c.GetArgument(3).ToArray();
        if (RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, "lset"u8))
            RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    private static void Insert(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        bool after;
        if (c.ArgumentEquals(2, "AFTER"u8))
            after = true;
        else if (c.ArgumentEquals(2, "BEFORE"u8))
            after = false;
        else
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
            return;
        if (value.IsEmpty)
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        var elements = RespCollections.Elements(value, 1);
        var pivot = c.GetArgument(3);
        var at = -1;
        for (var i = 0; i < elements.Count; i++)
        {
            if (RespCollections.Same(elements[i], pivot))
            {
                at = i;
                break;
            }
        }
        if (at < 0)
        {
            RespWriter.WriteRaw(w, RespReplies.MinusOne);
            return;
        }
        elements.Insert(after ? at + 1 : at, c.GetArgument(4).ToArray());
        if (RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, "linsert"u8))
            RespWriter.WriteInteger(w, elements.Count);
    }

    private static void Remove(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var count))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
            return;
        var elements = RespCollections.Elements(value);
        var target = c.GetArgument(3);
        var limit = count == 0 ? long.MaxValue : Math.Abs(count == long.MinValue ? long.MaxValue : count);
        var removed = 0;
        if (count >= 0)
        {
            for (var i = 0; i < elements.Count && removed < limit;)
            {
                if (RespCollections.Same(elements[i], target))
                {
                    elements.RemoveAt(i);
                    removed++;
                }
                else
                {
                    i++;
                }
            }
        }
        else
        {
            for (var i = elements.Count - 1; i >= 0 && removed < limit; i--)
            {
                if (RespCollections.Same(elements[i], target))
                {
                    elements.RemoveAt(i);
                    removed++;
                }
            }
        }
        if (removed == 0 || RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, "lrem"u8))
            RespWriter.WriteInteger(w, removed);
    }

    private static void Trim(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var start) || !c.TryGetInt64(3, out var end))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
            return;
        if (value.IsEmpty)
        {
            RespWriter.WriteRaw(w, RespReplies.Ok);
            return;
        }
        var elements = RespCollections.Elements(value);
        var kept = RespCollections.ClampRange(ref start, ref end, elements.Count)
            ? elements.GetRange((int)start, (int)(end - start + 1))
            : [];
        if (kept.Count == elements.Count)
        {
            keyspace.Notify(NotifyClass.List, "ltrim"u8, c.GetArgument(1)); // Redis sends it even when nothing was trimmed
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else if (RespCollections.Store(write, keyspace, EntryType.List, kept, kept.Count, expiresAt, w, NotifyClass.List, "ltrim"u8))
            RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    private static void Position(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        long rank = 1, count = -1, maxLength = 0;
        for (var i = 3; i < c.Count; i++)
        {
            if (i + 1 >= c.Count)
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
            if (c.ArgumentEquals(i, "RANK"u8))
            {
                if (!c.TryGetInt64(i + 1, out rank))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (rank == 0)
                {
                    RespWriter.WriteError(w, "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"u8);
                    return;
                }
                if (rank == long.MinValue)
                {
                    RespWriter.WriteError(w, "value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8);
                    return;
                }
            }
            else if (c.ArgumentEquals(i, "COUNT"u8))
            {
                if (!c.TryGetInt64(i + 1, out count))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (count < 0)
                {
                    RespWriter.WriteError(w, "COUNT can't be negative"u8);
                    return;
                }
            }
            else if (c.ArgumentEquals(i, "MAXLEN"u8))
            {
                if (!c.TryGetInt64(i + 1, out maxLength))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (maxLength < 0)
                {
                    RespWriter.WriteError(w, "MAXLEN can't be negative"u8);
                    return;
                }
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
            i++;
        }
        if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.List, w, out var value))
            return;
        var elements = RespCollections.Elements(value);
        var target = c.GetArgument(2);
        var wanted = count < 0 ? 1 : count == 0 ? long.MaxValue : count;
        var matches = new List<long>();
        var skip = Math.Abs(rank) - 1;
        var scanned = 0L;
        var forward = rank > 0;
        for (var n = 0; n < elements.Count && matches.Count < wanted && (maxLength == 0 || scanned < maxLength); n++, scanned++)
        {
            var i = forward ? n : elements.Count - 1 - n;
            if (!RespCollections.Same(elements[i], target))
                continue;
            if (skip > 0)
            {
                skip--;
                continue;
            }
            matches.Add(i);
        }
        if (count < 0)
        {
            if (matches.Count == 0)
                RespKeyCommands.WriteNull(w, respVersion);
            else
                RespWriter.WriteInteger(w, matches[0]);
            return;
        }
        RespWriter.WriteArrayHeader(w, matches.Count);
        foreach (var m in matches)
            RespWriter.WriteInteger(w, m);
    }

    /// <summary>
    /// LMOVE/RPOPLPUSH and one try of BLMOVE/BRPOPLPUSH: pops from the source's end and pushes at the destination's,
    /// answering the element (nil when the source is empty). Runs in a transaction's scratch keyspace, so the pop and
    /// the push become one change.
    /// </summary>
    private static void Move(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        bool fromLeft, toLeft;
        switch (c.Kind)
        {
            case RespCommandKind.RPopLPush:
            case RespCommandKind.BRPopLPush:
                fromLeft = false;
                toLeft = true;
                if (c.Kind == RespCommandKind.BRPopLPush && !TryParseTimeout(c.GetArgument(3), w, out _))
                    return;
                break;
            default:
                if (!TryParseEnd(c, 3, w, out fromLeft) || !TryParseEnd(c, 4, w, out toLeft))
                    return;
                if (c.Kind == RespCommandKind.BLMove && !TryParseTimeout(c.GetArgument(5), w, out _))
                    return;
                break;
        }
        var source = c.GetArgument(1);
        var destination = c.GetArgument(2);
        if (!RespCollections.TryRead(keyspace, source, EntryType.List, w, out var sourceValue))
            return;
        if (sourceValue.IsEmpty)
        {
            RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        if (!RespCollections.TryRead(keyspace, destination, EntryType.List, w, out _))
            return;
        ReadOnlyMemory<byte> element;
        bool sourceRemoved;
        using (var write = keyspace.BeginWrite(source, fence: null))
        {
            if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
                return;
            var elements = RespCollections.Elements(value);
            var at = fromLeft ? 0 : elements.Count - 1;
            element = elements[at].ToArray();
            elements.RemoveAt(at);
            // LMOVE of a list onto itself never empties it (Redis pops and pushes on the one list).
            sourceRemoved = elements.Count == 0 && !source.SequenceEqual(destination);
            if (!RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w))
                return;
        }
        using (var write = keyspace.BeginWrite(destination, fence: null))
        {
            if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
                return;
            var elements = RespCollections.Elements(value, 1);
            if (toLeft)
                elements.Insert(0, element);
            else
                elements.Add(element);
            if (!RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, toLeft ? "lpush"u8 : "rpush"u8))
                return;
        }
        // Redis's order: the push, then the pop, then the source's removal.
        RespCollections.NotifyStored(keyspace, source, NotifyClass.List, fromLeft ? "lpop"u8 : "rpop"u8, sourceRemoved);
        RespWriter.WriteBulkString(w, element.Span);
    }

    /// <summary>One try of BLPOP/BRPOP: the first non-empty list's element as [key, element], or a null array.</summary>
    private static void BlockingPopOnce(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (!TryParseTimeout(c.GetArgument(c.Count - 1), w, out _))
            return;
        var left = c.Kind == RespCommandKind.BLPop;
        for (var k = 1; k < c.Count - 1; k++)
        {
            using var write = keyspace.BeginWrite(c.GetArgument(k), fence: null);
            if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
                return;
            if (value.IsEmpty)
                continue;
            var elements = RespCollections.Elements(value);
            var at = left ? 0 : elements.Count - 1;
            var element = elements[at];
            elements.RemoveAt(at);
            if (!RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, left ? "lpop"u8 : "rpop"u8))
                return;
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, c.GetArgument(k));
            RespWriter.WriteBulkString(w, element.Span);
            return;
        }
        RespCollections.WriteNullArray(w, respVersion);
    }

    /// <summary>
    /// LMPOP numkeys key... LEFT|RIGHT [COUNT n] and one try of BLMPOP timeout numkeys ...: up to n elements of the first
    /// non-empty list, as [key, [elements]], or a null array. Checked as Redis checks it.
    /// </summary>
    private static void MultiPop(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var at = 1;
        if (c.Kind == RespCommandKind.BLMPop)
        {
            if (!TryParseTimeout(c.GetArgument(1), w, out _))
                return;
            at = 2;
        }
        if (!TryParseMultiPop(c, at, w, out var keys, out var left, out var count))
            return;
        for (var k = at + 1; k <= at + keys; k++)
        {
            using var write = keyspace.BeginWrite(c.GetArgument(k), fence: null);
            if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
                return;
            if (value.IsEmpty)
                continue;
            var elements = RespCollections.Elements(value);
            var n = (int)Math.Min(count, elements.Count);
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, c.GetArgument(k));
            RespWriter.WriteArrayHeader(w, n);
            for (var i = 0; i < n; i++)
                RespWriter.WriteBulkString(w, elements[left ? i : elements.Count - 1 - i].Span);
            elements.RemoveRange(left ? 0 : elements.Count - n, n);
            RespCollections.Store(write, keyspace, EntryType.List, elements, elements.Count, expiresAt, w, NotifyClass.List, left ? "lpop"u8 : "rpop"u8);
            return;
        }
        RespCollections.WriteNullArray(w, respVersion);
    }

    /// <summary>numkeys key... LEFT|RIGHT [COUNT n] from argument <paramref name="at"/>: false with Redis's error written.</summary>
    public static bool TryParseMultiPop(RespCommand c, int at, IBufferWriter<byte> w, out int keys, out bool left, out long count)
    {
        var ok = RespCollections.TryParseMultiPop(c, at, "LEFT"u8, "RIGHT"u8, w, out keys, out var right, out count);
        left = !right;
        return ok;
    }

    private static bool TryParseEnd(RespCommand c, int index, IBufferWriter<byte> w, out bool left)
    {
        left = c.ArgumentEquals(index, "LEFT"u8);
        if (left || c.ArgumentEquals(index, "RIGHT"u8))
            return true;
        RespWriter.WriteRaw(w, RespReplies.SyntaxError);
        return false;
    }
}
