using System.Buffers;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// DUMP key and RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] at the key's owner, with Redis 7.0's
/// payload format (<see cref="RdbCodec"/>), replies and errors.
/// </summary>
/// <remarks>
/// RESTORE writes through the keyspace's one write path under the key's gate, so it is logged, replicated and moved
/// like any write. IDLETIME and FREQ are checked and ignored: nothing is evicted, so access is not tracked (as for
/// OBJECT FREQ).
/// </remarks>
internal static class RespDumpCommands
{
    private static ReadOnlySpan<byte> BusyKey => "-BUSYKEY Target key name already exists.\r\n"u8;

    private static ReadOnlySpan<byte> BadPayload => "-ERR DUMP payload version or checksum are wrong\r\n"u8;

    private static ReadOnlySpan<byte> BadData => "-ERR Bad data format\r\n"u8;

    /// <summary>Executes DUMP or RESTORE; false when <paramref name="c"/> is neither.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (c.Kind == RespCommandKind.Dump)
        {
            if (!keyspace.TryGetTyped(c.GetArgument(1), out var value, out var type))
                RespKeyCommands.WriteNull(w, respVersion);
            else
                RespWriter.WriteBulkString(w, RdbCodec.Dump(value, type));
            return true;
        }
        if (c.Kind != RespCommandKind.Restore)
            return false;
        Restore(c, w, keyspace);
        return true;
    }

    private static void Restore(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var replace = false;
        var absolute = false;
        long idle = -1, frequency = -1;
        for (var i = 4; i < c.Count; i++)
        {
            var more = c.Count - i - 1;
            if (c.ArgumentEquals(i, "REPLACE"u8))
            {
                replace = true;
            }
            else if (c.ArgumentEquals(i, "ABSTTL"u8))
            {
                absolute = true;
            }
            else if (c.ArgumentEquals(i, "IDLETIME"u8) && more >= 1 && frequency == -1)
            {
                if (!c.TryGetInt64(++i, out idle))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (idle < 0)
                {
                    RespWriter.WriteError(w, "Invalid IDLETIME value, must be >= 0"u8);
                    return;
                }
            }
            else if (c.ArgumentEquals(i, "FREQ"u8) && more >= 1 && idle == -1)
            {
                if (!c.TryGetInt64(++i, out frequency))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (frequency is < 0 or > 255)
                {
                    RespWriter.WriteError(w, "Invalid FREQ value, must be >= 0 and <= 255"u8);
                    return;
                }
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (!replace && write.TryGet(out _))
        {
            RespWriter.WriteRaw(w, BusyKey);
            return;
        }
        if (!c.TryGetInt64(2, out var ttl))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (ttl < 0)
        {
            RespWriter.WriteError(w, "Invalid TTL value, must be >= 0"u8);
            return;
        }
        var payload = c.GetArgument(3).ToArray(); // the loaded elements are slices of it
        if (!RdbCodec.IsIntact(payload))
        {
            RespWriter.WriteRaw(w, BadPayload);
            return;
        }
        if (!RdbCodec.TryLoad(payload, keyspace.MaxValueLength, out var type, out var elements, out var members) || !IsValid(type, elements, members))
        {
            RespWriter.WriteRaw(w, BadData);
            return;
        }
        long expiresAt = 0;
        if (ttl > 0)
        {
            expiresAt = absolute ? ttl : write.NowMs() + ttl;
            if (expiresAt <= write.NowMs())
            {
                // Already expired: Redis creates nothing (a REPLACE still removes the old key) and answers OK.
                if (replace && write.Delete())
                    keyspace.Notify(NotifyClass.Generic, "del"u8, c.GetArgument(1));
                RespWriter.WriteRaw(w, RespReplies.Ok);
                return;
            }
        }
        var stored = type switch
        {
            EntryType.String => StoreString(write, keyspace, elements[0].Span, expiresAt, w),
            EntryType.SortedSet => RespCollections.Store(write, keyspace, members, expiresAt, w),
            _ => RespCollections.Store(write, keyspace, type, elements, elements.Count, expiresAt, w),
        };
        if (stored)
        {
            keyspace.Notify(NotifyClass.Generic, "restore"u8, c.GetArgument(1));
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
    }

    private static bool StoreString(in KeyWrite write, LocalKeyspace keyspace, ReadOnlySpan<byte> value, long expiresAt, IBufferWriter<byte> w)
    {
        if (value.Length > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, RespCollections.TooLarge);
            return false;
        }
        write.Put(value, EntryType.String, expiresAt);
        return true;
    }

    /// <summary>Redis refuses duplicate set members, hash fields and sorted set members; a sorted set is stored in order.</summary>
    private static bool IsValid(EntryType type, List<ReadOnlyMemory<byte>> elements, List<ScoredMember> members)
    {
        if (type is EntryType.Set or EntryType.Hash)
        {
            var seen = new HashSet<ReadOnlyMemory<byte>>(RespCollections.BytesComparer.Instance);
            var step = type == EntryType.Hash ? 2 : 1;
            for (var i = 0; i < elements.Count; i += step)
            {
                if (!seen.Add(elements[i]))
                    return false;
            }
        }
        else if (type == EntryType.SortedSet)
        {
            var seen = new HashSet<ReadOnlyMemory<byte>>(RespCollections.BytesComparer.Instance);
            foreach (var m in members)
            {
                if (!seen.Add(m.Member))
                    return false;
            }
            members.Sort(RespSortedSetCommands.Compare);
        }
        return true;
    }
}
