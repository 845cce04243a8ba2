using System.Buffers;
using System.Buffers.Text;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Runs a keyed command against the store of the node that owns its keys: the one implementation used both for
/// keys this node owns and, at the owner, for commands other nodes send over the mesh (RespExecute).
/// </summary>
/// <remarks>
/// Every single-key command is atomic at the owner: reads and upserts are single store calls, and read-modify-write
/// commands (INCR, APPEND, SET XX) loop on <see cref="IKeyValueStore.TryReplace"/> (identity compare-and-swap), so a
/// concurrent writer makes the loser retry on the new value rather than lose an update. Nothing here allocates except
/// the stored copies the store makes, and APPEND's combined value.
/// </remarks>
internal static class RespKeyCommands
{
    // 20: the digits of long.MinValue plus its sign.
    private const int MaxInt64Digits = 20;

    private static ReadOnlySpan<byte> NoExpiry =>
        "-ERR FastDht keys do not expire: EX, PX, EXAT, PXAT, SETEX and PSETEX are not supported\r\n"u8;

    /// <summary>Executes a keyed command whose keys this node owns; the caller has checked its arity.</summary>
    public static void Execute(RespCommand c, IBufferWriter<byte> w, IKeyValueStore store, int respVersion, ref KeyspaceCounters counters)
    {
        switch (c.Kind)
        {
            case RespCommandKind.Get:
                if (store.TryGet(c.GetArgument(1), out var value))
                {
                    counters.Hits++;
                    RespWriter.WriteBulkString(w, value.Span);
                }
                else
                {
                    counters.Misses++;
                    WriteNull(w, respVersion);
                }
                return;
            case RespCommandKind.Set:
                Set(c, w, store, respVersion);
                return;
            case RespCommandKind.SetNx:
                RespWriter.WriteRaw(w, store.PutIfAbsent(c.GetArgument(1), c.GetArgument(2)) ? RespReplies.One : RespReplies.Zero);
                return;
            case RespCommandKind.SetEx:
            case RespCommandKind.PSetEx:
                RespWriter.WriteRaw(w, NoExpiry);
                return;
            case RespCommandKind.GetSet:
                if (store.TryGetAndPut(c.GetArgument(1), c.GetArgument(2), out var previous))
                    RespWriter.WriteBulkString(w, previous.Span);
                else
                    WriteNull(w, respVersion);
                return;
            case RespCommandKind.Del:
            case RespCommandKind.Unlink:
            {
                long deleted = 0;
                for (int i = 1; i < c.Count; i++)
                {
                    if (store.Delete(c.GetArgument(i)))
                        deleted++;
                }
                RespWriter.WriteInteger(w, deleted);
                return;
            }
            case RespCommandKind.Exists:
            {
                long found = 0;
                for (int i = 1; i < c.Count; i++)
                {
                    if (store.TryGet(c.GetArgument(i), out _))
                        found++;
                }
                RespWriter.WriteInteger(w, found);
                return;
            }
            case RespCommandKind.Incr:
                IncrementBy(c, w, store, 1);
                return;
            case RespCommandKind.Decr:
                IncrementBy(c, w, store, -1);
                return;
            case RespCommandKind.IncrBy:
            case RespCommandKind.DecrBy:
                if (!c.TryGetInt64(2, out var delta))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (c.Kind == RespCommandKind.DecrBy)
                {
                    if (delta == long.MinValue)
                    {
                        RespWriter.WriteRaw(w, "-ERR decrement would overflow\r\n"u8);
                        return;
                    }
                    delta = -delta;
                }
                IncrementBy(c, w, store, delta);
                return;
            case RespCommandKind.Append:
                Append(c, w, store);
                return;
            case RespCommandKind.StrLen:
                RespWriter.WriteInteger(w, store.TryGet(c.GetArgument(1), out value) ? value.Length : 0);
                return;
            case RespCommandKind.Type:
                RespWriter.WriteRaw(w, store.TryGet(c.GetArgument(1), out _) ? "+string\r\n"u8 : "+none\r\n"u8);
                return;
            case RespCommandKind.Ttl:
            case RespCommandKind.PTtl:
                // No key expires: a present key has no TTL (-1), an absent one -2, as Redis answers.
                RespWriter.WriteRaw(w, store.TryGet(c.GetArgument(1), out _) ? RespReplies.MinusOne : RespReplies.MinusTwo);
                return;
            default:
                RespWriter.WriteError(w, "this command cannot run at a key's owner"u8);
                return;
        }
    }

    public static void WriteNull(IBufferWriter<byte> w, int respVersion) =>
        RespWriter.WriteRaw(w, respVersion == 3 ? RespReplies.Null3 : RespReplies.NullBulk);

    private static void Set(RespCommand c, IBufferWriter<byte> w, IKeyValueStore store, int respVersion)
    {
        bool nx = false, xx = false, get = false;
        for (int i = 3; i < c.Count; i++)
        {
            switch (c.GetKeyword(i))
            {
                case RespKeyword.Nx when !xx:
                    nx = true;
                    break;
                case RespKeyword.Xx when !nx:
                    xx = true;
                    break;
                case RespKeyword.Get:
                    get = true;
                    break;
                case RespKeyword.KeepTtl:
                    // Keep the key's TTL: no key has one, so there is nothing to keep.
                    break;
                case RespKeyword.Ex:
                case RespKeyword.Px:
                case RespKeyword.ExAt:
                case RespKeyword.PxAt:
                    if (i + 1 >= c.Count)
                    {
                        RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                        return;
                    }
                    RespWriter.WriteRaw(w, NoExpiry);
                    return;
                default:
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return;
            }
        }

        var key = c.GetArgument(1);
        var value = c.GetArgument(2);
        if (!nx && !xx)
        {
            if (!get)
            {
                store.Put(key, value);
                RespWriter.WriteRaw(w, RespReplies.Ok);
            }
            else if (store.TryGetAndPut(key, value, out var previous))
            {
                RespWriter.WriteBulkString(w, previous.Span);
            }
            else
            {
                WriteNull(w, respVersion);
            }
            return;
        }

        while (true)
        {
            var present = store.TryGet(key, out var current);
            if (nx)
            {
                if (present)
                {
                    // Not stored: plain NX answers nil; NX GET answers the value that blocked it.
                    if (get)
                        RespWriter.WriteBulkString(w, current.Span);
                    else
                        WriteNull(w, respVersion);
                    return;
                }
                if (store.PutIfAbsent(key, value))
                {
                    if (get)
                        WriteNull(w, respVersion);
                    else
                        RespWriter.WriteRaw(w, RespReplies.Ok);
                    return;
                }
            }
            else
            {
                if (!present)
                {
                    WriteNull(w, respVersion);
                    return;
                }
                if (store.TryReplace(key, current, value))
                {
                    if (get)
                        RespWriter.WriteBulkString(w, current.Span);
                    else
                        RespWriter.WriteRaw(w, RespReplies.Ok);
                    return;
                }
            }
            // Another writer got in between the read and the conditional write: decide again on what is there now.
        }
    }

    private static void IncrementBy(RespCommand c, IBufferWriter<byte> w, IKeyValueStore store, long delta)
    {
        var key = c.GetArgument(1);
        Span<byte> digits = stackalloc byte[MaxInt64Digits];
        while (true)
        {
            long current = 0;
            var present = store.TryGet(key, out var existing);
            if (present && !RespInteger.TryParseInt64(existing.Span, out current))
            {
                RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                return;
            }
            if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
            {
                RespWriter.WriteRaw(w, RespReplies.IncrementOverflow);
                return;
            }
            var next = current + delta;
            Utf8Formatter.TryFormat(next, digits, out var length);
            var text = digits[..length];
            if (present ? store.TryReplace(key, existing, text) : store.PutIfAbsent(key, text))
            {
                RespWriter.WriteInteger(w, next);
                return;
            }
        }
    }

    private static void Append(RespCommand c, IBufferWriter<byte> w, IKeyValueStore store)
    {
        var key = c.GetArgument(1);
        var suffix = c.GetArgument(2);
        while (true)
        {
            if (!store.TryGet(key, out var existing))
            {
                if (store.PutIfAbsent(key, suffix))
                {
                    RespWriter.WriteInteger(w, suffix.Length);
                    return;
                }
                continue;
            }
            var total = existing.Length + suffix.Length;
            var combined = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
            try
            {
                existing.Span.CopyTo(combined);
                suffix.CopyTo(combined.AsSpan(existing.Length));
                if (store.TryReplace(key, existing, combined.AsSpan(0, total)))
                {
                    RespWriter.WriteInteger(w, total);
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(combined);
            }
        }
    }
}
