using System.Buffers;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The hash commands at a key's owner: HSET/HMSET/HSETNX, HGET/HMGET/HGETALL, HDEL, HEXISTS, HLEN, HKEYS, HVALS,
/// HINCRBY, HINCRBYFLOAT, HSTRLEN, HRANDFIELD and HSCAN, with Redis 7's replies and errors.
/// </summary>
/// <remarks>
/// A hash is stored as field, value, field, value... (<see cref="CollectionCodec"/>); a field is found by a linear
/// scan, which the O(n) rewrite of every change already costs, and a command naming many fields indexes them once
/// (<see cref="RespCollections.IndexFromLookups"/>). Fields keep their insertion order, which is the order HGETALL
/// and HSCAN answer in.
/// </remarks>
internal static class RespHashCommands
{
    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.HSet:
            case RespCommandKind.HMSet:
            case RespCommandKind.HSetNx:
                SetFields(c, w, keyspace);
                return true;
            case RespCommandKind.HGet:
            {
                // A walk over the fields' bytes, nothing decoded: the value is the element after the field.
                if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Hash, w, out var hash))
                    return true;
                var span = hash.Span;
                var at = CollectionCodec.Find(span, c.GetArgument(2), stride: 2);
                if (at < 0)
                {
                    RespKeyCommands.WriteNull(w, respVersion);
                }
                else
                {
                    CollectionCodec.ReadElement(span, at, out var start, out var length);
                    RespWriter.WriteBulkString(w, span.Slice(start, length));
                }
                return true;
            }
            case RespCommandKind.HMGet:
            {
                if (!Read(c, w, keyspace, out var pairs))
                    return true;
                RespWriter.WriteArrayHeader(w, c.Count - 2);
                var index = c.Count - 2 >= RespCollections.IndexFromLookups ? IndexFields(pairs) : null;
                for (var i = 2; i < c.Count; i++)
                {
                    var at = Find(pairs, index, c.GetArgument(i));
                    if (at < 0)
                        RespKeyCommands.WriteNull(w, respVersion);
                    else
                        RespWriter.WriteBulkString(w, pairs[at + 1].Span);
                }
                return true;
            }
            case RespCommandKind.HGetAll:
            {
                if (!Read(c, w, keyspace, out var pairs))
                    return true;
                if (respVersion == 3)
                {
                    RespWriter.WriteMapHeader(w, pairs.Count / 2);
                    foreach (var p in pairs)
                        RespWriter.WriteBulkString(w, p.Span);
                }
                else
                {
                    RespCollections.WriteArray(w, pairs, 0, pairs.Count);
                }
                return true;
            }
            case RespCommandKind.HKeys:
            case RespCommandKind.HVals:
            {
                if (!Read(c, w, keyspace, out var pairs))
                    return true;
                RespWriter.WriteArrayHeader(w, pairs.Count / 2);
                for (var i = c.Kind == RespCommandKind.HKeys ? 0 : 1; i < pairs.Count; i += 2)
                    RespWriter.WriteBulkString(w, pairs[i].Span);
                return true;
            }
            case RespCommandKind.HLen:
                // A hash holds two elements per field.
                if (RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Hash, w, out var value))
                    RespWriter.WriteInteger(w, CollectionCodec.Count(value.Span) / 2);
                return true;
            case RespCommandKind.HExists:
            {
                if (RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Hash, w, out var hash))
                    RespWriter.WriteRaw(w, CollectionCodec.Find(hash.Span, c.GetArgument(2), stride: 2) >= 0 ? RespReplies.One : RespReplies.Zero);
                return true;
            }
            case RespCommandKind.HStrLen:
            {
                if (!Read(c, w, keyspace, out var pairs))
                    return true;
                var at = Find(pairs, c.GetArgument(2));
                RespWriter.WriteInteger(w, at < 0 ? 0 : pairs[at + 1].Length);
                return true;
            }
            case RespCommandKind.HDel:
                Delete(c, w, keyspace);
                return true;
            case RespCommandKind.HIncrBy:
            case RespCommandKind.HIncrByFloat:
                Increment(c, w, keyspace);
                return true;
            case RespCommandKind.HRandField:
                RandomFields(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.HScan:
            {
                if (!RespCollectionScan.TryParse(c, w, out var pattern))
                    return true;
                if (Read(c, w, keyspace, out var pairs))
                    RespCollectionScan.Write(w, pairs, 2, pattern);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>The index of <paramref name="field"/>'s field element in the pairs, or -1.</summary>
    private static int Find(List<ReadOnlyMemory<byte>> pairs, ReadOnlySpan<byte> field)
    {
        for (var i = 0; i < pairs.Count; i += 2)
        {
            if (RespCollections.Same(pairs[i], field))
                return i;
        }
        return -1;
    }

    /// <summary>The index of <paramref name="field"/>'s field element: in <paramref name="index"/> when the command made one, else by a scan.</summary>
    private static int Find(List<ReadOnlyMemory<byte>> pairs, Dictionary<ReadOnlyMemory<byte>, int>? index, ReadOnlySpan<byte> field)
    {
        if (index is null)
            return Find(pairs, field);
        return index.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(field, out var at) ? at : -1;
    }

    /// <summary>Each field's element index, for a command that looks up many fields (<see cref="RespCollections.IndexFromLookups"/>).</summary>
    private static Dictionary<ReadOnlyMemory<byte>, int> IndexFields(List<ReadOnlyMemory<byte>> pairs)
    {
        var index = new Dictionary<ReadOnlyMemory<byte>, int>(pairs.Count / 2, RespCollections.BytesComparer.Instance);
        for (var i = 0; i < pairs.Count; i += 2)
            index.TryAdd(pairs[i], i);
        return index;
    }

    private static bool Read(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, out List<ReadOnlyMemory<byte>> pairs)
    {
        pairs = [];
        if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Hash, w, out var value))
            return false;
        pairs = RespCollections.Elements(value);
        return true;
    }

    private static void SetFields(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (c.Kind == RespCommandKind.HSetNx ? c.Count != 4 : (c.Count - 2) % 2 != 0)
        {
            RespErrors.WriteWrongArity(w, c.Kind == RespCommandKind.HSet ? "hset"u8 : c.Kind == RespCommandKind.HMSet ? "hmset"u8 : "hsetnx"u8);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.Hash, w, out var value, out var expiresAt))
            return;
        if (c.Count == 4)
        {
            SetOneField(c, w, keyspace, write, value.Span, expiresAt);
            return;
        }
        var pairs = RespCollections.Elements(value, c.Count - 2);
        var index = (c.Count - 2) / 2 >= RespCollections.IndexFromLookups ? IndexFields(pairs) : null;
        var added = 0;
        for (var i = 2; i + 1 < c.Count; i += 2)
        {
            var at = Find(pairs, index, c.GetArgument(i));
            if (at >= 0)
            {
                if (c.Kind == RespCommandKind.HSetNx)
                {
                    RespWriter.WriteRaw(w, RespReplies.Zero);
                    return;
                }
                pairs[at + 1] = c.GetArgument(i + 1).ToArray();
                continue;
            }
            var field = c.GetArgument(i).ToArray();
            index?.Add(field, pairs.Count);
            pairs.Add(field);
            pairs.Add(c.GetArgument(i + 1).ToArray());
            added++;
        }
        if (!RespCollections.Store(write, keyspace, EntryType.Hash, pairs, pairs.Count, expiresAt, w, NotifyClass.Hash, "hset"u8))
            return;
        if (c.Kind == RespCommandKind.HMSet)
            RespWriter.WriteRaw(w, RespReplies.Ok);
        else
            RespWriter.WriteInteger(w, added);
    }

    /// <summary>
    /// HSET/HMSET/HSETNX of one field: the field looked for by a walk over the stored bytes, then its value spliced in
    /// place (or the pair appended) with one copy: the same bytes the decoding path stores.
    /// </summary>
    private static void SetOneField(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, in KeyWrite write, ReadOnlySpan<byte> old, long expiresAt)
    {
        var field = c.GetArgument(2);
        var fieldValue = c.GetArgument(3);
        var at = CollectionCodec.Find(old, field, stride: 2);
        if (at >= 0 && c.Kind == RespCommandKind.HSetNx)
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        long size;
        int keepTo, resumeAt, count;
        if (at >= 0)
        {
            // The field's present value [at, end) gives way to the new one; the count stays.
            CollectionCodec.ReadElement(old, at, out var start, out var length);
            count = CollectionCodec.Count(old);
            keepTo = at;
            resumeAt = start + length;
            size = old.Length - (resumeAt - at) + CollectionCodec.ElementSize(fieldValue.Length);
        }
        else
        {
            count = CollectionCodec.Count(old) + 2;
            keepTo = old.Length;
            resumeAt = old.Length;
            size = CollectionCodec.CountSize(count) + (old.Length - CollectionCodec.HeaderSize(old))
                + CollectionCodec.ElementSize(field.Length) + CollectionCodec.ElementSize(fieldValue.Length);
        }
        if (size > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, RespCollections.TooLarge);
            return;
        }
        var buffer = CollectionCodec.Rent(size);
        try
        {
            var next = buffer.AsSpan(0, (int)size);
            int written;
            if (at >= 0)
            {
                old[..keepTo].CopyTo(next);
                written = keepTo + CollectionCodec.WriteElement(next[keepTo..], fieldValue);
            }
            else
            {
                written = CollectionCodec.WriteCount(next, count);
                var body = old[CollectionCodec.HeaderSize(old)..];
                body.CopyTo(next[written..]);
                written += body.Length;
                written += CollectionCodec.WriteElement(next[written..], field);
                written += CollectionCodec.WriteElement(next[written..], fieldValue);
            }
            old[resumeAt..].CopyTo(next[written..]);
            write.PutChange(next, EntryType.Hash, expiresAt);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        keyspace.Notify(NotifyClass.Hash, "hset"u8, write.Key);
        if (c.Kind == RespCommandKind.HMSet)
            RespWriter.WriteRaw(w, RespReplies.Ok);
        else
            RespWriter.WriteInteger(w, at >= 0 ? 0 : 1);
    }

    private static void Delete(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.Hash, w, out var value, out var expiresAt))
            return;
        var pairs = RespCollections.Elements(value);
        // One pass over the hash, whatever the number of fields named (a scan and a removal each was quadratic).
        var removing = new HashSet<ReadOnlyMemory<byte>>(c.Count - 2, RespCollections.BytesComparer.Instance);
        var named = removing.GetAlternateLookup<ReadOnlySpan<byte>>();
        for (var i = 2; i < c.Count; i++)
            named.Add(c.GetArgument(i));
        var kept = 0;
        for (var i = 0; i < pairs.Count; i += 2)
        {
            if (removing.Contains(pairs[i]))
                continue;
            pairs[kept] = pairs[i];
            pairs[kept + 1] = pairs[i + 1];
            kept += 2;
        }
        var removed = (pairs.Count - kept) / 2;
        pairs.RemoveRange(kept, pairs.Count - kept);
        if (removed == 0 || RespCollections.Store(write, keyspace, EntryType.Hash, pairs, pairs.Count, expiresAt, w, NotifyClass.Hash, "hdel"u8))
            RespWriter.WriteInteger(w, removed);
    }

    private static void Increment(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var isFloat = c.Kind == RespCommandKind.HIncrByFloat;
        long delta = 0;
        double floatDelta = 0;
        if (isFloat ? !RespStringCommands.TryParseFloat(c.GetArgument(3), out floatDelta) : !c.TryGetInt64(3, out delta))
        {
            RespWriter.WriteRaw(w, isFloat ? "-ERR value is not a valid float\r\n"u8 : RespReplies.NotAnInteger);
            return;
        }
        if (double.IsInfinity(floatDelta))
        {
            RespWriter.WriteError(w, "value is NaN or Infinity"u8);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.Hash, w, out var value, out var expiresAt))
            return;
        var pairs = RespCollections.Elements(value, 2);
        var at = Find(pairs, c.GetArgument(2));
        byte[] result;
        long next = 0;
        if (isFloat)
        {
            double current = 0;
            if (at >= 0 && !RespStringCommands.TryParseFloat(pairs[at + 1].Span, out current))
            {
                RespWriter.WriteError(w, "hash value is not a float"u8);
                return;
            }
            var sum = current + floatDelta;
            if (double.IsNaN(sum) || double.IsInfinity(sum))
            {
                RespWriter.WriteError(w, "increment would produce NaN or Infinity"u8);
                return;
            }
            result = Encoding.ASCII.GetBytes(RespStringCommands.FormatFloat(sum));
        }
        else
        {
            long current = 0;
            if (at >= 0 && !RespInteger.TryParseInt64(pairs[at + 1].Span, out current))
            {
                RespWriter.WriteError(w, "hash value is not an integer"u8);
                return;
            }
            if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
            {
                RespWriter.WriteRaw(w, RespReplies.IncrementOverflow);
                return;
            }
            next = current + delta;
            result = Encoding.ASCII.GetBytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (at >= 0)
        {
            pairs[at + 1] = result;
        }
        else
        {
            pairs.Add(c.GetArgument(2).ToArray());
            pairs.Add(result);
        }
        if (!RespCollections.Store(write, keyspace, EntryType.Hash, pairs, pairs.Count, expiresAt, w, NotifyClass.Hash, isFloat ? "hincrbyfloat"u8 : "hincrby"u8))
            return;
        if (isFloat)
            RespWriter.WriteBulkString(w, result);
        else
            RespWriter.WriteInteger(w, next);
    }

    /// <summary>HRANDFIELD key [count [WITHVALUES]]: Redis's rules (a negative count may repeat fields).</summary>
    private static void RandomFields(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        long count = 1;
        var withCount = c.Count >= 3;
        var withValues = false;
        if (c.Count > 4 || (c.Count == 4 && !(withValues = c.ArgumentEquals(3, "WITHVALUES"u8))))
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (withCount && !c.TryGetInt64(2, out count))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (withCount && !RespCollectionScan.CheckPicks(count, w))
            return;
        if (!Read(c, w, keyspace, out var pairs))
            return;
        var fields = pairs.Count / 2;
        if (!withCount)
        {
            if (fields == 0)
                RespKeyCommands.WriteNull(w, respVersion);
            else
                RespWriter.WriteBulkString(w, pairs[2 * Random.Shared.Next(fields)].Span);
            return;
        }
        var picks = RespCollectionScan.Pick(fields, count);
        var nested = withValues && respVersion == 3;
        RespWriter.WriteArrayHeader(w, withValues && !nested ? picks.Count * 2 : picks.Count);
        foreach (var p in picks)
        {
            if (nested)
                RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, pairs[2 * p].Span);
            if (withValues)
                RespWriter.WriteBulkString(w, pairs[(2 * p) + 1].Span);
        }
    }
}
