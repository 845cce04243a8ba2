using System.Buffers;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>PFADD, PFCOUNT and PFMERGE on Redis's HyperLogLog strings (<see cref="HyperLogLog"/>), with Redis 7.0.15's replies and errors.</summary>
/// <remarks>
/// A HyperLogLog is a string: GET, SET, DUMP and RESTORE move it, and every change is one <see cref="KeyWrite"/> stored
/// as a change record of the string (a PFADD that raises one register of a 12 KB dense value logs and replicates a few
/// bytes). PFCOUNT of one key stores the count it computed in the value's header as Redis does (so GET gives Redis's
/// bytes), except at a replica's copy, which only the primary changes. PFCOUNT of several keys and PFMERGE run as
/// transactions of the coordinator (keys on any nodes), so here they only meet a transaction's scratch keyspace.
/// </remarks>
internal static class RespHyperLogLogCommands
{
    private static ReadOnlySpan<byte> NotHll => "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"u8;

    private static ReadOnlySpan<byte> Corrupt => "-INVALIDOBJ Corrupted HLL object detected\r\n"u8;

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        switch (c.Kind)
        {
            case RespCommandKind.PfAdd:
                PfAdd(c, w, keyspace);
                return true;
            case RespCommandKind.PfCount:
                if (c.Count > 2)
                    CountUnion(c, w, keyspace);
                else
                    PfCount(c, w, keyspace);
                return true;
            case RespCommandKind.PfMerge:
                PfMerge(c, w, keyspace);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Redis's isHLLObjectOrReply: a collection is the usual WRONGTYPE, a string that is not an HLL its own.</summary>
    private static bool CheckHll(IBufferWriter<byte> w, ReadOnlySpan<byte> value, EntryType type)
    {
        if (type != EntryType.String)
        {
            RespWriter.WriteRaw(w, RespReplies.WrongType);
            return false;
        }
        if (!HyperLogLog.IsValid(value))
        {
            RespWriter.WriteRaw(w, NotHll);
            return false;
        }
        return true;
    }

    private static void PfAdd(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        var present = write.TryGet(out var current, out _, out var type);
        if (present && !CheckHll(w, current.Span, type))
            return;
        var buffer = ArrayPool<byte>.Shared.Rent(HyperLogLog.WorkLength(current.Length));
        try
        {
            var work = buffer.AsSpan();
            int length;
            var updated = 0;
            if (present)
            {
                current.Span.CopyTo(work);
                length = current.Length;
            }
            else
            {
                length = HyperLogLog.CreateEmpty(work);
                updated++;
            }
            for (var i = 2; i < c.Count; i++)
            {
                var added = HyperLogLog.Add(work, ref length, c.GetArgument(i));
                if (added < 0)
                {
                    RespWriter.WriteRaw(w, Corrupt);
                    return;
                }
                updated += added;
            }
            if (updated > 0)
            {
                HyperLogLog.InvalidateCache(work);
                write.PutChangeKeepingExpiry(work[..length]);
                keyspace.Notify(NotifyClass.String, "pfadd"u8, c.GetArgument(1));
            }
            RespWriter.WriteRaw(w, updated > 0 ? RespReplies.One : RespReplies.Zero);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>PFCOUNT key: the cached count when valid, else computed and cached in the header (a change of the string, as in Redis).</summary>
    private static void PfCount(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var key = c.GetArgument(1);
        if (!keyspace.TryGetTyped(key, out var value, out var type))
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        if (!CheckHll(w, value.Span, type))
            return;
        if (HyperLogLog.TryGetCache(value.Span, out var cached))
        {
            RespWriter.WriteInteger(w, cached);
            return;
        }
        var count = HyperLogLog.Count(value.Span, out var invalid);
        if (invalid)
        {
            RespWriter.WriteRaw(w, Corrupt);
            return;
        }
        RespWriter.WriteInteger(w, count);
        if (keyspace.ServesKey(key))
            StoreCache(keyspace, key, value, count);
    }

    /// <summary>
    /// Caches <paramref name="count"/> in the value's header, if the key still holds the value it was computed from; a
    /// write refused (a transaction holds the key, a slot move) only skips the cache: the count stays right.
    /// </summary>
    private static void StoreCache(LocalKeyspace keyspace, ReadOnlySpan<byte> key, ReadOnlyMemory<byte> counted, long count)
    {
        using var write = keyspace.BeginWrite(key, fence: null);
        if (write.Refusal != KeyWriteRefusal.None || !write.TryGet(out var current, out _, out var type) || type != EntryType.String
            || !current.Span.SequenceEqual(counted.Span))
            return;
        var buffer = ArrayPool<byte>.Shared.Rent(current.Length);
        try
        {
            var next = buffer.AsSpan(0, current.Length);
            current.Span.CopyTo(next);
            HyperLogLog.SetCache(next, count);
            write.PutChangeKeepingExpiry(next);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>PFCOUNT key key...: the count of the union, nothing stored.</summary>
    private static void CountUnion(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HyperLogLog.Registers);
        try
        {
            var max = buffer.AsSpan(0, HyperLogLog.Registers);
            max.Clear();
            if (!MergeInto(c, 1, w, keyspace, max, out _))
                return;
            RespWriter.WriteInteger(w, HyperLogLog.CountRegisters(max));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The registers of the keys from argument <paramref name="first"/> on, merged into <paramref name="max"/>; false with the error written.</summary>
    private static bool MergeInto(RespCommand c, int first, IBufferWriter<byte> w, LocalKeyspace keyspace, Span<byte> max, out bool anyDense)
    {
        anyDense = false;
        for (var i = first; i < c.Count; i++)
        {
            if (!keyspace.TryGetTyped(c.GetArgument(i), out var value, out var type))
                continue; // an absent key is an empty HyperLogLog
            if (!CheckHll(w, value.Span, type))
                return false;
            anyDense |= HyperLogLog.IsDense(value.Span);
            if (!HyperLogLog.Merge(max, value.Span))
            {
                RespWriter.WriteRaw(w, Corrupt);
                return false;
            }
        }
        return true;
    }

    /// <summary>PFMERGE destkey [sourcekey...]: the union of every key named (the destination's own registers included) into the destination, which keeps its expiry.</summary>
    private static void PfMerge(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var maxBuffer = ArrayPool<byte>.Shared.Rent(HyperLogLog.Registers);
        byte[]? buffer = null;
        try
        {
            var max = maxBuffer.AsSpan(0, HyperLogLog.Registers);
            max.Clear();
            if (!MergeInto(c, 1, w, keyspace, max, out var anyDense))
                return;
            using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
            if (write.Refusal != KeyWriteRefusal.None)
            {
                RespKeyCommands.WriteRefused(w, write.Refusal);
                return;
            }
            var present = write.TryGet(out var current);
            buffer = ArrayPool<byte>.Shared.Rent(HyperLogLog.WorkLength(current.Length));
            var work = buffer.AsSpan();
            int length;
            if (present)
            {
                current.Span.CopyTo(work);
                length = current.Length;
            }
            else
            {
                length = HyperLogLog.CreateEmpty(work);
            }
            if (anyDense && !HyperLogLog.SparseToDense(work, ref length))
            {
                RespWriter.WriteRaw(w, Corrupt);
                return;
            }
            for (var j = 0; j < HyperLogLog.Registers; j++)
            {
                // Redis ignores a corrupt sparse destination here (its registers were checked when merged above).
                if (max[j] != 0)
                    HyperLogLog.Set(work, ref length, j, max[j]);
            }
            HyperLogLog.InvalidateCache(work);
            write.PutChangeKeepingExpiry(work[..length]);
            keyspace.Notify(NotifyClass.String, "pfadd"u8, c.GetArgument(1)); // Redis's PFMERGE event too
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(maxBuffer);
            if (buffer is not null)
                ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
