using System.Buffers;
using System.Globalization;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The sorted set commands at a key's owner: ZADD (NX/XX/GT/LT/CH/INCR), ZREM, ZSCORE, ZMSCORE, ZINCRBY, ZCARD, ZCOUNT,
/// ZLEXCOUNT, ZRANGE (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES) and its older forms, ZRANK/ZREVRANK, ZPOPMIN/ZPOPMAX,
/// ZREMRANGEBY*, ZSCAN, with Redis 7's replies and errors.
/// </summary>
/// <remarks>
/// Members are stored in (score, member bytes) order, the order every range reads (<see cref="CollectionCodec"/>), so
/// a read decodes and walks; a write decodes, changes, re-sorts what moved and rewrites.
/// </remarks>
internal static class RespSortedSetCommands
{
    private static ReadOnlySpan<byte> NotAFloat => "-ERR value is not a valid float\r\n"u8;

    private static ReadOnlySpan<byte> MinMaxNotFloat => "-ERR min or max is not a float\r\n"u8;

    private static ReadOnlySpan<byte> MinMaxNotString => "-ERR min or max not valid string range item\r\n"u8;

    /// <summary>The sorted set order: score, then member bytes.</summary>
    public static int Compare(ScoredMember a, ScoredMember b)
    {
        var byScore = a.Score.CompareTo(b.Score);
        return byScore != 0 ? byScore : a.Member.Span.SequenceCompareTo(b.Member.Span);
    }

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.ZAdd:
                Add(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZIncrBy:
                IncrementBy(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZRem:
                Remove(c, w, keyspace);
                return true;
            case RespCommandKind.ZScore:
            {
                if (!Read(keyspace, c.GetArgument(1), w, out var members))
                    return true;
                var at = IndexOf(members, c.GetArgument(2));
                if (at < 0)
                    RespKeyCommands.WriteNull(w, respVersion);
                else
                    WriteScore(w, members[at].Score, respVersion);
                return true;
            }
            case RespCommandKind.ZMScore:
            {
                if (!Read(keyspace, c.GetArgument(1), w, out var members))
                    return true;
                RespWriter.WriteArrayHeader(w, c.Count - 2);
                var index = c.Count - 2 >= RespCollections.IndexFromLookups ? IndexMembers(members) : null;
                for (var i = 2; i < c.Count; i++)
                {
                    var at = IndexOf(members, index, c.GetArgument(i));
                    if (at < 0)
                        RespKeyCommands.WriteNull(w, respVersion);
                    else
                        WriteScore(w, members[at].Score, respVersion);
                }
                return true;
            }
            case RespCommandKind.ZCard:
                if (RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.SortedSet, w, out var value))
                    RespWriter.WriteInteger(w, CollectionCodec.Count(value.Span));
                return true;
            case RespCommandKind.ZCount:
            case RespCommandKind.ZLexCount:
            {
                var byLex = c.Kind == RespCommandKind.ZLexCount;
                if (!TryParseBounds(c, 2, 3, byLex, w, out var min, out var max))
                    return true;
                if (!Read(keyspace, c.GetArgument(1), w, out var members))
                    return true;
                var n = 0;
                foreach (var m in members)
                {
                    if (InRange(m, min, max))
                        n++;
                }
                RespWriter.WriteInteger(w, n);
                return true;
            }
            case RespCommandKind.ZRank:
            case RespCommandKind.ZRevRank:
                Rank(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZRange:
            case RespCommandKind.ZRevRange:
            case RespCommandKind.ZRangeByScore:
            case RespCommandKind.ZRevRangeByScore:
            case RespCommandKind.ZRangeByLex:
            case RespCommandKind.ZRevRangeByLex:
                Range(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZPopMin:
            case RespCommandKind.ZPopMax:
                Pop(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZRemRangeByScore:
            case RespCommandKind.ZRemRangeByRank:
            case RespCommandKind.ZRemRangeByLex:
                RemoveRange(c, w, keyspace);
                return true;
            case RespCommandKind.ZMPop:
            case RespCommandKind.BZMPop:
                MultiPop(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.BZPopMin:
            case RespCommandKind.BZPopMax:
                BlockingPopOnce(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZRandMember:
                RandomMembers(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZUnion:
            case RespCommandKind.ZInter:
            case RespCommandKind.ZDiff:
            case RespCommandKind.ZInterCard:
            case RespCommandKind.ZUnionStore:
            case RespCommandKind.ZInterStore:
            case RespCommandKind.ZDiffStore:
                Combine(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZRangeStore:
                Range(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.ZScan:
            {
                if (!RespCollectionScan.TryParse(c, w, out var pattern))
                    return true;
                if (!Read(keyspace, c.GetArgument(1), w, out var members))
                    return true;
                var flat = new List<ReadOnlyMemory<byte>>(members.Count * 2);
                foreach (var m in members)
                {
                    flat.Add(m.Member);
                    flat.Add(Encoding.ASCII.GetBytes(FormatScore(m.Score)));
                }
                RespCollectionScan.Write(w, flat, 2, pattern);
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>
    /// A score as Redis 7.0 prints it: C's <c>%.17g</c> (so 0.1 is 0.10000000000000001, as Redis 7.0 answers; 7.2 moved
    /// to the shortest round trip), inf, -inf.
    /// </summary>
    public static string FormatScore(double score) => double.IsPositiveInfinity(score) ? "inf"
        : double.IsNegativeInfinity(score) ? "-inf"
        : score.ToString("G17", CultureInfo.InvariantCulture).Replace("E+", "e+", StringComparison.Ordinal).Replace("E-", "e-", StringComparison.Ordinal);

    private static void WriteScore(IBufferWriter<byte> w, double score, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteRaw(w, Encoding.ASCII.GetBytes("," + FormatScore(score) + "\r\n"));
        else
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(FormatScore(score)));
    }

    private static bool Read(LocalKeyspace keyspace, ReadOnlySpan<byte> key, IBufferWriter<byte> w, out List<ScoredMember> members)
    {
        members = [];
        if (!RespCollections.TryRead(keyspace, key, EntryType.SortedSet, w, out var value))
            return false;
        CollectionCodec.DecodeScored(value, members);
        return true;
    }

    private static int IndexOf(List<ScoredMember> members, ReadOnlySpan<byte> member)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].Member.Span.SequenceEqual(member))
                return i;
        }
        return -1;
    }

    /// <summary>The member's position: in <paramref name="index"/> when the command made one, else by a scan.</summary>
    private static int IndexOf(List<ScoredMember> members, Dictionary<ReadOnlyMemory<byte>, int>? index, ReadOnlySpan<byte> member)
    {
        if (index is null)
            return IndexOf(members, member);
        return index.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(member, out var at) ? at : -1;
    }

    /// <summary>Each member's position, for a command that looks up many members (<see cref="RespCollections.IndexFromLookups"/>).</summary>
    private static Dictionary<ReadOnlyMemory<byte>, int> IndexMembers(List<ScoredMember> members)
    {
        var index = new Dictionary<ReadOnlyMemory<byte>, int>(members.Count, RespCollections.BytesComparer.Instance);
        for (var i = 0; i < members.Count; i++)
            index.TryAdd(members[i].Member, i);
        return index;
    }

    private static void Add(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
        var i = 2;
        for (; i < c.Count; i++)
        {
            if (c.ArgumentEquals(i, "NX"u8)) nx = true;
            else if (c.ArgumentEquals(i, "XX"u8)) xx = true;
            else if (c.ArgumentEquals(i, "GT"u8)) gt = true;
            else if (c.ArgumentEquals(i, "LT"u8)) lt = true;
            else if (c.ArgumentEquals(i, "CH"u8)) ch = true;
            else if (c.ArgumentEquals(i, "INCR"u8)) incr = true;
            else break;
        }
        var pairs = c.Count - i;
        if (pairs == 0 || pairs % 2 != 0)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (nx && xx)
        {
            RespWriter.WriteError(w, "XX and NX options at the same time are not compatible"u8);
            return;
        }
        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            RespWriter.WriteError(w, "GT, LT, and/or NX options at the same time are not compatible"u8);
            return;
        }
        if (incr && pairs > 2)
        {
            RespWriter.WriteError(w, "INCR option supports a single increment-element pair"u8);
            return;
        }
        var scores = new double[pairs / 2];
        for (var k = 0; k < scores.Length; k++)
        {
            if (!RespStringCommands.TryParseFloat(c.GetArgument(i + (2 * k)), out scores[k]))
            {
                RespWriter.WriteRaw(w, NotAFloat);
                return;
            }
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
            return;
        var members = new List<ScoredMember>(CollectionCodec.Count(value.Span) + scores.Length);
        CollectionCodec.DecodeScored(value, members);
        var index = scores.Length >= RespCollections.IndexFromLookups ? IndexMembers(members) : null;
        int added = 0, changed = 0;
        double? result = null;
        for (var k = 0; k < scores.Length; k++)
        {
            var member = c.GetArgument(i + (2 * k) + 1);
            var score = scores[k];
            var at = IndexOf(members, index, member);
            if (at < 0)
            {
                if (xx)
                    continue;
                if (double.IsNaN(score))
                {
                    RespWriter.WriteError(w, "resulting score is not a number (NaN)"u8);
                    return;
                }
                var bytes = member.ToArray();
                index?.Add(bytes, members.Count);
                members.Add(new ScoredMember(score, bytes));
                added++;
                result = score;
                continue;
            }
            if (nx)
                continue;
            var current = members[at].Score;
            var next = incr ? current + score : score;
            if (double.IsNaN(next))
            {
                RespWriter.WriteError(w, "resulting score is not a number (NaN)"u8);
                return;
            }
            if ((gt && next <= current) || (lt && next >= current))
                continue;
            result = next;
            if (next != current)
            {
                members[at] = members[at] with { Score = next };
                changed++;
            }
        }
        if (added + changed > 0)
        {
            members.Sort(Compare);
            if (!RespCollections.Store(write, keyspace, members, expiresAt, w, NotifyClass.ZSet, incr ? "zincr"u8 : "zadd"u8))
                return;
        }
        if (incr)
        {
            if (result is { } score)
                WriteScore(w, score, respVersion);
            else
                RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        RespWriter.WriteInteger(w, ch ? added + changed : added);
    }

    private static void IncrementBy(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (!RespStringCommands.TryParseFloat(c.GetArgument(2), out var delta))
        {
            RespWriter.WriteRaw(w, NotAFloat);
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
            return;
        var members = new List<ScoredMember>(CollectionCodec.Count(value.Span) + 1);
        CollectionCodec.DecodeScored(value, members);
        var member = c.GetArgument(3);
        var at = IndexOf(members, member);
        var next = at < 0 ? delta : members[at].Score + delta;
        if (double.IsNaN(next))
        {
            RespWriter.WriteError(w, "resulting score is not a number (NaN)"u8);
            return;
        }
        // Redis's ZINCRBY says nothing when the score stays the same.
        var changed = at < 0 || next != members[at].Score;
        if (at < 0)
            members.Add(new ScoredMember(next, member.ToArray()));
        else
            members[at] = members[at] with { Score = next };
        members.Sort(Compare);
        if (RespCollections.Store(write, keyspace, members, expiresAt, w, changed ? NotifyClass.ZSet : 0, "zincr"u8))
            WriteScore(w, next, respVersion);
    }

    private static void Remove(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
            return;
        var members = new List<ScoredMember>();
        CollectionCodec.DecodeScored(value, members);
        // One pass over the set, whatever the number of members named (a scan and a removal each was quadratic).
        var removing = new HashSet<ReadOnlyMemory<byte>>(c.Count - 2, RespCollections.BytesComparer.Instance);
        var named = removing.GetAlternateLookup<ReadOnlySpan<byte>>();
        for (var i = 2; i < c.Count; i++)
            named.Add(c.GetArgument(i));
        var kept = 0;
        for (var i = 0; i < members.Count; i++)
        {
            if (!removing.Contains(members[i].Member))
                members[kept++] = members[i];
        }
        var removed = members.Count - kept;
        members.RemoveRange(kept, removed);
        if (removed == 0 || RespCollections.Store(write, keyspace, members, expiresAt, w, NotifyClass.ZSet, "zrem"u8))
            RespWriter.WriteInteger(w, removed);
    }

    private static void Rank(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var withScore = c.Count == 4 && c.ArgumentEquals(3, "WITHSCORE"u8);
        if (c.Count > 4 || (c.Count == 4 && !withScore))
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (!Read(keyspace, c.GetArgument(1), w, out var members))
            return;
        var at = IndexOf(members, c.GetArgument(2));
        if (at < 0)
        {
            if (withScore)
                RespCollections.WriteNullArray(w, respVersion);
            else
                RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        var rank = c.Kind == RespCommandKind.ZRank ? at : members.Count - 1 - at;
        if (!withScore)
        {
            RespWriter.WriteInteger(w, rank);
            return;
        }
        RespWriter.WriteArrayHeader(w, 2);
        RespWriter.WriteInteger(w, rank);
        WriteScore(w, members[at].Score, respVersion);
    }

    /// <summary>One end of a score or lex range: a score with exclusiveness, or a member bound (null: - or + infinity).</summary>
    private readonly record struct Bound(double Score, bool Exclusive, byte[]? Lex, int LexInfinity);

    private static bool TryParseBounds(RespCommand c, int minIndex, int maxIndex, bool byLex, IBufferWriter<byte> w, out Bound min, out Bound max)
    {
        max = default;
        if (byLex)
        {
            if (TryParseLex(c.GetArgument(minIndex), out min) && TryParseLex(c.GetArgument(maxIndex), out max))
                return true;
            RespWriter.WriteRaw(w, MinMaxNotString);
            return false;
        }
        if (TryParseScore(c.GetArgument(minIndex), out min) && TryParseScore(c.GetArgument(maxIndex), out max))
            return true;
        RespWriter.WriteRaw(w, MinMaxNotFloat);
        return false;
    }

    private static bool TryParseScore(ReadOnlySpan<byte> text, out Bound bound)
    {
        var exclusive = !text.IsEmpty && text[0] == '(';
        if (exclusive)
            text = text[1..];
        var ok = RespStringCommands.TryParseFloat(text, out var score);
        bound = new Bound(score, exclusive, null, 0);
        return ok;
    }

    private static bool TryParseLex(ReadOnlySpan<byte> text, out Bound bound)
    {
        bound = default;
        if (text.Length == 1 && text[0] == '-')
        {
            bound = new Bound(0, false, null, -1);
            return true;
        }
        if (text.Length == 1 && text[0] == '+')
        {
            bound = new Bound(0, false, null, 1);
            return true;
        }
        if (text.IsEmpty || (text[0] != '(' && text[0] != '['))
            return false;
        bound = new Bound(0, text[0] == '(', text[1..].ToArray(), 0);
        return true;
    }

    private static bool AboveMin(ScoredMember m, Bound min)
    {
        if (min.Lex is null && min.LexInfinity == 0)
            return min.Exclusive ? m.Score > min.Score : m.Score >= min.Score;
        if (min.LexInfinity != 0)
            return min.LexInfinity < 0;
        var cmp = m.Member.Span.SequenceCompareTo(min.Lex);
        return min.Exclusive ? cmp > 0 : cmp >= 0;
    }

    private static bool BelowMax(ScoredMember m, Bound max)
    {
        if (max.Lex is null && max.LexInfinity == 0)
            return max.Exclusive ? m.Score < max.Score : m.Score <= max.Score;
        if (max.LexInfinity != 0)
            return max.LexInfinity > 0;
        var cmp = m.Member.Span.SequenceCompareTo(max.Lex);
        return max.Exclusive ? cmp < 0 : cmp <= 0;
    }

    private static bool InRange(ScoredMember m, Bound min, Bound max) => AboveMin(m, min) && BelowMax(m, max);

    private enum RangeBy
    {
        Rank,
        Score,
        Lex,
    }

    private static void Range(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var by = c.Kind switch
        {
            RespCommandKind.ZRangeByScore or RespCommandKind.ZRevRangeByScore => RangeBy.Score,
            RespCommandKind.ZRangeByLex or RespCommandKind.ZRevRangeByLex => RangeBy.Lex,
            _ => RangeBy.Rank,
        };
        var reverse = c.Kind is RespCommandKind.ZRevRange or RespCommandKind.ZRevRangeByScore or RespCommandKind.ZRevRangeByLex;
        // ZRANGESTORE dst src min max ...: ZRANGE's arguments one place later, and no WITHSCORES.
        var store = c.Kind == RespCommandKind.ZRangeStore;
        var full = c.Kind is RespCommandKind.ZRange or RespCommandKind.ZRangeStore; // BYSCORE, BYLEX and REV allowed
        var key = store ? 2 : 1;
        var withScores = false;
        long offset = 0, limit = -1;
        var hasLimit = false;
        for (var i = key + 3; i < c.Count; i++)
        {
            if (!store && c.ArgumentEquals(i, "WITHSCORES"u8) && c.Kind is not (RespCommandKind.ZRangeByLex or RespCommandKind.ZRevRangeByLex))
                withScores = true;
            else if (c.ArgumentEquals(i, "LIMIT"u8) && i + 2 < c.Count && c.Kind is not (RespCommandKind.ZRevRange))
            {
                if (!c.TryGetInt64(i + 1, out offset) || !c.TryGetInt64(i + 2, out limit))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                hasLimit = true;
                i += 2;
            }
            else if (full && c.ArgumentEquals(i, "BYSCORE"u8))
                by = RangeBy.Score;
            else if (full && c.ArgumentEquals(i, "BYLEX"u8))
                by = RangeBy.Lex;
            else if (full && c.ArgumentEquals(i, "REV"u8))
                reverse = true;
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        if (hasLimit && by == RangeBy.Rank)
        {
            RespWriter.WriteError(w, "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"u8);
            return;
        }
        if (withScores && by == RangeBy.Lex)
        {
            RespWriter.WriteError(w, "syntax error, WITHSCORES not supported in combination with BYLEX"u8);
            return;
        }
        // The reverse forms name the range max first; ZRANGE ... REV takes them in that order too.
        var (lowIndex, highIndex) = reverse && (by != RangeBy.Rank) ? (key + 2, key + 1) : (key + 1, key + 2);
        long start = 0, end = 0;
        Bound min = default, max = default;
        if (by == RangeBy.Rank)
        {
            if (!c.TryGetInt64(key + 1, out start) || !c.TryGetInt64(key + 2, out end))
            {
                RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                return;
            }
        }
        else if (!TryParseBounds(c, lowIndex, highIndex, by == RangeBy.Lex, w, out min, out max))
        {
            return;
        }
        if (!Read(keyspace, c.GetArgument(key), w, out var members))
            return;
        var selected = new List<int>();
        if (by == RangeBy.Rank)
        {
            if (RespCollections.ClampRange(ref start, ref end, members.Count))
            {
                for (var r = start; r <= end; r++)
                    selected.Add(reverse ? members.Count - 1 - (int)r : (int)r);
            }
        }
        else
        {
            for (var n = 0; n < members.Count; n++)
            {
                var i = reverse ? members.Count - 1 - n : n;
                if (InRange(members[i], min, max))
                    selected.Add(i);
            }
            if (hasLimit)
            {
                if (offset < 0)
                    selected.Clear();
                else
                {
                    var from = (int)Math.Min(offset, selected.Count);
                    var take = limit < 0 ? selected.Count - from : (int)Math.Min(limit, selected.Count - from);
                    selected = selected.GetRange(from, take);
                }
            }
        }
        if (store)
        {
            // Stored in score order whatever the range's direction.
            selected.Sort();
            var picked = new List<ScoredMember>(selected.Count);
            foreach (var i in selected)
                picked.Add(members[i]);
            StoreMembers(c, w, keyspace, picked);
            return;
        }
        WriteMembers(w, members, selected, withScores, respVersion);
    }

    private static void WriteMembers(IBufferWriter<byte> w, List<ScoredMember> members, List<int> selected, bool withScores, int respVersion, bool flat = false)
    {
        var nested = withScores && respVersion == 3 && !flat;
        RespWriter.WriteArrayHeader(w, withScores && !nested ? selected.Count * 2 : selected.Count);
        foreach (var i in selected)
        {
            if (nested)
                RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, members[i].Member.Span);
            if (withScores)
                WriteScore(w, members[i].Score, respVersion);
        }
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
        if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
            return;
        var members = new List<ScoredMember>();
        CollectionCodec.DecodeScored(value, members);
        var n = (int)Math.Min(count, members.Count);
        var max = c.Kind == RespCommandKind.ZPopMax;
        var selected = new List<int>(n);
        for (var k = 0; k < n; k++)
            selected.Add(max ? members.Count - 1 - k : k);
        // RESP3 nests each pair only when a count was given (Redis 7's reply shapes).
        WriteMembers(w, members, selected, withScores: true, respVersion, flat: !withCount);
        if (n == 0)
            return;
        members.RemoveRange(max ? members.Count - n : 0, n);
        RespCollections.Store(write, keyspace, members, expiresAt, w, NotifyClass.ZSet, max ? "zpopmax"u8 : "zpopmin"u8);
    }

    /// <summary>ZMPOP numkeys key... MIN|MAX [COUNT n] and one try of BZMPOP timeout numkeys ...: [key, [[member, score]...]] or a null array.</summary>
    private static void MultiPop(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var at = 1;
        if (c.Kind == RespCommandKind.BZMPop)
        {
            if (!RespListCommands.TryParseTimeout(c.GetArgument(1), w, out _))
                return;
            at = 2;
        }
        if (!TryParseMultiPop(c, at, w, out var keys, out var max, out var count))
            return;
        for (var k = at + 1; k <= at + keys; k++)
        {
            using var write = keyspace.BeginWrite(c.GetArgument(k), fence: null);
            if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
                return;
            if (value.IsEmpty)
                continue;
            var members = new List<ScoredMember>();
            CollectionCodec.DecodeScored(value, members);
            var n = (int)Math.Min(count, members.Count);
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, c.GetArgument(k));
            RespWriter.WriteArrayHeader(w, n);
            for (var i = 0; i < n; i++)
            {
                var m = members[max ? members.Count - 1 - i : i];
                RespWriter.WriteArrayHeader(w, 2);
                RespWriter.WriteBulkString(w, m.Member.Span);
                WriteScore(w, m.Score, respVersion);
            }
            members.RemoveRange(max ? members.Count - n : 0, n);
            RespCollections.Store(write, keyspace, members, expiresAt, w, NotifyClass.ZSet, max ? "zpopmax"u8 : "zpopmin"u8);
            return;
        }
        RespCollections.WriteNullArray(w, respVersion);
    }

    /// <summary>numkeys key... MIN|MAX [COUNT n] from argument <paramref name="at"/>: false with Redis's error written.</summary>
    public static bool TryParseMultiPop(RespCommand c, int at, IBufferWriter<byte> w, out int keys, out bool max, out long count) =>
        RespCollections.TryParseMultiPop(c, at, "MIN"u8, "MAX"u8, w, out keys, out max, out count);

    /// <summary>One try of BZPOPMIN/BZPOPMAX key... timeout: [key, member, score] of the first non-empty set, or a null array.</summary>
    private static void BlockingPopOnce(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (!RespListCommands.TryParseTimeout(c.GetArgument(c.Count - 1), w, out _))
            return;
        var max = c.Kind == RespCommandKind.BZPopMax;
        for (var k = 1; k < c.Count - 1; k++)
        {
            using var write = keyspace.BeginWrite(c.GetArgument(k), fence: null);
            if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
                return;
            if (value.IsEmpty)
                continue;
            var members = new List<ScoredMember>();
            CollectionCodec.DecodeScored(value, members);
            var at = max ? members.Count - 1 : 0;
            var popped = members[at];
            members.RemoveAt(at);
            if (!RespCollections.Store(write, keyspace, members, expiresAt, w, NotifyClass.ZSet, max ? "zpopmax"u8 : "zpopmin"u8))
                return;
            RespWriter.WriteArrayHeader(w, 3);
            RespWriter.WriteBulkString(w, c.GetArgument(k));
            RespWriter.WriteBulkString(w, popped.Member.Span);
            WriteScore(w, popped.Score, respVersion);
            return;
        }
        RespCollections.WriteNullArray(w, respVersion);
    }

    /// <summary>ZRANDMEMBER key [count [WITHSCORES]]: Redis's rules (a negative count may repeat members).</summary>
    private static void RandomMembers(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        long count = 1;
        var withCount = c.Count >= 3;
        var withScores = false;
        if (c.Count > 4 || (c.Count == 4 && !(withScores = c.ArgumentEquals(3, "WITHSCORES"u8))))
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
                RespWriter.WriteBulkString(w, members[Random.Shared.Next(members.Count)].Member.Span);
            return;
        }
        WriteMembers(w, members, RespCollectionScan.Pick(members.Count, count), withScores, respVersion);
    }

    private enum Aggregate
    {
        Sum,
        Min,
        Max,
    }

    /// <summary>
    /// ZUNION/ZINTER/ZDIFF numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES], ZINTERCARD numkeys key...
    /// [LIMIT n], and ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE destination numkeys key... (no WITHSCORES; the result replaces
    /// the destination, its size the reply).
    /// </summary>
    private static void Combine(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var store = c.Kind is RespCommandKind.ZUnionStore or RespCommandKind.ZInterStore or RespCommandKind.ZDiffStore;
        var union = c.Kind is RespCommandKind.ZUnion or RespCommandKind.ZUnionStore;
        var diff = c.Kind is RespCommandKind.ZDiff or RespCommandKind.ZDiffStore;
        var at = store ? 2 : 1; // the key count's index
        if (!c.TryGetInt64(at, out var numKeys))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        if (numKeys <= 0)
        {
            RespWriter.WriteError(w, NumKeysError(c.Kind));
            return;
        }
        if (numKeys > c.Count - at - 1)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        var keys = (int)numKeys;
        var weights = new double[keys];
        Array.Fill(weights, 1);
        var aggregate = Aggregate.Sum;
        var withScores = false;
        long limit = 0;
        for (var i = at + 1 + keys; i < c.Count; i++)
        {
            if (c.Kind == RespCommandKind.ZInterCard)
            {
                if (!c.ArgumentEquals(i, "LIMIT"u8) || i + 1 >= c.Count)
                {
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return;
                }
                if (!c.TryGetInt64(i + 1, out limit) || limit < 0)
                {
                    RespWriter.WriteError(w, "LIMIT can't be negative"u8);
                    return;
                }
                i++;
            }
            else if (!store && c.ArgumentEquals(i, "WITHSCORES"u8))
            {
                withScores = true;
            }
            else if (!diff && c.ArgumentEquals(i, "WEIGHTS"u8) && i + keys < c.Count)
            {
                for (var k = 0; k < keys; k++)
                {
                    if (!RespStringCommands.TryParseFloat(c.GetArgument(i + 1 + k), out weights[k]))
                    {
                        RespWriter.WriteError(w, "weight value is not a float"u8);
                        return;
                    }
                }
                i += keys;
            }
            else if (!diff && c.ArgumentEquals(i, "AGGREGATE"u8) && i + 1 < c.Count)
            {
                if (c.ArgumentEquals(i + 1, "SUM"u8)) aggregate = Aggregate.Sum;
                else if (c.ArgumentEquals(i + 1, "MIN"u8)) aggregate = Aggregate.Min;
                else if (c.ArgumentEquals(i + 1, "MAX"u8)) aggregate = Aggregate.Max;
                else
                {
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return;
                }
                i++;
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        // Each input as (member -> score); a plain set's members score 1, as in Redis.
        var inputs = new List<Dictionary<ReadOnlyMemory<byte>, double>>(keys);
        var order = new List<ReadOnlyMemory<byte>>();
        for (var k = 0; k < keys; k++)
        {
            var key = c.GetArgument(at + 1 + k);
            var input = new Dictionary<ReadOnlyMemory<byte>, double>(RespCollections.BytesComparer.Instance);
            if (keyspace.TryGetTyped(key, out var value, out var type))
            {
                if (type == EntryType.Set)
                {
                    foreach (var m in RespCollections.Elements(value))
                        input[m] = 1;
                }
                else if (type == EntryType.SortedSet)
                {
                    var members = new List<ScoredMember>();
                    CollectionCodec.DecodeScored(value, members);
                    foreach (var m in members)
                        input[m.Member] = m.Score;
                }
                else
                {
                    RespWriter.WriteRaw(w, RespReplies.WrongType);
                    return;
                }
            }
            inputs.Add(input);
        }
        var result = new Dictionary<ReadOnlyMemory<byte>, double>(RespCollections.BytesComparer.Instance);
        if (union)
        {
            for (var k = 0; k < keys; k++)
            {
                foreach (var (member, score) in inputs[k])
                    result[member] = result.TryGetValue(member, out var sofar) ? Combine(sofar, Weighted(score, weights[k]), aggregate) : Weighted(score, weights[k]);
            }
        }
        else if (diff)
        {
            foreach (var (member, score) in inputs[0])
            {
                var gone = false;
                for (var k = 1; k < keys && !gone; k++)
                    gone = inputs[k].ContainsKey(member);
                if (!gone)
                    result[member] = score;
            }
        }
        else
        {
            foreach (var (member, score) in inputs[0])
            {
                var total = Weighted(score, weights[0]);
                var all = true;
                for (var k = 1; k < keys && all; k++)
                {
                    if (inputs[k].TryGetValue(member, out var other))
                        total = Combine(total, Weighted(other, weights[k]), aggregate);
                    else
                        all = false;
                }
                if (all)
                {
                    result[member] = total;
                    if (c.Kind == RespCommandKind.ZInterCard && limit > 0 && result.Count == limit)
                        break;
                }
            }
        }
        if (c.Kind == RespCommandKind.ZInterCard)
        {
            RespWriter.WriteInteger(w, result.Count);
            return;
        }
        var sorted = new List<ScoredMember>(result.Count);
        foreach (var (member, score) in result)
            sorted.Add(new ScoredMember(double.IsNaN(score) ? 0 : score, member));
        sorted.Sort(Compare);
        if (store)
        {
            StoreMembers(c, w, keyspace, sorted);
            return;
        }
        var everyOne = new List<int>(sorted.Count);
        for (var i = 0; i < sorted.Count; i++)
            everyOne.Add(i);
        WriteMembers(w, sorted, everyOne, withScores, respVersion);
    }

    private static ReadOnlySpan<byte> NumKeysError(RespCommandKind kind) => kind switch
    {
        RespCommandKind.ZUnion => "at least 1 input key is needed for 'zunion' command"u8,
        RespCommandKind.ZInter => "at least 1 input key is needed for 'zinter' command"u8,
        RespCommandKind.ZInterCard => "at least 1 input key is needed for 'zintercard' command"u8,
        RespCommandKind.ZUnionStore => "at least 1 input key is needed for 'zunionstore' command"u8,
        RespCommandKind.ZInterStore => "at least 1 input key is needed for 'zinterstore' command"u8,
        RespCommandKind.ZDiffStore => "at least 1 input key is needed for 'zdiffstore' command"u8,
        _ => "at least 1 input key is needed for 'zdiff' command"u8,
    };

    /// <summary>
    /// The *STORE forms' end: <paramref name="members"/> (in order) replace the destination at argument 1, whatever it
    /// held, without an expiry (an empty result deletes it); the reply is their number.
    /// </summary>
    internal static void StoreMembers(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, List<ScoredMember> members)
    {
        // Copies: the members are slices of stored values, and the destination may be one of those keys.
        var copies = new List<ScoredMember>(members.Count);
        foreach (var m in members)
            copies.Add(new ScoredMember(m.Score, m.Member.ToArray()));
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
            RespCommandKind.ZUnionStore => "zunionstore"u8,
            RespCommandKind.ZInterStore => "zinterstore"u8,
            RespCommandKind.ZDiffStore => "zdiffstore"u8,
            RespCommandKind.ZRangeStore => "zrangestore"u8,
            _ => "geosearchstore"u8,
        };
        if (RespCollections.Store(write, keyspace, copies, 0, w, NotifyClass.ZSet, name))
            RespWriter.WriteInteger(w, copies.Count);
    }

    // Redis: inf * 0 is 0 for a weight (not NaN), and inf + -inf sums to 0.
    private static double Weighted(double score, double weight) => score * weight is var product && double.IsNaN(product) ? 0 : product;

    private static double Combine(double a, double b, Aggregate aggregate) => aggregate switch
    {
        Aggregate.Min => Math.Min(a, b),
        Aggregate.Max => Math.Max(a, b),
        _ => a + b is var sum && double.IsNaN(sum) ? 0 : sum,
    };

    private static void RemoveRange(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace)
    {
        long start = 0, end = 0;
        Bound min = default, max = default;
        if (c.Kind == RespCommandKind.ZRemRangeByRank)
        {
            if (!c.TryGetInt64(2, out start) || !c.TryGetInt64(3, out end))
            {
                RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                return;
            }
        }
        else if (!TryParseBounds(c, 2, 3, c.Kind == RespCommandKind.ZRemRangeByLex, w, out min, out max))
        {
            return;
        }
        using var write = keyspace.BeginWrite(c.GetArgument(1), fence: null);
        if (!RespCollections.TryOpen(write, EntryType.SortedSet, w, out var value, out var expiresAt))
            return;
        var members = new List<ScoredMember>();
        CollectionCodec.DecodeScored(value, members);
        int removed;
        if (c.Kind == RespCommandKind.ZRemRangeByRank)
        {
            removed = 0;
            if (RespCollections.ClampRange(ref start, ref end, members.Count))
            {
                removed = (int)(end - start + 1);
                members.RemoveRange((int)start, removed);
            }
        }
        else
        {
            removed = members.RemoveAll(m => InRange(m, min, max));
        }
        var name = c.Kind switch
        {
            RespCommandKind.ZRemRangeByRank => "zremrangebyrank"u8,
            RespCommandKind.ZRemRangeByScore => "zremrangebyscore"u8,
            _ => "zremrangebylex"u8,
        };
        if (removed == 0 || RespCollections.Store(write, keyspace, members, expiresAt, w, NotifyClass.ZSet, name))
            RespWriter.WriteInteger(w, removed);
    }
}
