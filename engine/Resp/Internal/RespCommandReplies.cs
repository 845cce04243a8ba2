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
        // the destination).
        var movable = spec.NumKeysIndex > 0;
        RespWriter.WriteInteger(w, spec.DestinationIndex > 0 ? spec.DestinationIndex : movable ? 0 : spec.FirstKey);
        RespWriter.WriteInteger(w, spec.DestinationIndex > 0 ? spec.DestinationIndex : movable ? 0 : spec.LastKey);
        RespWriter.WriteInteger(w, spec.DestinationIndex > 0 ? 1 : movable ? 0 : spec.Step);
        WriteStatusSet(w, spec.Doc.Categories, "@", respVersion);
        RespWriter.WriteArrayHeader(w, spec.Tips.Length);
        foreach (var tip in spec.Tips)
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(tip));
        if (spec.DestinationIndex > 0)
        {
            RespWriter.WriteArrayHeader(w, 2);
            WriteKeySpec(w, ["OW", "update"], spec.DestinationIndex, 0, 0, 1, respVersion);
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
            WriteKeySpec(w, spec.KeyFlags, spec.FirstKey, 0, spec.LastKey < 0 ? spec.LastKey : spec.LastKey - spec.FirstKey, spec.Step, respVersion);
    }

    /// <summary>
    /// One key spec searching from <paramref name="index"/>: with <paramref name="keynumFirstKey"/> &gt; 0 the key count
    /// is there and the keys follow it (keynum); otherwise a range to <paramref name="lastKey"/> (relative to the first
    /// key; -1: to the last argument), every <paramref name="step"/>-th.
    /// </summary>
    private static void WriteKeySpec(IBufferWriter<byte> w, string[] flags, int index, int keynumFirstKey, int lastKey, int step, int respVersion)
    {
        WriteMapHeader(w, 3, respVersion);
        RespWriter.WriteBulkString(w, "flags"u8);
        WriteStatusSet(w, flags, "", respVersion);
        RespWriter.WriteBulkString(w, "begin_search"u8);
        WriteMapHeader(w, 2, respVersion);
        RespWriter.WriteBulkString(w, "type"u8);
        RespWriter.WriteBulkString(w, "index"u8);
        RespWriter.WriteBulkString(w, "spec"u8);
        WriteMapHeader(w, 1, respVersion);
        RespWriter.WriteBulkString(w, "index"u8);
        RespWriter.WriteInteger(w, index);
        RespWriter.WriteBulkString(w, "find_keys"u8);
        WriteMapHeader(w, 2, respVersion);
        if (keynumFirstKey > 0)
        {
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
        if (!spec.HasKeys)
        {
            RespWriter.WriteError(w, "The command has no key arguments"u8);
            return;
        }
        var count = c.Count - 2;
        if (!spec.ArityMatches(count) || (spec.Step == 2 && (count - spec.FirstKey) % 2 != 0))
        {
            RespWriter.WriteError(w, "Invalid number of arguments specified for command"u8);
            return;
        }
        var last = spec.LastKeyIndex(c, offset: 2);
        var store = spec.Kind == RespCommandKind.Sort ? RespSortCommand.StoreKeyIndex(c, offset: 2) : 0;
        RespWriter.WriteArrayHeader(w, ((last - spec.FirstKey) / spec.Step) + 1 + (store > 0 || spec.DestinationIndex > 0 ? 1 : 0));
        if (spec.DestinationIndex > 0)
            WriteKey(w, c.GetArgument(spec.DestinationIndex + 2), withFlags ? ["OW", "update"] : null, respVersion); // Z*STORE's destination
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
            WriteKey(w, c.GetArgument(i + 2), withFlags ? spec.KeyFlags : null, respVersion);
        if (store > 0)
            WriteKey(w, c.GetArgument(store + 2), withFlags ? ["OW", "update"] : null, respVersion); // SORT ... STORE destination
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
