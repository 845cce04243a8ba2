using System.Buffers;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>MEMORY USAGE and OBJECT ENCODING/FREQ/IDLETIME/REFCOUNT, run at the key's owner.</summary>
internal static class RespObjectCommands
{
    // Redis keeps strings of up to 44 bytes in one allocation with their object header ("embstr").
    private const int EmbeddedStringLimit = 44;

    public static void Execute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var sub = c.GetArgument(1);
        var key = c.GetArgument(2);
        if (c.Kind == RespCommandKind.Memory)
        {
            // MEMORY USAGE key [SAMPLES count]: SAMPLES is for aggregates; a string has nothing to sample.
            if (c.Count != 3 && !(c.Count == 5 && Ascii.EqualsIgnoreCase(c.GetArgument(3), "SAMPLES"u8)))
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
            if (c.Count == 5 && !c.TryGetInt64(4, out _))
            {
                RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                return;
            }
            if (!keyspace.TryGet(key, out var stored, out var expiresAt))
                RespKeyCommands.WriteNull(w, respVersion);
            else
                RespWriter.WriteInteger(w, BytesOf(key.Length, stored.Length, expiresAt != 0));
            return;
        }
        if (!keyspace.TryGetTyped(key, out var value, out var type))
        {
            RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        if (Ascii.EqualsIgnoreCase(sub, "ENCODING"u8))
            RespWriter.WriteBulkString(w, type == EntryType.String ? EncodingOf(value.Span) : CollectionEncodingOf(type, value, keyspace.Encodings));
        else if (Ascii.EqualsIgnoreCase(sub, "REFCOUNT"u8))
            RespWriter.WriteRaw(w, RespReplies.One); // every entry is referenced by its key only
        else if (Ascii.EqualsIgnoreCase(sub, "FREQ"u8))
            RespWriter.WriteError(w, "An LFU maxmemory policy is not selected, access frequency not tracked. FastDht evicts nothing, so it tracks no access frequency."u8);
        else
            RespWriter.WriteError(w, "FastDht does not track when a key was last read (it evicts nothing), so OBJECT IDLETIME has no answer."u8);
    }

    /// <summary>
    /// What one key costs the store (docs/storage.md, Memory): its entry (a 24-byte array header, the key length as
    /// LEB128, key and value, 11 bytes of metadata with an expiry; rounded to 8) plus its index position (9 bytes at
    /// the store's average load of 70 %: 13).
    /// </summary>
    public static long BytesOf(int keyLength, int valueLength, bool expires)
    {
        var leb = 1;
        for (var n = keyLength >> 7; n != 0; n >>= 7)
            leb++;
        long entry = 24 + leb + keyLength + valueLength + (expires ? 11 : 0);
        return ((entry + 7) & ~7L) + 13;
    }

    /// <summary>
    /// The encoding Redis would report for a collection of this size: FastDht stores every collection the same compact
    /// way (<see cref="CollectionCodec"/>), and reports what a Redis holding the same data would, for clients and tests
    /// that look.
    /// </summary>
    private static ReadOnlySpan<byte> CollectionEncodingOf(EntryType type, ReadOnlyMemory<byte> value, CollectionEncodings limits)
    {
        if (type == EntryType.SortedSet)
        {
            var members = new List<ScoredMember>();
            CollectionCodec.DecodeScored(value, members);
            var small = members.Count <= limits.SortedSetEntries;
            foreach (var m in members)
                small &= m.Member.Length <= limits.SortedSetValue;
            return small ? "listpack"u8 : "skiplist"u8;
        }
        if (type == EntryType.List)
            return limits.ListIsCompact(CollectionCodec.Count(value.Span), value.Length) ? "listpack"u8 : "quicklist"u8;
        var elements = RespCollections.Elements(value);
        var entries = type == EntryType.Hash ? elements.Count / 2 : elements.Count;
        var compact = entries <= (type == EntryType.Hash ? limits.HashEntries : limits.SetEntries);
        var integers = type == EntryType.Set && entries <= limits.SetIntsetEntries;
        var maxValue = type == EntryType.Hash ? limits.HashValue : limits.SetValue;
        foreach (var e in elements)
        {
            compact &= e.Length <= maxValue;
            integers &= e.Length <= 20 && RespInteger.TryParseInt64(e.Span, out _);
        }
        return type switch
        {
            EntryType.Set => integers ? "intset"u8 : compact ? "listpack"u8 : "hashtable"u8,
            EntryType.Hash => compact ? "listpack"u8 : "hashtable"u8,
            _ => "stream"u8,
        };
    }

    /// <summary>The encoding Redis would report for this value: int, embstr or raw.</summary>
    private static ReadOnlySpan<byte> EncodingOf(ReadOnlySpan<byte> value)
    {
        if (value.Length is > 0 and <= 20 && RespInteger.TryParseInt64(value, out var number) &&
            Encoding.ASCII.GetByteCount(number.ToString(System.Globalization.CultureInfo.InvariantCulture)) == value.Length)
            return "int"u8;
        return value.Length <= EmbeddedStringLimit ? "embstr"u8 : "raw"u8;
    }
}
