using System.Buffers;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// What every collection command shares: reading a key of one type (WRONGTYPE otherwise), opening a write on it, and
/// storing the changed collection back through the keyspace's one write path.
/// </summary>
/// <remarks>
/// A collection is one stored value (<see cref="CollectionCodec"/>) tagged with its <see cref="EntryType"/>; a write
/// command decodes it, changes the decoded elements and stores the new encoding with <see cref="KeyWrite.PutChange"/>
/// keeping the key's expiry, all under the key's gate, so it is atomic at the owner, logged, replicated and captured
/// by a slot move like any write. An emptied collection deletes its key, as in Redis.
/// </remarks>
internal static class RespCollections
{
    /// <summary>Redis's answer when a value would outgrow what a frame can carry (the node's proto-max-bulk-len).</summary>
    internal static ReadOnlySpan<byte> TooLarge => "-ERR the collection would exceed the largest value this node stores (proto-max-bulk-len)\r\n"u8;

    /// <summary>Redis's error for a count or an index option that must be positive.</summary>
    internal static ReadOnlySpan<byte> MustBePositive => "-ERR value is out of range, must be positive\r\n"u8;

    /// <summary>
    /// The optional count of LPOP/RPOP/SPOP/ZPOPMIN/ZPOPMAX at argument 2 (1 without one; the caller has refused more
    /// arguments with its own error): false, with Redis's error written, unless it is a non-negative integer.
    /// </summary>
    internal static bool TryParsePopCount(RespCommand c, IBufferWriter<byte> w, out long count)
    {
        count = 1;
        if (c.Count < 3 || (c.TryGetInt64(2, out count) && count >= 0))
            return true;
        RespWriter.WriteRaw(w, MustBePositive);
        return false;
    }

    /// <summary>
    /// Reads <paramref name="key"/> expecting <paramref name="type"/>: false (WRONGTYPE written) when it holds another
    /// type; otherwise true with the value (empty when the key is absent). Counted as a hit or a miss.
    /// </summary>
    public static bool TryRead(LocalKeyspace keyspace, ReadOnlySpan<byte> key, EntryType type, IBufferWriter<byte> w, out ReadOnlyMemory<byte> value)
    {
        if (keyspace.TryGetTyped(key, out value, out var actual) && actual != type)
        {
            RespWriter.WriteRaw(w, RespReplies.WrongType);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Opens <paramref name="write"/>'s key expecting <paramref name="type"/>: false (the refusal or WRONGTYPE written)
    /// when it may not proceed; otherwise true with the value (empty when absent) and its expiry.
    /// </summary>
    public static bool TryOpen(in KeyWrite write, EntryType type, IBufferWriter<byte> w, out ReadOnlyMemory<byte> value, out long expiresAt)
    {
        value = default;
        expiresAt = 0;
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return false;
        }
        if (write.TryGet(out value, out expiresAt, out var actual) && actual != type)
        {
            RespWriter.WriteRaw(w, RespReplies.WrongType);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Stores a list, set or hash (<paramref name="count"/>: its elements) with the expiry it had; an
    /// empty one deletes the key. False (an error written, nothing changed) when it would exceed the largest value.
    /// With <paramref name="eventType"/> not 0, then sends the command's keyspace event <paramref name="eventName"/>,
    /// and "del" after it when the key was removed, in Redis's order.
    /// </summary>
    public static bool Store(in KeyWrite write, LocalKeyspace keyspace, EntryType type, List<ReadOnlyMemory<byte>> elements, int count, long expiresAt, IBufferWriter<byte> w,
        int eventType = 0, ReadOnlySpan<byte> eventName = default)
    {
        if (elements.Count == 0)
        {
            write.Delete();
            NotifyStored(keyspace, write.Key, eventType, eventName, removed: true);
            return true;
        }
        var size = CollectionCodec.SizeOf(elements, count);
        if (size > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, TooLarge);
            return false;
        }
        var buffer = CollectionCodec.Rent(size);
        try
        {
            CollectionCodec.Encode(elements, count, buffer);
            write.PutChange(buffer.AsSpan(0, (int)size), type, expiresAt);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        NotifyStored(keyspace, write.Key, eventType, eventName, removed: false);
        return true;
    }

    /// <summary>A collection command's event after its store, and "del" when the store removed the key (Redis's order).</summary>
    internal static void NotifyStored(LocalKeyspace keyspace, ReadOnlySpan<byte> key, int eventType, ReadOnlySpan<byte> eventName, bool removed)
    {
        if (eventType == 0 || keyspace.Events is null)
            return;
        keyspace.Notify(eventType, eventName, key);
        if (removed)
            keyspace.Notify(NotifyClass.Generic, "del"u8, key);
    }

    /// <summary>Stores a sorted set (members in order) with the expiry it had; an empty one deletes the key. False (an error written) when too large.</summary>
    public static bool Store(in KeyWrite write, LocalKeyspace keyspace, List<ScoredMember> members, long expiresAt, IBufferWriter<byte> w,
        int eventType = 0, ReadOnlySpan<byte> eventName = default)
    {
        if (members.Count == 0)
        {
            write.Delete();
            NotifyStored(keyspace, write.Key, eventType, eventName, removed: true);
            return true;
        }
        var size = CollectionCodec.SizeOf(members);
        if (size > keyspace.MaxValueLength)
        {
            RespWriter.WriteRaw(w, TooLarge);
            return false;
        }
        var buffer = CollectionCodec.Rent(size);
        try
        {
            CollectionCodec.Encode(members, buffer);
            write.PutChange(buffer.AsSpan(0, (int)size), EntryType.SortedSet, expiresAt);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        NotifyStored(keyspace, write.Key, eventType, eventName, removed: false);
        return true;
    }

    /// <summary>The decoded elements of a list, set or hash value (slices of it: nothing copied).</summary>
    public static List<ReadOnlyMemory<byte>> Elements(ReadOnlyMemory<byte> value, int extra = 0)
    {
        var list = new List<ReadOnlyMemory<byte>>(CollectionCodec.Count(value.Span) + extra);
        CollectionCodec.Decode(value, list);
        return list;
    }

    /// <summary>Redis's range rule for LRANGE/LTRIM/ZRANGE: negative indexes count from the end, clamped; false when empty.</summary>
    public static bool ClampRange(ref long start, ref long end, long length)
    {
        if (start < 0)
            start += length;
        if (end < 0)
            end += length;
        if (start < 0)
            start = 0;
        if (start > end || start >= length)
            return false;
        if (end >= length)
            end = length - 1;
        return true;
    }

    /// <summary>
    /// The numkeys argument at <paramref name="at"/> of a command whose keys follow it, with at least
    /// <paramref name="after"/> arguments after the keys: false with Redis's error written.
    /// </summary>
    public static bool TryParseNumKeys(RespCommand c, int at, int after, IBufferWriter<byte> w, out int keys)
    {
        keys = 0;
        if (!c.TryGetInt64(at, out var numKeys) || numKeys <= 0 || numKeys > int.MaxValue)
        {
            RespWriter.WriteError(w, "numkeys should be greater than 0"u8);
            return false;
        }
        if (numKeys > c.Count - at - 1 - after)
        {
            RespWriter.WriteError(w, "Number of keys can't be greater than number of args"u8);
            return false;
        }
        keys = (int)numKeys;
        return true;
    }

    /// <summary>
    /// LMPOP's and ZMPOP's <c>numkeys key... END [COUNT n]</c> from argument <paramref name="at"/>, END being
    /// <paramref name="first"/> or <paramref name="second"/> (LEFT|RIGHT, MIN|MAX): false with Redis's error written.
    /// </summary>
    public static bool TryParseMultiPop(RespCommand c, int at, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, IBufferWriter<byte> w, out int keys, out bool isSecond, out long count)
    {
        isSecond = false;
        count = 1;
        if (!TryParseNumKeys(c, at, 1, w, out keys))
            return false;
        var i = at + keys + 1;
        isSecond = c.ArgumentEquals(i, second);
        if (!isSecond && !c.ArgumentEquals(i, first))
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return false;
        }
        var seenCount = false;
        for (i++; i < c.Count; i += 2)
        {
            if (!c.ArgumentEquals(i, "COUNT"u8) || i + 1 >= c.Count || seenCount)
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return false;
            }
            if (!c.TryGetInt64(i + 1, out count) || count <= 0)
            {
                RespWriter.WriteError(w, "count should be greater than 0"u8);
                return false;
            }
            seenCount = true;
        }
        return true;
    }

    /// <summary>RESP2's null array or RESP3's null: the answer of a pop from nothing.</summary>
    public static void WriteNullArray(IBufferWriter<byte> w, int respVersion) =>
        RespWriter.WriteRaw(w, respVersion == 3 ? RespReplies.Null3 : RespReplies.NullArray);

    /// <summary>Writes the elements as an array of bulk strings.</summary>
    public static void WriteArray(IBufferWriter<byte> w, List<ReadOnlyMemory<byte>> elements, int start, int count)
    {
        RespWriter.WriteArrayHeader(w, count);
        for (var i = start; i < start + count; i++)
            RespWriter.WriteBulkString(w, elements[i].Span);
    }

    /// <summary>Byte-wise equality of two elements.</summary>
    public static bool Same(ReadOnlyMemory<byte> a, ReadOnlySpan<byte> b) => a.Span.SequenceEqual(b);

    /// <summary>
    /// From how many looked-up elements a command indexes the collection (<see cref="BytesComparer"/>) instead of
    /// scanning it once per element: with a scan each, a 500,000-field HSET or ZADD ran for hours.
    /// </summary>
    public const int IndexFromLookups = 8;

    /// <summary>Hashes and compares elements by their bytes (a set's or hash's membership index); a command's argument (a span) looks up without a copy.</summary>
    public sealed class BytesComparer : IEqualityComparer<ReadOnlyMemory<byte>>, IAlternateEqualityComparer<ReadOnlySpan<byte>, ReadOnlyMemory<byte>>
    {
        public static BytesComparer Instance { get; } = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj) => GetHashCode(obj.Span);

        public bool Equals(ReadOnlySpan<byte> alternate, ReadOnlyMemory<byte> other) => alternate.SequenceEqual(other.Span);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public ReadOnlyMemory<byte> Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
