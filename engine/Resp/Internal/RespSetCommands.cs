using System.Buffers;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The set commands at a key's owner: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE,
/// SINTER/SUNION/SDIFF and their STORE forms, and SSCAN, with Redis 7's replies and errors.
/// </summary>
/// <remarks>
/// A set is stored as its members in insertion order (<see cref="CollectionCodec"/>); membership is an index built
/// per command (a hash set over slices of the stored value) once a set is larger than a few members. SMOVE and the
/// multi-key commands always run inside a transaction (RespSession routes them like RENAME), so they read and write
/// keys of any nodes atomically.
/// </remarks>
internal static class RespSetCommands
{
    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.SAdd:
                Add(c, w, keyspace);
                return true;
            case RespCommandKind.SRem:
                Remove(c, w, keyspace);
                return true;
            case RespCommandKind.SMembers:
            {
                if (!Read(keyspace, c.GetArgument(1), w, out var members))
                    return true;
                WriteSet(w, members, respVersion);
                return true;
            }
            case RespCommandKind.SIsMember:
            {
                if (RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Set, w, out var set))
                    RespWriter.WriteRaw(w, CollectionCodec.Find(set.Span, c.GetArgument(2)) >= 0 ? RespReplies.One : RespReplies.Zero);
                return true;
            }
            case RespCommandKind.SMIsMember when c.Count - 2 <= FewMembers:
            {
                // A few members: a walk each, nothing decoded; many: one index of the set (below).
                if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Set, w, out var set))
                    return true;
                RespWriter.WriteArrayHeader(w, c.Count - 2);
                for (var i = 2; i < c.Count; i++)
                    RespWriter.WriteRaw(w, CollectionCodec.Find(set.Span, c.GetArgument(i)) >= 0 ? RespReplies.One : RespReplies.Zero);
                return true;
            }
            case RespCommandKind.SMIsMember:
            {
                if (!Read(keyspace, c.GetArgument(1), w, out var members))
                    return true;
                var index = new HashSet<ReadOnlyMemory<byte>>(members, RespCollections.BytesComparer.Instance);
                RespWriter.WriteArrayHeader(w, c.Count - 2);
                for (var i = 2; i < c.Count; i++)
                    RespWriter.WriteRaw(w, index.Contains(c.GetArgument(i).ToArray()) ? RespReplies.One : RespReplies.Zero);
                return true;
            }
            case RespCommandKind.SCard:
                if (RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.Set, w, out var value))
                    RespWriter.WriteInteger(w, CollectionCodec.Count(value.Span));
                return true;
            case RespCommandKind.SPop:
                Pop(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.SRandMember:
                RandomMembers(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.SMove:
                Move(c, w, keyspace);
                return true;
            case RespCommandKind.SInter:
            case RespCommandKind.SUnion:
            case RespCommandKind.SDiff:
            {
                if (Combine(c, w, keyspace, 1, out var result))
                    WriteSet(w, result, respVersion);
                return true;
            }
            case RespCommandKind.SInterStore:
            case RespCommandKind.SUnionStore:
            case RespCommandKind.SDiffStore:
                Store(c, w, keyspace);
                return true;
            case RespCommandKind.SInterCard:
                InterCard(c, w, keyspace);
                return true;
            case RespCommandKind.SScan:
            {
                if (!RespCollectionScan.TryParse(c, w, out var pattern))
                    return true;
                if (Read(keyspace, c.GetArgument(1), w, out var members))
                    RespCollectionScan.Write(w, members, 1, pattern);
                return true;
            }
            default:
                return false;
        }
    }

    private static bool Read(LocalKeyspace keyspace, ReadOnlySpan<byte> key, IBufferWriter<byte> w, out List<ReadOnlyMemory<byte>> members)
    {
        members = [];
        if (!RespCollections.TryRead(keyspace, key, EntryType.Set, w, out var value))
            return false;
        members = RespCollections.Elements(value);
        return true;
    }

    private static int IndexOf(List<ReadOnlyMemory<byte>> members, ReadOnlySpan<byte> member)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (RespCollections.Same(members[i], member))
                return i;
        }
        return -1;
    }

    private static void WriteSet(IBufferWriter<byte> w, List<ReadOnlyMemory<byte>> members, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteSetHeader(w, members.Count);
        else
            RespWriter.WriteArrayHeader(w, members.Count);
        foreach (var m in members)
            RespWriter.WriteBulkString(w, m.Span);
    }

    /// <summary>Up to this many members, SADD and SMISMEMBER walk the set once per member instead of indexing it whole.</summary>
    private const int FewMembers = 8;

    private static void Add(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.Set, w, out var value, out var expiresAt))
            return;
        if (c.Count - 2 <= FewMembers)
        {
            AddFew(c, w, keyspace, write, value.Span, expiresAt);
            return;
        }
        var members = RespCollections.Elements(value, c.Count - 2);
        var index = new HashSet<ReadOnlyMemory<byte>>(members, RespCollections.BytesComparer.Instance);
        var added = 0;
        for (var i = 2; i < c.Count; i++)
        {
            ReadOnlyMemory<byte> member = c.GetArgument(i).ToArray();
            if (!index.Add(member))
                continue;
            members.Add(member);
            added++;
        }
        if (added == 0 || RespCollections.Store(write, keyspace, EntryType.Set, members, members.Count, expiresAt, w, NotifyClass.Set, "sadd"u8))
            RespWriter.WriteInteger(w, added);
    }

    /// <summary>
    /// SADD of a few members: each looked for by a walk over the stored bytes (no decode, no index), the new ones
    /// appended after the old bytes in argument order with one copy: the same value the indexed path stores.
    /// </summary>
    private static void AddFew(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, in KeyWrite write, ReadOnlySpan<byte> old, long expiresAt)
    {
        Span<bool> adds = stackalloc bool[FewMembers];
        var added = 0;
        long extra = 0;
        for (var i = 2; i < c.Count; i++)
        {
            var member = c.GetArgument(i);
            if (CollectionCodec.Find(old, member) >= 0 || AddedBefore(c, adds, i, member))
                continue;
            adds[i - 2] = true;
            added++;
            extra += CollectionCodec.ElementSize(member.Length);
        }
        if (added == 0)
        {
            RespWriter.WriteInteger(w, 0);
            return;
        }
        var body = old[CollectionCodec.HeaderSize(old)..];
        var count = CollectionCodec.Count(old) + added;
        var size = CollectionCodec.CountSize(count) + body.Length + extra;
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
            body.CopyTo(next[at..]);
            at += body.Length;
            for (var i = 2; i < c.Count; i++)
            {
                if (adds[i - 2])
                    at += CollectionCodec.WriteElement(next[at..], c.GetArgument(i));
            }
            write.PutChange(next, EntryType.Set, expiresAt);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        keyspace.Notify(NotifyClass.Set, "sadd"u8, write.Key);
        RespWriter.WriteInteger(w, added);
    }

    private static bool AddedBefore(RespCommand c, ReadOnlySpan<bool> adds, int index, ReadOnlySpan<byte> member)
    {
        for (var j = 2; j < index; j++)
        {
            if (adds[j - 2] && c.GetArgument(j).SequenceEqual(member))
                return true;
        }
        return false;
    }

    private static void Remove(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.Set, w, out var value, out var expiresAt))
            return;
        var members = RespCollections.Elements(value);
        var removing = new HashSet<ReadOnlyMemory<byte>>(RespCollections.BytesComparer.Instance);
        for (var i = 2; i < c.Count; i++)
            removing.Add(c.GetArgument(i).ToArray());
        var removed = members.RemoveAll(m => removing.Contains(m));
        if (removed == 0 || RespCollections.Store(write, keyspace, EntryType.Set, members, members.Count, expiresAt, w, NotifyClass.Set, "srem"u8))
            RespWriter.WriteInteger(w, removed);
    }

    private static void Pop(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var withCount = c.Count == 3;
        if (c.Count > 3)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (!RespCollections.TryParsePopCount(c, w, out var count))
            return;
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.Set, w, out var value, out var expiresAt))
            return;
        if (value.IsEmpty)
        {
            if (withCount)
                RespWriter.WriteRaw(w, respVersion == 3 ? "~0\r\n"u8 : RespReplies.EmptyArray);
            else
                RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        var members = RespCollections.Elements(value);
        var picks = RespCollectionScan.Pick(members.Count, withCount ? count : 1);
        var popped = new List<ReadOnlyMemory<byte>>(picks.Count);
        foreach (var p in picks)
            popped.Add(members[p]);
        picks.Sort();
        for (var i = picks.Count - 1; i >= 0; i--)
            members.RemoveAt(picks[i]);
        if (popped.Count > 0 && !RespCollections.Store(write, keyspace, EntryType.Set, members, members.Count, expiresAt, w, NotifyClass.Set, "spop"u8))
            return;
        if (withCount)
            WriteSet(w, popped, respVersion);
        else
            RespWriter.WriteBulkString(w, popped[0].Span);
    }

    private static void RandomMembers(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        long count = 1;
        var withCount = c.Count == 3;
        if (c.Count > 3)
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
        if (!Read(keyspace, c.GetArgument(1), w, out var members))
            return;
        if (!withCount)
        {
            if (members.Count == 0)
                RespKeyCommands.WriteNull(w, respVersion);
            else
                RespWriter.WriteBulkString(w, members[Random.Shared.Next(members.Count)].Span);
            return;
        }
        var picks = RespCollectionScan.Pick(members.Count, count);
        RespWriter.WriteArrayHeader(w, picks.Count);
        foreach (var p in picks)
            RespWriter.WriteBulkString(w, members[p].Span);
    }

    private static void Move(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        var source = c.GetArgument(1);
        var destination = c.GetArgument(2);
        var member = c.GetArgument(3);
        if (!Read(keyspace, source, w, out var sourceMembers) || !Read(keyspace, destination, w, out var destinationMembers))
            return;
        var at = IndexOf(sourceMembers, member);
        if (at < 0)
        {
            RespWriter.WriteRaw(w, RespReplies.Zero);
            return;
        }
        if (source.SequenceEqual(destination))
        {
            RespWriter.WriteRaw(w, RespReplies.One);
            return;
        }
        using (var write = keyspace.BeginWrite(source, fence: null))
        {
            if (!RespCollections.TryOpen(write, EntryType.Set, w, out var value, out var expiresAt))
                return;
            var members = RespCollections.Elements(value);
            members.RemoveAt(IndexOf(members, member));
            if (!RespCollections.Store(write, keyspace, EntryType.Set, members, members.Count, expiresAt, w, NotifyClass.Set, "srem"u8))
                return;
        }
        if (IndexOf(destinationMembers, member) < 0)
        {
            using var write = keyspace.BeginWrite(destination, fence: null);
            if (!RespCollections.TryOpen(write, EntryType.Set, w, out var value, out var expiresAt))
                return;
            var members = RespCollections.Elements(value, 1);
            members.Add(member.ToArray());
            if (!RespCollections.Store(write, keyspace, EntryType.Set, members, members.Count, expiresAt, w, NotifyClass.Set, "sadd"u8))
                return;
        }
        RespWriter.WriteRaw(w, RespReplies.One);
    }

    /// <summary>SINTER/SUNION/SDIFF of the keys from argument <paramref name="first"/> on; false with WRONGTYPE written.</summary>
    private static bool Combine(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int first, out List<ReadOnlyMemory<byte>> result)
    {
        result = [];
        var sets = new List<List<ReadOnlyMemory<byte>>>(c.Count - first);
        for (var i = first; i < c.Count; i++)
        {
            if (!Read(keyspace, c.GetArgument(i), w, out var members))
                return false;
            sets.Add(members);
        }
        var kind = c.Kind;
        if (kind is RespCommandKind.SUnion or RespCommandKind.SUnionStore)
        {
            var seen = new HashSet<ReadOnlyMemory<byte>>(RespCollections.BytesComparer.Instance);
            foreach (var set in sets)
            {
                foreach (var m in set)
                {
                    if (seen.Add(m))
                        result.Add(m);
                }
            }
            return true;
        }
        if (kind is RespCommandKind.SDiff or RespCommandKind.SDiffStore)
        {
            var removed = new HashSet<ReadOnlyMemory<byte>>(RespCollections.BytesComparer.Instance);
            for (var s = 1; s < sets.Count; s++)
                removed.UnionWith(sets[s]);
            foreach (var m in sets[0])
            {
                if (!removed.Contains(m))
                    result.Add(m);
            }
            return true;
        }
        // SINTER: the members of the first set found in every other; an absent key makes it empty.
        var others = new List<HashSet<ReadOnlyMemory<byte>>>(sets.Count - 1);
        for (var s = 1; s < sets.Count; s++)
            others.Add(new HashSet<ReadOnlyMemory<byte>>(sets[s], RespCollections.BytesComparer.Instance));
        foreach (var m in sets[0])
        {
            var all = true;
            foreach (var other in others)
            {
                if (!other.Contains(m))
                {
                    all = false;
                    break;
                }
            }
            if (all)
                result.Add(m);
        }
        return true;
    }

    /// <summary>SINTERCARD numkeys key... [LIMIT limit]: the size of the intersection, counting stopped at the limit (0: none).</summary>
    private static void InterCard(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!RespCollections.TryParseNumKeys(c, 1, 0, w, out var numKeys))
            return;
        long limit = 0;
        for (var i = 2 + numKeys; i < c.Count; i += 2)
        {
            if (!c.ArgumentEquals(i, "LIMIT"u8) || i + 1 >= c.Count)
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
            // Redis reads it as a positive number with one error for both: not a number, or negative.
            if (!c.TryGetInt64(i + 1, out limit) || limit < 0)
            {
                RespWriter.WriteError(w, "LIMIT can't be negative"u8);
                return;
            }
        }
        var sets = new List<HashSet<ReadOnlyMemory<byte>>>(numKeys);
        List<ReadOnlyMemory<byte>>? first = null;
        for (var i = 2; i < 2 + numKeys; i++)
        {
            if (!Read(keyspace, c.GetArgument(i), w, out var members))
                return;
            if (first is null)
                first = members;
            else
                sets.Add(new HashSet<ReadOnlyMemory<byte>>(members, RespCollections.BytesComparer.Instance));
        }
        long count = 0;
        foreach (var m in first!)
        {
            var all = true;
            foreach (var other in sets)
                all &= other.Contains(m);
            if (all && ++count == limit)
                break;
        }
        RespWriter.WriteInteger(w, count);
    }

    private static void Store(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        if (!Combine(c, w, keyspace, 2, out var result))
            return;
        // The destination is replaced whatever type it held (Redis's *STORE), without an expiry.
        var copies = new List<ReadOnlyMemory<byte>>(result.Count);
        foreach (var m in result)
            copies.Add(m.ToArray());
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        if (copies.Count == 0)
        {
            // An empty result removes the destination: "del" only when there was one (Redis's *STORE).
            if (write.Delete())
                keyspace.Notify(NotifyClass.Generic, "del"u8, c.GetArgument(1));
            RespWriter.WriteInteger(w, 0);
            return;
        }
        var name = c.Kind switch
        {
            RespCommandKind.SInterStore => "sinterstore"u8,
            RespCommandKind.SUnionStore => "sunionstore"u8,
            _ => "sdiffstore"u8,
        };
        if (RespCollections.Store(write, keyspace, EntryType.Set, copies, copies.Count, 0, w, NotifyClass.Set, name))
            RespWriter.WriteInteger(w, copies.Count);
    }
}
