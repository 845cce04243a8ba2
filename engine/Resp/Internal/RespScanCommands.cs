using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Buffers.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// SCAN, RANDOMKEY and DBSIZE over one node's own keys: what a node answers when the RESP session that walks the
/// whole cluster (<see cref="RespSession"/>) asks it, locally or through RespExecute.
/// </summary>
/// <remarks>
/// The cursor here is the store's (docs/storage.md, "The cursor and why it holds"): every key present throughout a
/// walk is returned exactly once whatever is written meanwhile. The session puts the node's id in front of it.
/// </remarks>
internal static class RespScanCommands
{
    /// <summary>SCAN's default COUNT, as Redis's.</summary>
    public const int DefaultCount = 10;

    /// <summary>The store cursor takes the low 47 bits of a cluster cursor; the node id the 16 above (bit 63 stays 0 so clients that parse a signed 64-bit cursor work).</summary>
    public const int NodeShift = 47;

    public const ulong StoreCursorMask = (1UL << NodeShift) - 1;

    /// <summary>SCAN cursor [MATCH pattern] [COUNT n] [TYPE type], checked as Redis checks it; an error reply is written when it is not valid.</summary>
    public static bool TryParse(RespCommand c, IBufferWriter<byte> w, out ScanArguments arguments)
    {
        arguments = default;
        if (!Utf8Parser.TryParse(c.GetArgument(1), out ulong cursor, out var used) || used != c.GetArgumentLength(1))
        {
            RespWriter.WriteError(w, "invalid cursor"u8);
            return false;
        }
        byte[]? pattern = null, type = null;
        long count = DefaultCount;
        for (var i = 2; i < c.Count; i += 2)
        {
            if (i + 1 >= c.Count)
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return false;
            }
            var option = c.GetKeyword(i);
            if (option == RespKeyword.Match)
                pattern = c.GetArgument(i + 1).ToArray();
            else if (option == RespKeyword.Count)
            {
                if (!c.TryGetInt64(i + 1, out count))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return false;
                }
                if (count < 1)
                {
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return false;
                }
            }
            else if (option == RespKeyword.Type)
                type = c.GetArgument(i + 1).ToArray();
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return false;
            }
        }
        arguments = new ScanArguments(cursor, pattern, (int)Math.Min(count, int.MaxValue), type);
        return true;
    }

    /// <summary>One batch of this node's keys from a store cursor: <c>[next cursor, [keys]]</c> (next 0: this node is done).</summary>
    public static void WriteLocalScan(IBufferWriter<byte> w, LocalKeyspace keyspace, in ScanArguments a)
    {
        List<byte[]> keys;
        ulong next;
        if (!TryScan(keyspace, a, out next, out keys))
        {
            RespWriter.WriteError(w, "invalid cursor"u8);
            return;
        }
        WriteScanReply(w, next, keys);
    }

    /// <summary>One batch of this node's keys; false when the cursor is not one this node's store handed out.</summary>
    public static bool TryScan(LocalKeyspace keyspace, in ScanArguments a, out ulong next, out List<byte[]> keys)
    {
        if (a.Cursor > StoreCursorMask)
        {
            next = 0;
            keys = [];
            return false;
        }
        var visitor = new ScanCollector(a.Pattern, keyspace.NowMs, TypeFilter(a.Type));
        try
        {
            // The store refuses a cursor it never handed out (a client's made-up one) with ArgumentOutOfRangeException.
            next = keyspace.Scan(a.Cursor, a.Count, ref visitor);
        }
        catch (ArgumentOutOfRangeException)
        {
            next = 0;
            keys = [];
            return false;
        }
        keys = visitor.Keys;
        return true;
    }

    public static void WriteScanReply(IBufferWriter<byte> w, ulong cursor, List<byte[]> keys)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(cursor, digits, out var n);
        RespWriter.WriteArrayHeader(w, 2);
        RespWriter.WriteBulkString(w, digits[..n]);
        RespWriter.WriteArrayHeader(w, keys.Count);
        foreach (var key in keys)
            RespWriter.WriteBulkString(w, key);
    }

    /// <summary>RANDOMKEY at this node: a key that has not expired, or a null reply when it holds none.</summary>
    public static void WriteLocalRandomKey(IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (TryRandomKey(keyspace, out var key))
            RespWriter.WriteBulkString(w, key);
        else
            RespKeyCommands.WriteNull(w, respVersion);
    }

    /// <summary>
    /// A random key of this node: the first live key from a random cursor, wrapping once to the start. Like Redis's,
    /// the pick favours keys after large gaps in the hash order; bounded at 100 batches when most keys have expired.
    /// </summary>
    public static bool TryRandomKey(LocalKeyspace keyspace, out byte[] key)
    {
        var visitor = new ScanCollector(null, keyspace.NowMs, -1);
        var cursor = keyspace.RandomCursor();
        var wrapped = false;
        for (var batch = 0; batch < 100; batch++)
        {
            cursor = keyspace.Scan(cursor, 1, ref visitor);
            if (visitor.Keys.Count > 0)
            {
                key = visitor.Keys[Random.Shared.Next(visitor.Keys.Count)];
                return true;
            }
            if (cursor == 0)
            {
                if (wrapped)
                    break;
                wrapped = true;
            }
        }
        key = [];
        return false;
    }

    /// <summary>INFO keyspace's avg_ttl: the mean time to live, in ms, of up to 128 expiring keys from a random place (Redis samples too).</summary>
    public static long SampleAverageTtl(LocalKeyspace keyspace)
    {
        var sample = new TtlSample(keyspace.NowMs);
        var cursor = keyspace.RandomCursor();
        // Bounded: at most a few batches, wrapping once to the start.
        for (var batch = 0; batch < 4 && sample.Count < 128; batch++)
            cursor = keyspace.ScanExpiring(cursor, 128 - sample.Count, ref sample);
        return sample.Count == 0 ? 0 : sample.Total / sample.Count;
    }

    /// <summary>Sums the remaining time to live of the expiring keys a batch visits.</summary>
    private struct TtlSample(long now) : IStoreEntryVisitor
    {
        public long Total { get; private set; }

        public int Count { get; private set; }

        public void Visit(in StoreEntry entry)
        {
            if (entry.Metadata.ExpiresAt > now)
            {
                Total += entry.Metadata.ExpiresAt - now;
                Count++;
            }
        }
    }

    /// <summary>Collects the keys of a batch that have not expired and match the pattern and type.</summary>
    /// <summary>SCAN's TYPE option as the entry type it keeps: -1 keeps every key, -2 none (a type name Redis does not have; the walk still advances).</summary>
    private static int TypeFilter(byte[]? type)
    {
        if (type is null)
            return -1;
        foreach (var candidate in (ReadOnlySpan<EntryType>)[EntryType.String, EntryType.List, EntryType.Hash, EntryType.Set, EntryType.SortedSet, EntryType.Stream])
        {
            var name = RespKeyCommands.TypeReply(candidate);
            if (System.Text.Ascii.EqualsIgnoreCase(type, name[1..^2]))
                return (int)candidate;
        }
        return -2;
    }

    private struct ScanCollector(byte[]? pattern, long now, int type) : IStoreEntryVisitor
    {
        private readonly bool _all = pattern is null or [(byte)'*'];

        public List<byte[]> Keys { get; } = [];

        public void Visit(in StoreEntry entry)
        {
            if ((type != -1 && (int)entry.Metadata.Type != type) || (entry.Metadata.HasExpiry && entry.Metadata.ExpiresAt <= now))
                return;
            var key = entry.Key.Span;
            if (_all || RespGlob.IsMatch(pattern!, key))
                Keys.Add(key.ToArray());
        }
    }
}

/// <summary>SCAN's parsed arguments: the cursor, and the MATCH, COUNT and TYPE options.</summary>
internal readonly record struct ScanArguments(ulong Cursor, byte[]? Pattern, int Count, byte[]? Type);
