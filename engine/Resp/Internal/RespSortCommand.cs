using System.Buffers;
using System.Globalization;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// SORT and SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
/// on a list, set or sorted set, with Redis 7.0's rules, replies and errors.
/// </summary>
/// <remarks>
/// <para>A pattern names other keys: <c>weight_*</c> is the string at the key made by putting the element in place of
/// the first <c>*</c>, <c>obj_*->field</c> a field of the hash there, <c>#</c> (GET only) the element itself; a BY
/// pattern without <c>*</c> means "do not sort". Redis Cluster 7.0 refuses BY and GET patterns; FastDht serves them on
/// keys of any nodes.</para>
/// <para>Design: SORT always runs inside a transaction of the coordinator (RespSession routes it like RENAME), on the
/// transaction's private copy of the keys it locked. Its source and STORE keys are known from its arguments; the keys
/// its patterns name are known only once the source is read. So when a pattern names a key the transaction did not
/// lock, the run asks for it (<see cref="RespTransaction.Need"/>) and the transaction runs again with that key locked
/// too. The source stays locked from the first read, so the second run normally finds every key it needs (a third is
/// needed only when GET patterns apply to the range a BY pattern chose). The sort, the pattern reads and the STORE are
/// therefore one atomic step over every key involved.</para>
/// <para>Numeric sorting parses each weight as C's strtod does (an empty string is 0; trailing text, overflow or NaN
/// is Redis's "One or more scores can't be converted into double"). Equal weights are ordered by the elements' bytes,
/// so the result is deterministic (Redis leaves ties of ALPHA BY in qsort's order). Without a transaction (a node
/// that received SORT through RespExecute), patterns read the keyspace it runs on.</para>
/// </remarks>
internal static class RespSortCommand
{
    private static ReadOnlySpan<byte> NotADouble => "-ERR One or more scores can't be converted into double\r\n"u8;

    /// <summary>
    /// The index of the STORE destination of a SORT whose arguments start at <paramref name="offset"/> (COMMAND
    /// GETKEYS: 2), or 0 without one. As Redis's sortGetKeys: LIMIT, GET and BY skip their arguments; the last STORE wins.
    /// </summary>
    public static int StoreKeyIndex(RespCommand c, int offset = 0)
    {
        var found = 0;
        for (var i = offset + 2; i < c.Count; i++)
        {
            if (c.ArgumentEquals(i, "LIMIT"u8))
                i += 2;
            else if (c.ArgumentEquals(i, "GET"u8) || c.ArgumentEquals(i, "BY"u8))
                i++;
            else if (c.ArgumentEquals(i, "STORE"u8) && i + 1 < c.Count)
                found = i + 1 - offset;
        }
        return found;
    }

    /// <summary>
    /// Runs SORT or SORT_RO on <paramref name="keyspace"/>. With <paramref name="transaction"/>, a key a pattern names
    /// that the transaction did not lock is asked for instead of read (the transaction runs again; this run's reply is
    /// dropped).
    /// </summary>
    public static void Execute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion, RespTransaction? transaction, bool fromScript = false)
    {
        if (!TryParse(c, w, out var options))
            return;
        if (keyspace.TryGetTyped(c.GetArgument(1), out var value, out var type) && type is not (EntryType.List or EntryType.Set or EntryType.SortedSet))
        {
            RespWriter.WriteRaw(w, RespReplies.WrongType);
            return;
        }
        var items = Load(value, type);
        var dontSort = options.By > 0 && c.GetArgument(options.By).IndexOf((byte)'*') < 0;
        var alpha = options.Alpha;
        if (dontSort && type == EntryType.Set && (options.Store > 0 || fromScript))
        {
            // A set has no order of its own: what is stored, or what a script sees, must not depend on how it is kept
            // (Redis forces ALPHA for both: sort.c, "consistent across scripting and replication").
            dontSort = false;
            alpha = true;
            options.By = 0;
        }
        if (dontSort && options.Descending && type is EntryType.List or EntryType.SortedSet)
            items.Reverse();

        // LIMIT as Redis clamps it: a negative offset is 0, a negative count is "to the end".
        long start = options.Offset < 0 ? 0 : options.Offset;
        long end;
        if (start >= items.Count)
        {
            start = items.Count - 1;
            end = items.Count - 2;
        }
        else
        {
            end = options.Count < 0 ? items.Count - 1 : start + Math.Min(options.Count, items.Count) - 1;
            end = Math.Min(end, items.Count - 1);
        }

        var conversionError = false;
        if (!dontSort)
        {
            var missing = false;
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                ReadOnlyMemory<byte> weight;
                if (options.By > 0)
                {
                    var found = TryLookup(keyspace, transaction, c.GetArgument(options.By), item.Element, out weight, ref missing);
                    if (!found)
                        continue; // an absent weight counts as 0 (ALPHA: sorts first)
                    item.HasWeight = true;
                }
                else
                {
                    weight = item.Element;
                }
                if (alpha)
                    item.Weight = weight;
                else if (!TryParseWeight(weight.Span, out item.Score))
                    conversionError = true;
                items[i] = item;
            }
            if (missing)
            {
                RespWriter.WriteError(w, "SORT's keys are being locked"u8); // replaced: the transaction runs again
                return;
            }
            items.Sort(new Comparer(alpha, byPattern: options.By > 0, options.Descending));
        }
        if (conversionError)
        {
            RespWriter.WriteRaw(w, NotADouble);
            return;
        }

        var length = (int)(end - start + 1);
        var gets = options.Gets;
        if (options.Store > 0)
            StoreResult(c, w, keyspace, transaction, items, (int)start, length, gets, options.Store);
        else
            WriteResult(c, w, keyspace, transaction, items, (int)start, length, gets, respVersion);
    }

    private static void WriteResult(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, RespTransaction? transaction, List<SortItem> items, int start, int length, List<int> gets, int respVersion)
    {
        if (!ResolveGets(c, keyspace, transaction, items, start, length, gets, out var values))
        {
            RespWriter.WriteError(w, "SORT's keys are being locked"u8);
            return;
        }
        RespWriter.WriteArrayHeader(w, gets.Count == 0 ? length : gets.Count * length);
        if (gets.Count == 0)
        {
            for (var j = start; j < start + length; j++)
                RespWriter.WriteBulkString(w, items[j].Element.Span);
            return;
        }
        foreach (var v in values)
        {
            if (v is { } found)
                RespWriter.WriteBulkString(w, found.Span);
            else
                RespKeyCommands.WriteNull(w, respVersion);
        }
    }

    private static void StoreResult(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, RespTransaction? transaction, List<SortItem> items, int start, int length, List<int> gets, int store)
    {
        if (!ResolveGets(c, keyspace, transaction, items, start, length, gets, out var values))
        {
            RespWriter.WriteError(w, "SORT's keys are being locked"u8);
            return;
        }
        // Copies: the elements are slices of stored values, and the destination may be one of those keys.
        var result = new List<ReadOnlyMemory<byte>>(gets.Count == 0 ? length : values.Count);
        if (gets.Count == 0)
        {
            for (var j = start; j < start + length; j++)
                result.Add(items[j].Element.ToArray());
        }
        else
        {
            foreach (var v in values)
                result.Add(v is { } found ? found.ToArray() : Array.Empty<byte>()); // a missing value is stored as ""
        }
        using var write = keyspace.BeginWrite(c.GetArgument(store), fence: null);
        if (write.Refusal != KeyWriteRefusal.None)
        {
            RespKeyCommands.WriteRefused(w, write.Refusal);
            return;
        }
        // The destination is replaced whatever it held, without an expiry; an empty result deletes it.
        if (result.Count == 0)
        {
            // Redis's SORT ... STORE: "del" only when a destination was removed.
            if (write.Delete())
                keyspace.Notify(NotifyClass.Generic, "del"u8, c.GetArgument(store));
            RespWriter.WriteInteger(w, 0);
            return;
        }
        if (RespCollections.Store(write, keyspace, EntryType.List, result, result.Count, 0, w, NotifyClass.List, "sortstore"u8))
            RespWriter.WriteInteger(w, result.Count);
    }

    /// <summary>Each GET pattern's value for each element of the range, in output order; false when a key must be locked first.</summary>
    private static bool ResolveGets(RespCommand c, LocalKeyspace keyspace, RespTransaction? transaction, List<SortItem> items, int start, int length, List<int> gets, out List<ReadOnlyMemory<byte>?> values)
    {
        values = new List<ReadOnlyMemory<byte>?>(gets.Count * length);
        var missing = false;
        for (var j = start; j < start + length; j++)
        {
            foreach (var get in gets)
                values.Add(TryLookup(keyspace, transaction, c.GetArgument(get), items[j].Element, out var value, ref missing) ? value : (ReadOnlyMemory<byte>?)null);
        }
        return !missing;
    }

    /// <summary>Redis's lookupKeyByPattern: the string or hash field a pattern names for <paramref name="element"/>; false when there is none.</summary>
    private static bool TryLookup(LocalKeyspace keyspace, RespTransaction? transaction, ReadOnlySpan<byte> pattern, ReadOnlyMemory<byte> element, out ReadOnlyMemory<byte> value, ref bool missing)
    {
        value = default;
        if (pattern.SequenceEqual("#"u8))
        {
            value = element;
            return true;
        }
        var star = pattern.IndexOf((byte)'*');
        if (star < 0)
            return false; // a fixed key is not looked up
        var arrow = pattern[(star + 1)..].IndexOf("->"u8);
        var field = ReadOnlySpan<byte>.Empty;
        var keyPattern = pattern;
        if (arrow >= 0 && star + 1 + arrow + 2 < pattern.Length)
        {
            field = pattern[(star + 1 + arrow + 2)..];
            keyPattern = pattern[..(star + 1 + arrow)];
        }
        var key = new byte[keyPattern.Length - 1 + element.Length];
        keyPattern[..star].CopyTo(key);
        element.Span.CopyTo(key.AsSpan(star));
        keyPattern[(star + 1)..].CopyTo(key.AsSpan(star + element.Length));
        if (transaction is not null && !transaction.Holds(key))
        {
            transaction.Need(key);
            missing = true;
            return false;
        }
        if (!keyspace.TryGetTyped(key, out var stored, out var type))
            return false;
        if (field.IsEmpty)
        {
            value = stored;
            return type == EntryType.String;
        }
        if (type != EntryType.Hash)
            return false;
        var pairs = RespCollections.Elements(stored);
        for (var i = 0; i + 1 < pairs.Count; i += 2)
        {
            if (pairs[i].Span.SequenceEqual(field))
            {
                value = pairs[i + 1];
                return true;
            }
        }
        return false;
    }

    private static List<SortItem> Load(ReadOnlyMemory<byte> value, EntryType type)
    {
        if (type == EntryType.SortedSet)
        {
            var members = new List<ScoredMember>(CollectionCodec.Count(value.Span));
            CollectionCodec.DecodeScored(value, members);
            var scored = new List<SortItem>(members.Count);
            foreach (var m in members)
                scored.Add(new SortItem { Element = m.Member });
            return scored;
        }
        var elements = RespCollections.Elements(value);
        var items = new List<SortItem>(elements.Count);
        foreach (var e in elements)
            items.Add(new SortItem { Element = e });
        return items;
    }

    /// <summary>Parses the options in Redis's order and words; false with the error written.</summary>
    private static bool TryParse(RespCommand c, IBufferWriter<byte> w, out SortOptions options)
    {
        options = new SortOptions { Count = -1, Gets = [] };
        var readOnly = c.Kind == RespCommandKind.SortRo;
        for (var j = 2; j < c.Count; j++)
        {
            var left = c.Count - j - 1;
            if (c.ArgumentEquals(j, "ASC"u8))
            {
                options.Descending = false;
            }
            else if (c.ArgumentEquals(j, "DESC"u8))
            {
                options.Descending = true;
            }
            else if (c.ArgumentEquals(j, "ALPHA"u8))
            {
                options.Alpha = true;
            }
            else if (c.ArgumentEquals(j, "LIMIT"u8) && left >= 2)
            {
                if (!c.TryGetInt64(j + 1, out options.Offset) || !c.TryGetInt64(j + 2, out options.Count))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return false;
                }
                j += 2;
            }
            else if (c.ArgumentEquals(j, "STORE"u8) && left >= 1 && !readOnly)
            {
                options.Store = ++j;
            }
            else if (c.ArgumentEquals(j, "BY"u8) && left >= 1)
            {
                options.By = ++j;
            }
            else if (c.ArgumentEquals(j, "GET"u8) && left >= 1)
            {
                options.Gets.Add(++j);
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return false;
            }
        }
        return true;
    }

    /// <summary>C's strtod over the whole text, as Redis reads a weight: leading blanks allowed, nothing after the number, no overflow or NaN.</summary>
    internal static bool TryParseWeight(ReadOnlySpan<byte> text, out double score)
    {
        score = 0;
        var at = 0;
        while (at < text.Length && text[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
            at++;
        var rest = text[at..];
        if (rest.IsEmpty)
            return at == 0; // strtod reads nothing from "": 0; from blanks alone it stops at the blanks
        var body = rest[0] is (byte)'+' or (byte)'-' ? rest[1..] : rest;
        if (Ascii.EqualsIgnoreCase(body, "inf"u8) || Ascii.EqualsIgnoreCase(body, "infinity"u8))
        {
            score = rest[0] == (byte)'-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (!double.TryParse(Encoding.ASCII.GetString(rest), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out score))
            return false;
        return !double.IsInfinity(score) && !double.IsNaN(score);
    }

    /// <summary>SORT's order: by weight (numeric or bytes), ties and ALPHA without BY by the elements' bytes; DESC reverses all.</summary>
    private sealed class Comparer(bool alpha, bool byPattern, bool descending) : IComparer<SortItem>
    {
        public int Compare(SortItem x, SortItem y)
        {
            int cmp;
            if (!alpha)
                cmp = x.Score.CompareTo(y.Score);
            else if (!byPattern)
                cmp = 0;
            else if (!x.HasWeight || !y.HasWeight)
                cmp = x.HasWeight == y.HasWeight ? 0 : x.HasWeight ? 1 : -1;
            else
                cmp = x.Weight.Span.SequenceCompareTo(y.Weight.Span);
            if (cmp == 0)
                cmp = x.Element.Span.SequenceCompareTo(y.Element.Span);
            return descending ? -cmp : cmp;
        }
    }

    private struct SortItem
    {
        public ReadOnlyMemory<byte> Element;
        public double Score;
        public ReadOnlyMemory<byte> Weight;
        public bool HasWeight;
    }

    private struct SortOptions
    {
        public bool Descending;
        public bool Alpha;
        public long Offset;
        public long Count;
        public int Store;
        public int By;
        public List<int> Gets;
    }
}
