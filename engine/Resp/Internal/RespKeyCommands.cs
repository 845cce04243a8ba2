using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Buffers.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Runs a keyed command on the keyspace of the node that owns its keys: the one implementation used both for keys
/// this node owns and, at the owner, for commands other nodes send over the mesh (RespExecute).
/// </summary>
/// <remarks>
/// Every write goes through <see cref="LocalKeyspace"/>, under the same lock rule as the native protocol: a write to a
/// key some transaction holds (a MultiPut, an MSET, an MGET's shared lock, an explicit Lock) is refused with
/// <c>-TRYAGAIN</c> and changes nothing. A read-modify-write command (INCR, APPEND, SET NX/XX/GET, GETSET) reads and
/// writes inside one <see cref="KeyWrite"/>, which serializes every writer of the key, so it is atomic at the owner
/// without a retry loop. A multi-key DEL/UNLINK applies key by key (each key atomically; Redis Cluster likewise runs
/// it per node). Nothing here allocates except the stored copies the store makes, and APPEND's combined value.
/// </remarks>
internal static class RespKeyCommands
{
    // 20: the digits of long.MinValue plus its sign.
    private const int MaxInt64Digits = 20;

    /// <summary>The reply to a write refused because a transaction holds the key: retryable, as Redis Cluster's TRYAGAIN is.</summary>
    internal static ReadOnlySpan<byte> Locked =>
        "-TRYAGAIN the key is locked by a transaction (MSET, MGET, MultiPut or an explicit lock); nothing was changed, retry\r\n"u8;

    /// <summary>The reply to a write refused because the node's log cannot reach the disk: Redis's MISCONF, which clients already treat as "writes are off".</summary>
    internal static ReadOnlySpan<byte> LogUnavailable =>
        "-MISCONF FastDht cannot write its log to disk (disk full, I/O error, or its data directory deleted): writes are refused until it can, reads are served; nothing was changed\r\n"u8;

    /// <summary>The reply to a write refused because the key's slot is being handed to another node: TRYAGAIN, which cluster clients retry.</summary>
    internal static ReadOnlySpan<byte> Moving =>
        "-TRYAGAIN the key's slot is being handed to another node; nothing was changed, retry\r\n"u8;

    /// <summary>The reply to a write refused by the keyspace; none for a handover refusal the caller holds (<see cref="HandoverHold"/>).</summary>
    internal static void WriteRefused(IBufferWriter<byte> w, KeyWriteRefusal refusal)
    {
        if (refusal == KeyWriteRefusal.Moving && HandoverHold.TryHold())
            return;
        RespWriter.WriteRaw(w, refusal switch
        {
            KeyWriteRefusal.LogUnavailable => LogUnavailable,
            KeyWriteRefusal.Moving => Moving,
            _ => Locked,
        });
    }

    /// <summary>The keyless commands a node runs for the whole cluster on every member (sent to peers as RespExecute).</summary>
    public static bool RunsOnEveryNode(RespCommandKind kind) => kind is RespCommandKind.FlushAll or RespCommandKind.FlushDb or
        RespCommandKind.Keys or RespCommandKind.Scan or RespCommandKind.RandomKey or RespCommandKind.DbSize;

    /// <summary>KEYS pattern at this node: its keys that match, expired ones left out, as a RESP array.</summary>
    public static void WriteLocalKeys(IBufferWriter<byte> w, LocalKeyspace keyspace, ReadOnlySpan<byte> pattern)
    {
        var matches = CollectKeys(keyspace, pattern.ToArray());
        RespWriter.WriteArrayHeader(w, matches.Count);
        foreach (var key in matches)
            RespWriter.WriteBulkString(w, key);
    }

    /// <summary>This node's keys matching <paramref name="pattern"/>, walking the store in batches.</summary>
    public static List<byte[]> CollectKeys(LocalKeyspace keyspace, byte[] pattern)
    {
        var visitor = new KeyCollector(pattern, keyspace.NowMs, keyspace);
        // Bounded: the cursor walks the hash space once; 1024 a batch.
        ulong cursor = 0;
        do
            cursor = keyspace.Scan(cursor, 1024, ref visitor);
        while (cursor != 0);
        return visitor.Keys;
    }

    /// <summary>Collects the keys of a scan that match a pattern and have not expired.</summary>
    private struct KeyCollector(byte[] pattern, long now, LocalKeyspace keyspace) : IStoreEntryVisitor
    {
        private readonly bool _all = pattern is [(byte)'*'];

        public List<byte[]> Keys { get; } = [];

        public void Visit(in StoreEntry entry)
        {
            if ((entry.Metadata.HasExpiry && entry.Metadata.ExpiresAt <= now) || !keyspace.ServesKey(entry.Key.Span))
                return;
            var key = entry.Key.Span;
            if (_all || RespGlob.IsMatch(pattern, key))
                Keys.Add(key.ToArray());
        }
    }

    /// <summary>Executes a keyed command whose keys this node owns; the caller has checked its arity.</summary>
    public static void Execute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        // The changes of one command reach a broadcasting (BCAST) tracking connection as one message per prefix, as
        // Redis gathers them, not one per key (MSET a b c: one message with three keys).
        if (!keyspace.BeginChangeGroup())
        {
            ExecuteCommand(c, w, keyspace, respVersion);
            return;
        }
        try
        {
            ExecuteCommand(c, w, keyspace, respVersion);
        }
        finally
        {
            keyspace.EndChangeGroup();
        }
    }

    private static void ExecuteCommand(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (!ReadsStringValue(c))
        {
            Run(c, w, keyspace, respVersion);
            return;
        }
        if (c.Kind == RespCommandKind.Lcs)
        {
            // Two keys: their gates are not taken together (only FLUSHALL holds several, in order); LCS only reads.
            if (HoldsCollection(c, keyspace))
                RespWriter.WriteRaw(w, RespReplies.WrongType);
            else
                Run(c, w, keyspace, respVersion);
            return;
        }
        // Under the key's gate, which the command's own write enters again: no collection appears between the check
        // and the command, so a string command never reads a collection's encoding as a string.
        using var gate = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (gate.HoldsCollection())
            RespWriter.WriteRaw(w, RespReplies.WrongType);
        else
            Run(c, w, keyspace, respVersion);
    }

    private static void Run(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.Get:
                // Counted as a keyspace hit or miss by the keyspace itself, like every read.
                if (!keyspace.TryGetTyped(c.GetArgument(1), out var value, out var type))
                    WriteNull(w, respVersion);
                else if (type != EntryType.String)
                    RespWriter.WriteRaw(w, RespReplies.WrongType);
                else
                    RespWriter.WriteBulkString(w, value.Span);
                return;
            case RespCommandKind.Set:
                RespExpiryCommands.Set(c, w, keyspace, respVersion);
                return;
            case RespCommandKind.SetNx:
                switch (keyspace.PutIfAbsent(c.GetArgument(1), c.GetArgument(2)))
                {
                    case KeyWriteResult.Ok:
                        keyspace.Notify(NotifyClass.String, "set"u8, c.GetArgument(1));
                        RespWriter.WriteRaw(w, RespReplies.One);
                        break;
                    case KeyWriteResult.Exists:
                        RespWriter.WriteRaw(w, RespReplies.Zero);
                        break;
                    case KeyWriteResult.LogUnavailable:
                        RespWriter.WriteRaw(w, LogUnavailable);
                        break;
                    case KeyWriteResult.Moving:
                        WriteRefused(w, KeyWriteRefusal.Moving);
                        break;
                    default:
                        RespWriter.WriteRaw(w, Locked);
                        break;
                }
                return;
            case RespCommandKind.GetSet:
            {
                using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
                if (write.Refusal != KeyWriteRefusal.None)
                    WriteRefused(w, write.Refusal);
                else
                {
                    var replaced = write.GetAndPut(c.GetArgument(2), out var previous);
                    keyspace.Notify(NotifyClass.String, "set"u8, c.GetArgument(1));
                    if (replaced)
                        RespWriter.WriteBulkString(w, previous.Span);
                    else
                        WriteNull(w, respVersion);
                }
                return;
            }
            case RespCommandKind.Del:
            case RespCommandKind.Unlink:
            {
                long deleted = 0;
                for (int i = 1; i < c.Count; i++)
                {
                    var result = keyspace.Delete(c.GetArgument(i));
                    if (result == KeyWriteResult.Ok)
                    {
                        deleted++;
                        keyspace.Notify(NotifyClass.Generic, "del"u8, c.GetArgument(i));
                    }
                    else if (result is KeyWriteResult.Locked or KeyWriteResult.LogUnavailable or KeyWriteResult.Moving)
                    {
                        // Keys before this one are already deleted: say so in the error, as the count cannot be sent.
                        WriteRefusedAfter(w, deleted, result switch
                        {
                            KeyWriteResult.Locked => KeyWriteRefusal.Locked,
                            KeyWriteResult.Moving => KeyWriteRefusal.Moving,
                            _ => KeyWriteRefusal.LogUnavailable,
                        });
                        return;
                    }
                }
                RespWriter.WriteInteger(w, deleted);
                return;
            }
            case RespCommandKind.Exists:
            case RespCommandKind.Touch:
            {
                long found = 0;
                for (int i = 1; i < c.Count; i++)
                {
                    if (keyspace.TryGet(c.GetArgument(i), out _))
                        found++;
                }
                RespWriter.WriteInteger(w, found);
                return;
            }
            case RespCommandKind.Incr:
                IncrementBy(c, w, keyspace, 1);
                return;
            case RespCommandKind.Decr:
                IncrementBy(c, w, keyspace, -1);
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
                IncrementBy(c, w, keyspace, delta);
                return;
            case RespCommandKind.Append:
                Append(c, w, keyspace);
                return;
            case RespCommandKind.StrLen:
                RespWriter.WriteInteger(w, keyspace.TryGet(c.GetArgument(1), out value) ? value.Length : 0);
                return;
            case RespCommandKind.Type:
                RespWriter.WriteRaw(w, keyspace.TryGetTyped(c.GetArgument(1), out _, out type) ? TypeReply(type) : "+none\r\n"u8);
                return;
            case RespCommandKind.Keys:
                WriteLocalKeys(w, keyspace, c.GetArgument(1));
                return;
            case RespCommandKind.Scan:
                if (RespScanCommands.TryParse(c, w, out var scan))
                    RespScanCommands.WriteLocalScan(w, keyspace, scan);
                return;
            case RespCommandKind.RandomKey:
                RespScanCommands.WriteLocalRandomKey(w, keyspace, respVersion);
                return;
            case RespCommandKind.DbSize:
                RespWriter.WriteInteger(w, keyspace.Count);
                return;
            case RespCommandKind.Memory:
            case RespCommandKind.Object:
                RespObjectCommands.Execute(c, w, keyspace, respVersion);
                return;
            case RespCommandKind.Sort:
            case RespCommandKind.SortRo:
                RespSortCommand.Execute(c, w, keyspace, respVersion, transaction: null);
                return;
            case RespCommandKind.FlushAll:
            case RespCommandKind.FlushDb:
                // ASYNC and SYNC both clear at once: the store drops its tables, the collector frees them later.
                if (keyspace.Clear() < 0)
                    RespWriter.WriteRaw(w, LogUnavailable);
                else
                    RespWriter.WriteRaw(w, RespReplies.Ok);
                return;
            default:
                if (!RespStringCommands.TryExecute(c, w, keyspace, respVersion) && !RespExpiryCommands.TryExecute(c, w, keyspace, respVersion)
                    && !RespTransactionCommands.TryExecute(c, w, keyspace, respVersion) && !RespListCommands.TryExecute(c, w, keyspace, respVersion)
                    && !RespHashCommands.TryExecute(c, w, keyspace, respVersion) && !RespSetCommands.TryExecute(c, w, keyspace, respVersion)
                    && !RespSortedSetCommands.TryExecute(c, w, keyspace, respVersion) && !RespDumpCommands.TryExecute(c, w, keyspace, respVersion)
                    && !RespBitCommands.TryExecute(c, w, keyspace, respVersion) && !RespHyperLogLogCommands.TryExecute(c, w, keyspace)
                    && !RespGeoCommands.TryExecute(c, w, keyspace, respVersion))
                    RespWriter.WriteError(w, "this command cannot run at a key's owner"u8);
                return;
        }
    }

    /// <summary>TYPE's answer for a present key: Redis's type names.</summary>
    public static ReadOnlySpan<byte> TypeReply(EntryType type) => type switch
    {
        EntryType.List => "+list\r\n"u8,
        EntryType.Hash => "+hash\r\n"u8,
        EntryType.Set => "+set\r\n"u8,
        EntryType.SortedSet => "+zset\r\n"u8,
        EntryType.Stream => "+stream\r\n"u8,
        _ => "+string\r\n"u8,
    };

    /// <summary>
    /// The string commands that read or change a key's value as a string: on a collection they answer WRONGTYPE
    /// (GET checks on its own read; SET ... GET reads the old value; LCS reads both keys).
    /// </summary>
    private static bool ReadsStringValue(RespCommand c) => c.Kind switch
    {
        RespCommandKind.GetSet or RespCommandKind.GetDel or RespCommandKind.GetEx or RespCommandKind.Append or RespCommandKind.StrLen
            or RespCommandKind.Incr or RespCommandKind.Decr or RespCommandKind.IncrBy or RespCommandKind.DecrBy or RespCommandKind.IncrByFloat
            or RespCommandKind.GetRange or RespCommandKind.Substr or RespCommandKind.SetRange or RespCommandKind.SetBit or RespCommandKind.GetBit
            or RespCommandKind.BitCount or RespCommandKind.BitPos or RespCommandKind.Lcs => true,
        RespCommandKind.Set => HasGetOption(c),
        _ => false,
    };

    private static bool HasGetOption(RespCommand c)
    {
        for (var i = 3; i < c.Count; i++)
        {
            if (c.ArgumentEquals(i, "GET"u8))
                return true;
        }
        return false;
    }

    /// <summary>Whether a key LCS reads holds a collection (not counted as a read: the command counts its own).</summary>
    private static bool HoldsCollection(RespCommand c, LocalKeyspace keyspace)
    {
        var last = c.Kind == RespCommandKind.Lcs ? 2 : 1;
        for (var i = 1; i <= last; i++)
        {
            if (keyspace.TryGetEntry(c.GetArgument(i), out _, out _, out _, out var type) && type != EntryType.String)
                return true;
        }
        return false;
    }

    public static void WriteNull(IBufferWriter<byte> w, int respVersion) =>
        RespWriter.WriteRaw(w, respVersion == 3 ? RespReplies.Null3 : RespReplies.NullBulk);

    private static void WriteRefusedAfter(IBufferWriter<byte> w, long deleted, KeyWriteRefusal refusal)
    {
        if (deleted == 0)
        {
            WriteRefused(w, refusal);
            return;
        }
        Span<byte> digits = stackalloc byte[MaxInt64Digits];
        Utf8Formatter.TryFormat(deleted, digits, out var length);
        RespWriter.WriteRaw(w, refusal == KeyWriteRefusal.LogUnavailable
            ? "-MISCONF FastDht cannot write its log to disk; the "u8
            : refusal == KeyWriteRefusal.Moving
                ? "-TRYAGAIN a key's slot is being handed to another node; the "u8
                : "-TRYAGAIN a key is locked by a transaction; the "u8);
        RespWriter.WriteRaw(w, digits[..length]);
        RespWriter.WriteRaw(w, " keys before it were deleted, the rest were not\r\n"u8);
    }

    private static void IncrementBy(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, long delta)
    {
        Span<byte> digits = stackalloc byte[MaxInt64Digits];
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            WriteRefused(w, write.Refusal);
            return;
        }
        long current = 0;
        if (write.TryGet(out var existing) && !RespInteger.TryParseInt64(existing.Span, out current))
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
        write.PutKeepingExpiry(digits[..length]);
        keyspace.Notify(NotifyClass.String, "incrby"u8, c.GetArgument(1));
        RespWriter.WriteInteger(w, next);
    }

    private static void Append(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var suffix = c.GetArgument(2);
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            WriteRefused(w, write.Refusal);
            return;
        }
        if (!write.TryGet(out var existing))
        {
            write.PutChangeKeepingExpiry(suffix);
            keyspace.Notify(NotifyClass.String, "append"u8, c.GetArgument(1));
            RespWriter.WriteInteger(w, suffix.Length);
            return;
        }
        var total = existing.Length + suffix.Length;
        if (total > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"u8);
            return;
        }
        var combined = ArrayPool<byte>.Shared.Rent(Math.Max(total, 1));
        try
        {
            existing.Span.CopyTo(combined);
            suffix.CopyTo(combined.AsSpan(existing.Length));
            write.PutChangeKeepingExpiry(combined.AsSpan(0, total));
            keyspace.Notify(NotifyClass.String, "append"u8, c.GetArgument(1));
            RespWriter.WriteInteger(w, total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(combined);
        }
    }
}
