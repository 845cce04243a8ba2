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

    /// <remarks>
    /// Finds the popped elements' bytes by walking lengths only (no list of slices) and stores the rest with one copy;
    /// the reply is written from the old value's bytes, which stay valid (stored values are immutable).
    /// </remarks>
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
        var left = c.Kind == RespCommandKind.LPop;
        var span = value.Span;
        var n = (int)Math.Min(count, CollectionCodec.Count(span));
        FindEnd(span, left, n, out var from, out var to);
        if (withCount)
            WriteElements(w, span, from, n, reversed: !left);
        else
            WriteElements(w, span, from, 1, reversed: false, header: false);
        if (n == 0)
            return;
        StoreWithout(write, keyspace, span, from, to, n, expiresAt, NotifyClass.List, left ? "lpop"u8 : "rpop"u8);
    }

    /// <summary>The byte range [<paramref name="from"/>, <paramref name="to"/>) of a list's first (left) or last <paramref name="n"/> elements.</summary>
    private static void FindEnd(ReadOnlySpan<byte> list, bool left, int n, out int from, out int to)
    {
        var header = CollectionCodec.HeaderSize(list);
        if (left)
        {
            from = header;
            to = CollectionCodec.Skip(list, header, n);
        }
        else
        {
            from = CollectionCodec.Skip(list, header, CollectionCodec.Count(list) - n);
            to = list.Length;
        }
    }

    /// <summary>
    /// Writes <paramref name="n"/> elements starting at byte <paramref name="at"/> as an array (or one bulk string
    /// without <paramref name="header"/>), in stored order or reversed (RPOP with a count answers the last element first).
    /// </summary>
    private static void WriteElements(IBufferWriter<byte> w, ReadOnlySpan<byte> list, int at, int n, bool reversed, bool header = true)
    {
        if (header)
            RespWriter.WriteArrayHeader(w, n);
        if (!reversed)
        {
            for (var i = 0; i < n; i++)
            {
                at = CollectionCodec.ReadElement(list, at, out var start, out var length);
                RespWriter.WriteBulkString(w, list.Slice(start, length));
            }
            return;
        }
        var offsets = ArrayPool<int>.Shared.Rent(Math.Max(1, n));
        try
        {
            for (var i = 0; i < n; i++)
            {
                offsets[i] = at;
                at = CollectionCodec.Skip(list, at, 1);
            }
            for (var i = n - 1; i >= 0; i--)
            {
                CollectionCodec.ReadElement(list, offsets[i], out var start, out var length);
                RespWriter.WriteBulkString(w, list.Slice(start, length));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <summary>
    /// Stores the list <paramref name="old"/> without the elements in bytes [<paramref name="from"/>, <paramref name="to"/>)
    /// (<paramref name="removed"/> of them): one copy of the rest into the new value, no decode; an emptied list deletes
    /// the key. Sends the keyspace event, and "del" after it when the key went (<see cref="RespCollections.NotifyStored"/>).
    /// </summary>
    private static void StoreWithout(in KeyWrite write, LocalKeyspace keyspace, ReadOnlySpan<byte> old, int from, int to, int removed, long expiresAt,
        int eventType = 0, ReadOnlySpan<byte> eventName = default)
    {
        var count = CollectionCodec.Count(old) - removed;
        if (count == 0)
        {
            write.Delete();
            RespCollections.NotifyStored(keyspace, write.Key, eventType, eventName, removed: true);
            return;
        }
        var header = CollectionCodec.HeaderSize(old);
        var size = CollectionCodec.CountSize(count) + old.Length - header - (to - from);
        var buffer = CollectionCodec.Rent(size);
        try
        {
            var next = buffer.AsSpan(0, size);
            var at = CollectionCodec.WriteCount(next, count);
            old[header..from].CopyTo(next[at..]);
            at += from - header;
            old[to..].CopyTo(next[at..]);
            write.PutChange(next, EntryType.List, expiresAt);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        RespCollections.NotifyStored(keyspace, write.Key, eventType, eventName, removed: false);
    }

    /// <summary>
    /// Stores the list <paramref name="old"/> (empty: a new list) with <paramref name="element"/> pushed at one end: one
    /// copy of the old bytes. False (the error written, nothing changed) when it would exceed the largest value.
    /// </summary>
    private static bool StoreWith(in KeyWrite write, LocalKeyspace keyspace, ReadOnlySpan<byte> old, bool left, ReadOnlySpan<byte> element, long expiresAt, IBufferWriter<byte> w,
        int eventType = 0, ReadOnlySpan<byte> eventName = default)
    {
        var body = old[CollectionCodec.HeaderSize(old)..];
        var count = CollectionCodec.Count(old) + 1;
        var size = CollectionCodec.CountSize(count) + body.Length + CollectionCodec.ElementSize(element.Length);
        if (size > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, RespCollections.TooLarge);
            return false;
        }
        var buffer = CollectionCodec.Rent(size);
        try
        {
            var next = buffer.AsSpan(0, (int)size);
            var at = CollectionCodec.WriteCount(next, count);
            if (left)
            {
                at += CollectionCodec.WriteElement(next[at..], element);
                body.CopyTo(next[at..]);
            }
            else
            {
                body.CopyTo(next[at..]);
                CollectionCodec.WriteElement(next[(at + body.Length)..], element);
            }
            write.PutChange(next, EntryType.List, expiresAt);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        RespCollections.NotifyStored(keyspace, write.Key, eventType, eventName, removed: false);
        return true;
    }

    /// <remarks>Walks to the first element it answers and writes only those: LRANGE 0 99 of a long list reads 100 elements.</remarks>
    private static void Range(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!c.TryGetInt64(2, out var start) || !c.TryGetInt64(3, out var end))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.List, w, out var value))
            return;
        var span = value.Span;
        if (!RespCollections.ClampRange(ref start, ref end, CollectionCodec.Count(span)))
        {
            RespWriter.WriteRaw(w, RespReplies.EmptyArray);
            return;
        }
        var at = CollectionCodec.Skip(span, CollectionCodec.HeaderSize(span), (int)start);
        WriteElements(w, span, at, (int)(end - start + 1), reversed: false);
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
        var span = value.Span;
        var count = CollectionCodec.Count(span);
        if (index < 0)
            index += count;
        if (index < 0 || index >= count)
            RespKeyCommands.WriteNull(w, respVersion);
        else
            WriteElements(w, span, CollectionCodec.Skip(span, CollectionCodec.HeaderSize(span), (int)index), 1, reversed: false, header: false);
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
            var span = value.Span;
            FindEnd(span, fromLeft, 1, out var from, out var to);
            CollectionCodec.ReadElement(span, from, out var start, out var length);
            element = value.Slice(start, length);
            // LMOVE of a list onto itself never empties it (Redis pops and pushes on the one list).
            sourceRemoved = CollectionCodec.Count(span) == 1 && !source.SequenceEqual(destination);
            StoreWithout(write, keyspace, span, from, to, 1, expiresAt);
        }
        using (var write = keyspace.BeginWrite(destination, fence: null))
        {
            if (!RespCollections.TryOpen(write, EntryType.List, w, out var value, out var expiresAt))
                return;
            if (!StoreWith(write, keyspace, value.Span, toLeft, element.Span, expiresAt, w, NotifyClass.List, toLeft ? "lpush"u8 : "rpush"u8))
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
            var span = value.Span;
            FindEnd(span, left, 1, out var from, out var to);
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, c.GetArgument(k));
            WriteElements(w, span, from, 1, reversed: false, header: false);
            StoreWithout(write, keyspace, span, from, to, 1, expiresAt, NotifyClass.List, left ? "lpop"u8 : "rpop"u8);
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
            var span = value.Span;
            var n = (int)Math.Min(count, CollectionCodec.Count(span));
            FindEnd(span, left, n, out var from, out var to);
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, c.GetArgument(k));
            WriteElements(w, span, from, n, reversed: !left);
            StoreWithout(write, keyspace, span, from, to, n, expiresAt, NotifyClass.List, left ? "lpop"u8 : "rpop"u8);
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
