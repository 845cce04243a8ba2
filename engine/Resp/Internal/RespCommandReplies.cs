using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP), describing the commands FastDht serves.</summary>
/// <remarks>Shapes as Redis 7 gives them: maps and sets in RESP3, flattened arrays in RESP2.</remarks>
internal static class RespCommandReplies
{
    public static void Write(IBufferWriter<byte> w, RespCommand c, int respVersion)
    {
        if (c.Count == 1)
        {
            WriteAllInfo(w, respVersion);
            return;
        }
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "COUNT"u8))
        {
            RespWriter.WriteInteger(w, RespCommandSpecs.All.Count);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "INFO"u8))
        {
            if (c.Count == 2)
            {
                WriteAllInfo(w, respVersion);
                return;
            }
            RespWriter.WriteArrayHeader(w, c.Count - 2);
            for (var i = 2; i < c.Count; i++)
            {
                var spec = RespCommandSpecs.Find(c.GetArgument(i));
                if (spec is null)
                    RespWriter.WriteRaw(w, respVersion == 3 ? RespReplies.Null3 : RespReplies.NullArray);
                else
                    WriteInfo(w, spec, respVersion);
            }
        }
        else if (Ascii.EqualsIgnoreCase(sub, "DOCS"u8))
        {
            WriteDocs(w, c, respVersion);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "LIST"u8))
        {
            WriteList(w, c);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "GETKEYS"u8) || Ascii.EqualsIgnoreCase(sub, "GETKEYSANDFLAGS"u8))
        {
            WriteKeys(w, c, withFlags: sub.Length > 7, respVersion);
        }
        else
        {
            WriteHelp(w, RespCommandSpecs.Get(RespCommandKind.Command)!);
        }
    }

    /// <summary>
    /// HELP of a container command, as Redis words it: a header line, then each subcommand and its summary, indented.
    /// </summary>
    public static void WriteHelp(IBufferWriter<byte> w, RespCommandSpec container)
    {
        var upper = container.Name.ToUpperInvariant();
        RespWriter.WriteArrayHeader(w, 1 + (container.Subcommands.Length * 2));
        RespWriter.WriteSimpleString(w, Encoding.ASCII.GetBytes($"{upper} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
        foreach (var sub in container.Subcommands)
        {
            RespWriter.WriteSimpleString(w, Encoding.ASCII.GetBytes(sub.ShortName.ToUpperInvariant()));
            RespWriter.WriteSimpleString(w, Encoding.ASCII.GetBytes("    " + sub.Doc.Summary));
        }
    }

    private static void WriteAllInfo(IBufferWriter<byte> w, int respVersion)
    {
        var all = RespCommandSpecs.All;
        RespWriter.WriteArrayHeader(w, all.Count);
        foreach (var spec in all)
            WriteInfo(w, spec, respVersion);
    }

    /// <summary>Redis 7's 10-field command info: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands.</summary>
    private static void WriteInfo(IBufferWriter<byte> w, RespCommandSpec spec, int respVersion)
    {
        RespWriter.WriteArrayHeader(w, 10);
        RespWriter.WriteBulkString(w, spec.NameBytes);
        RespWriter.WriteInteger(w, spec.Arity);
        WriteStatusSet(w, spec.Flags, "", respVersion);
        // Movable keys have no legacy range: Redis prints 0 0 0 and the key spec says where they are (Z*STORE: 1 1 1,
        // the destination; MIGRATE: 3 3 1, its key argument).
        var movable = spec.NumKeysIndex > 0;
        var migrate = spec.Kind == RespCommandKind.Migrate;
        // A destination before its sources (SUNIONSTORE, BITOP, PFMERGE...) starts the legacy range: 2 -1 1 for BITOP, as Redis prints it.
        RespWriter.WriteInteger(w, spec.DestinationIndex > 0 ? spec.DestinationIndex : migrate ? MigrateKeyIndex : movable ? 0 : spec.FirstKey);
        RespWriter.WriteInteger(w, spec.DestinationIndex > 0 ? (movable ? spec.DestinationIndex : spec.LastKey) : migrate ? MigrateKeyIndex : movable ? 0 : spec.LastKey);
        RespWriter.WriteInteger(w, spec.DestinationIndex > 0 ? (movable ? 1 : spec.Step) : migrate ? 1 : movable ? 0 : spec.Step);
        WriteStatusSet(w, spec.Doc.Categories, "@", respVersion);
        RespWriter.WriteArrayHeader(w, spec.Tips.Length);
        foreach (var tip in spec.Tips)
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(tip));
        if (spec.KeyCountIndex > 0)
        {
            // A script's keys: counted by the argument at KeyCountIndex, following it (Redis's keynum spec).
            RespWriter.WriteArrayHeader(w, 1);
            WriteKeySpec(w, spec.KeyFlags, spec.KeyCountIndex, 1, 0, 1, respVersion, spec.KeySpecNotes);
        }
        else if (migrate)
        {
            // MIGRATE's key argument, and the keys after its KEYS option, searched from the end (incomplete: a KEYS
            // that is AUTH's password is not the option; GETKEYS reads the arguments as MIGRATE does).
            RespWriter.WriteArrayHeader(w, 2);
            WriteKeySpec(w, spec.KeyFlags, MigrateKeyIndex, 0, 0, 1, respVersion);
            WriteMigrateKeysOptionSpec(w, spec.KeyFlags, respVersion);
        }
        else if (spec.DestinationIndex > 0)
        {
            RespWriter.WriteArrayHeader(w, 2);
            WriteKeySpec(w, spec.DestinationKeyFlags, spec.DestinationIndex, 0, 0, 1, respVersion);
            WriteKeySpec(w, spec, respVersion);
        }
        else if (spec.HasKeys)
        {
            RespWriter.WriteArrayHeader(w, 1);
            WriteKeySpec(w, spec, respVersion);
        }
        else
        {
            RespWriter.WriteRaw(w, RespReplies.EmptyArray);
        }
        RespWriter.WriteArrayHeader(w, spec.Subcommands.Length);
        foreach (var sub in spec.Subcommands)
            WriteInfo(w, sub, respVersion);
    }

    /// <summary>The key spec of a FastDht command's keys: from an index to the end (or a fixed last key), every step-th, or counted (keynum).</summary>
    private static void WriteKeySpec(IBufferWriter<byte> w, RespCommandSpec spec, int respVersion)
    {
        if (spec.NumKeysIndex > 0)
            WriteKeySpec(w, spec.KeyFlags, spec.NumKeysIndex, spec.FirstKey - spec.NumKeysIndex, 0, 1, respVersion);
        else
            WriteKeySpec(w, spec.KeyFlags, spec.FirstKey, 0, spec.LastKey < 0 ? spec.LastKey : spec.LastKey - spec.FirstKey, spec.Step, respVersion, spec.KeySpecNotes);
    }

    /// <summary>
    /// One key spec searching from <paramref name="index"/>: with <paramref name="keynumFirstKey"/> &gt; 0 the key count
    /// is there and the keys follow it (keynum); otherwise a range to <paramref name="lastKey"/> (relative to the first
    /// key; -1: to the last argument), every <paramref name="step"/>-th.
    /// </summary>
    private static void WriteKeySpec(IBufferWriter<byte> w, string[] flags, int index, int keynumFirstKey, int lastKey, int step, int respVersion, string? notes = null)
    {
        WriteMapHeader(w, notes is null ? 3 : 4, respVersion);
        if (notes is not null)
        {
            RespWriter.WriteBulkString(w, "notes"u8);
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(notes));
        }
        WriteFlagsAndSearchType(w, flags, "index"u8, respVersion);
        WriteMapHeader(w, 1, respVersion);
        RespWriter.WriteBulkString(w, "index"u8);
        RespWriter.WriteInteger(w, index);
        if (keynumFirstKey > 0)
        {
            RespWriter.WriteBulkString(w, "find_keys"u8);
            WriteMapHeader(w, 2, respVersion);
            RespWriter.WriteBulkString(w, "type"u8);
            RespWriter.WriteBulkString(w, "keynum"u8);
            RespWriter.WriteBulkString(w, "spec"u8);
            WriteMapHeader(w, 3, respVersion);
            RespWriter.WriteBulkString(w, "keynumidx"u8);
            RespWriter.WriteInteger(w, 0);
            RespWriter.WriteBulkString(w, "firstkey"u8);
            RespWriter.WriteInteger(w, keynumFirstKey);
            RespWriter.WriteBulkString(w, "keystep"u8);
            RespWriter.WriteInteger(w, 1);
            return;
        }
        WriteRangeFindKeys(w, lastKey, step, respVersion);
    }

    /// <summary>MIGRATE's second key spec, as Redis 7.0 gives it: the keys after the keyword KEYS, searched from the second-to-last argument back.</summary>
    private static void WriteMigrateKeysOptionSpec(IBufferWriter<byte> w, string[] flags, int respVersion)
    {
        WriteMapHeader(w, 3, respVersion);
        WriteFlagsAndSearchType(w, [.. flags, "incomplete"], "keyword"u8, respVersion);
        WriteMapHeader(w, 2, respVersion);
        RespWriter.WriteBulkString(w, "keyword"u8);
        RespWriter.WriteBulkString(w, "KEYS"u8);
        RespWriter.WriteBulkString(w, "startfrom"u8);
        RespWriter.WriteInteger(w, -2);
        WriteRangeFindKeys(w, -1, 1, respVersion);
    }

    /// <summary>A key spec's flags, then its begin_search map up to its spec (which the caller writes).</summary>
    private static void WriteFlagsAndSearchType(IBufferWriter<byte> w, string[] flags, ReadOnlySpan<byte> searchType, int respVersion)
    {
        RespWriter.WriteBulkString(w, "flags"u8);
        WriteStatusSet(w, flags, "", respVersion);
        RespWriter.WriteBulkString(w, "begin_search"u8);
        WriteMapHeader(w, 2, respVersion);
        RespWriter.WriteBulkString(w, "type"u8);
        RespWriter.WriteBulkString(w, searchType);
        RespWriter.WriteBulkString(w, "spec"u8);
    }

    /// <summary>A key spec's find_keys of type range: to <paramref name="lastKey"/> (relative; -1: the last argument), every <paramref name="step"/>-th.</summary>
    private static void WriteRangeFindKeys(IBufferWriter<byte> w, int lastKey, int step, int respVersion)
    {
        RespWriter.WriteBulkString(w, "find_keys"u8);
        WriteMapHeader(w, 2, respVersion);
        RespWriter.WriteBulkString(w, "type"u8);
        RespWriter.WriteBulkString(w, "range"u8);
        RespWriter.WriteBulkString(w, "spec"u8);
        WriteMapHeader(w, 3, respVersion);
        RespWriter.WriteBulkString(w, "lastkey"u8);
        RespWriter.WriteInteger(w, lastKey);
        RespWriter.WriteBulkString(w, "keystep"u8);
        RespWriter.WriteInteger(w, step);
        RespWriter.WriteBulkString(w, "limit"u8);
        RespWriter.WriteInteger(w, 0);
    }

    /// <summary>COMMAND DOCS [name ...]: a map of name to its summary, since, group (and subcommands); unknown names are left out.</summary>
    private static void WriteDocs(IBufferWriter<byte> w, RespCommand c, int respVersion)
    {
        var specs = new List<RespCommandSpec>();
        if (c.Count == 2)
        {
            specs.AddRange(RespCommandSpecs.All);
        }
        else
        {
            for (var i = 2; i < c.Count; i++)
            {
                if (RespCommandSpecs.Find(c.GetArgument(i)) is { } spec)
                    specs.Add(spec);
            }
        }
        WriteMapHeader(w, specs.Count, respVersion);
        foreach (var spec in specs)
        {
            RespWriter.WriteBulkString(w, spec.NameBytes);
            WriteDoc(w, spec, respVersion);
        }
    }

    private static void WriteDoc(IBufferWriter<byte> w, RespCommandSpec spec, int respVersion)
    {
        var doc = spec.Doc;
        WriteMapHeader(w, spec.Subcommands.Length > 0 ? 4 : 3, respVersion);
        RespWriter.WriteBulkString(w, "summary"u8);
        RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(doc.Summary));
        RespWriter.WriteBulkString(w, "since"u8);
        RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(doc.Since));
        RespWriter.WriteBulkString(w, "group"u8);
        RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(doc.Group));
        if (spec.Subcommands.Length == 0)
            return;
        RespWriter.WriteBulkString(w, "subcommands"u8);
        WriteMapHeader(w, spec.Subcommands.Length, respVersion);
        foreach (var sub in spec.Subcommands)
        {
            RespWriter.WriteBulkString(w, sub.NameBytes);
            WriteDoc(w, sub, respVersion);
        }
    }

    /// <summary>COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]: every command and subcommand name.</summary>
    private static void WriteList(IBufferWriter<byte> w, RespCommand c)
    {
        string? category = null;
        byte[]? pattern = null;
        var noneFromModule = false;
        if (c.Count == 5 && Ascii.EqualsIgnoreCase(c.GetArgument(2), "FILTERBY"u8))
        {
            var by = c.GetArgument(3);
            if (Ascii.EqualsIgnoreCase(by, "ACLCAT"u8))
                category = Encoding.ASCII.GetString(c.GetArgument(4)).ToLowerInvariant();
            else if (Ascii.EqualsIgnoreCase(by, "PATTERN"u8))
                pattern = c.GetArgument(4).ToArray();
            else if (Ascii.EqualsIgnoreCase(by, "MODULE"u8))
                noneFromModule = true; // FastDht loads no modules
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        else if (c.Count != 2)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        var names = new List<byte[]>();
        if (!noneFromModule)
        {
            foreach (var spec in RespCommandSpecs.All)
            {
                AddIfSelected(names, spec, category, pattern);
                foreach (var sub in spec.Subcommands)
                    AddIfSelected(names, sub, category, pattern);
            }
        }
        RespWriter.WriteArrayHeader(w, names.Count);
        foreach (var name in names)
            RespWriter.WriteBulkString(w, name);

        static void AddIfSelected(List<byte[]> names, RespCommandSpec spec, string? category, byte[]? pattern)
        {
            if (category is not null && Array.IndexOf(spec.Doc.Categories, category) < 0)
                return;
            if (pattern is not null && !RespGlob.IsMatch(pattern, spec.NameBytes))
                return;
            names.Add(spec.NameBytes);
        }
    }

    /// <summary>COMMAND GETKEYS / GETKEYSANDFLAGS command [arg ...]: the keys the command names, by its key positions.</summary>
    private static void WriteKeys(IBufferWriter<byte> w, RespCommand c, bool withFlags, int respVersion)
    {
        RespCommandSpec? spec = null;
        foreach (var top in RespCommandSpecs.All)
        {
            if (Ascii.EqualsIgnoreCase(c.GetArgument(2), top.NameBytes))
                spec = top.Subcommands.Length > 0 && c.Count > 3 ? FindSubcommand(top, c.GetArgument(3)) : top;
        }
        if (spec is null)
        {
            RespWriter.WriteError(w, "Invalid command specified"u8);
            return;
        }
        var scriptOrMigrate = spec.KeyCountIndex > 0 || spec.Kind == RespCommandKind.Migrate;
        if ((!spec.HasKeys || spec.NamesChannels) && !scriptOrMigrate)
        {
            // Sharded pub/sub's channels are in its key specs flagged not_key: Redis 7.0 names no key for them here.
            RespWriter.WriteError(w, "The command has no key arguments"u8);
            return;
        }
        var count = c.Count - 2;
        if (!spec.ArityMatches(count) || (spec.Step == 2 && (count - spec.FirstKey) % 2 != 0))
        {
            RespWriter.WriteError(w, "Invalid number of arguments specified for command"u8);
            return;
        }
        if (scriptOrMigrate)
        {
            var (first, keys, bySpec) = spec.KeyCountIndex > 0 ? ScriptKeys(c, spec.KeyCountIndex) : MigrateKeys(c);
            if (keys == 0 && spec.KeyCountIndex == 0)
            {
                RespWriter.WriteError(w, "Invalid arguments specified for command"u8); // MIGRATE has mandatory keys; a script may have none
                return;
            }
            RespWriter.WriteArrayHeader(w, keys);
            for (var i = first; i < first + keys; i++)
                WriteKey(w, c.GetArgument(i + 2), withFlags ? bySpec ? spec.KeyFlags : [] : null, respVersion);
            return;
        }
        var last = spec.LastKeyIndex(c, offset: 2);
        if (spec.DestinationIndex > 0 && spec.NumKeysIndex == 0 && last < spec.FirstKey)
        {
            // PFMERGE with no source: Redis's source key spec finds its range empty, which it calls invalid.
            RespWriter.WriteError(w, "Invalid arguments specified for command"u8);
            return;
        }
        var store = spec.Kind == RespCommandKind.Sort ? RespSortCommand.StoreKeyIndex(c, offset: 2) : 0;
        RespWriter.WriteArrayHeader(w, ((last - spec.FirstKey) / spec.Step) + 1 + (store > 0 || spec.DestinationIndex > 0 ? 1 : 0));
        if (spec.DestinationIndex > 0)
            WriteKey(w, c.GetArgument(spec.DestinationIndex + 2), withFlags ? spec.DestinationKeyFlags : null, respVersion); // the destination of Z*STORE, S*STORE, BITOP, PFMERGE, GEOSEARCHSTORE
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
            WriteKey(w, c.GetArgument(i + 2), withFlags ? spec.KeyFlags : null, respVersion);
        if (store > 0)
            WriteKey(w, c.GetArgument(store + 2), withFlags ? ["OW", "update"] : null, respVersion); // SORT ... STORE destination
    }

    /// <summary>
    /// The keys of a script command (EVAL ...) in COMMAND GETKEYS <paramref name="c"/> (its arguments start at 2): the
    /// index of the first, the count, and whether the key spec found them (so they carry its flags), as Redis 7.0 finds
    /// them. Its key spec first (the count a strict integer, its keys all present), then, when that fails, its getkeys
    /// function's reading, whose keys carry no flags: C's <c>atoi</c> of the count (" 2", "+2" and "2x" count 2); at
    /// least 1 and no more than the arguments after it either way; otherwise none.
    /// </summary>
    private static (int First, int Count, bool BySpec) ScriptKeys(RespCommand c, int countIndex)
    {
        var first = countIndex + 1;
        var available = c.Count - 2 - first;
        var bySpec = c.TryGetInt64(countIndex + 2, out var strict);
        var counted = bySpec ? strict : CAtoi(c.GetArgument(countIndex + 2));
        return counted >= 1 && counted <= available ? (first, (int)counted, bySpec) : (first, 0, bySpec);
    }

    /// <summary>C's <c>atoi</c>: leading white space, a sign, then digits up to the first other byte; 0 without digits (saturated, not undefined, past a long).</summary>
    private static long CAtoi(ReadOnlySpan<byte> text)
    {
        var i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
            i++;
        var negative = false;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
            negative = text[i++] == '-';
        long value = 0;
        for (; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++)
            value = value > long.MaxValue / 10 ? long.MaxValue : (value * 10) + (text[i] - '0');
        return negative ? -value : value;
    }

    /// <summary>The index of MIGRATE's key argument (<c>MIGRATE host port key|"" db timeout ...</c>).</summary>
    private const int MigrateKeyIndex = 3;

    /// <summary>
    /// MIGRATE's keys in COMMAND GETKEYS <paramref name="c"/> (its arguments start at 2), as Redis 7.0 finds them: when
    /// an argument from the second-to-last back to the host is <c>KEYS</c> (its second key spec), by MIGRATE's own
    /// reading of its options (<c>migrateGetKeys</c>: AUTH and AUTH2 skip their passwords; the keys after KEYS when
    /// the key argument is empty, none when it is not); otherwise the key argument alone.
    /// </summary>
    private static (int First, int Count, bool BySpec) MigrateKeys(RespCommand c)
    {
        var argc = c.Count - 2;
        var keywordSeen = false;
        for (var i = argc - 2; i >= 2 && !keywordSeen; i--)
            keywordSeen = Ascii.EqualsIgnoreCase(c.GetArgument(i + 2), "KEYS"u8);
        if (!keywordSeen)
            return (MigrateKeyIndex, 1, true);
        for (var i = 6; i < argc; i++)
        {
            var option = c.GetArgument(i + 2);
            if (Ascii.EqualsIgnoreCase(option, "KEYS"u8))
                return c.GetArgumentLength(MigrateKeyIndex + 2) > 0 ? (0, 0, true) : (i + 1, argc - i - 1, true);
            if (Ascii.EqualsIgnoreCase(option, "AUTH"u8))
                i++;
            else if (Ascii.EqualsIgnoreCase(option, "AUTH2"u8))
                i += 2;
        }
        return (MigrateKeyIndex, 1, true);
    }

    private static void WriteKey(IBufferWriter<byte> w, ReadOnlySpan<byte> key, string[]? flags, int respVersion)
    {
        if (flags is null)
        {
            RespWriter.WriteBulkString(w, key);
            return;
        }
        RespWriter.WriteArrayHeader(w, 2);
        RespWriter.WriteBulkString(w, key);
        WriteStatusSet(w, flags, "", respVersion);
    }

    private static RespCommandSpec? FindSubcommand(RespCommandSpec top, ReadOnlySpan<byte> name)
    {
        foreach (var sub in top.Subcommands)
        {
            if (Ascii.EqualsIgnoreCase(name, sub.ShortName))
                return sub;
        }
        return null;
    }

    private static void WriteStatusSet(IBufferWriter<byte> w, string[] items, string prefix, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteSetHeader(w, items.Length);
        else
            RespWriter.WriteArrayHeader(w, items.Length);
        foreach (var item in items)
            RespWriter.WriteSimpleString(w, Encoding.ASCII.GetBytes(prefix + item));
    }

    private static void WriteMapHeader(IBufferWriter<byte> w, int pairs, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteMapHeader(w, pairs);
        else
            RespWriter.WriteArrayHeader(w, pairs * 2);
    }
}
