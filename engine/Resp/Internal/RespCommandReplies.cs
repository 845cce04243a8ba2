using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>COMMAND, COMMAND COUNT, COMMAND INFO and COMMAND DOCS, describing the commands FastDht serves.</summary>
internal static class RespCommandReplies
{
    public static void Write(IBufferWriter<byte> w, RespCommand c, int respVersion)
    {
        if (c.Count == 1)
        {
            var all = RespCommandSpecs.All;
            RespWriter.WriteArrayHeader(w, all.Count);
            foreach (var spec in all)
                WriteInfo(w, spec);
            return;
        }
        switch (c.GetKeyword(1))
        {
            case RespKeyword.Count when c.Count == 2:
                RespWriter.WriteInteger(w, RespCommandSpecs.All.Count);
                return;
            case RespKeyword.Info:
                RespWriter.WriteArrayHeader(w, c.Count - 2);
                for (var i = 2; i < c.Count; i++)
                {
                    var spec = Find(c.GetArgument(i));
                    if (spec is null)
                        RespKeyCommands.WriteNull(w, respVersion);
                    else
                        WriteInfo(w, spec);
                }
                return;
            case RespKeyword.Docs:
                // No documentation is served: clients (redis-cli) then fall back to their built-in help.
                if (respVersion == 3)
                    RespWriter.WriteMapHeader(w, 0);
                else
                    RespWriter.WriteRaw(w, RespReplies.EmptyArray);
                return;
            case RespKeyword.Count:
                RespErrors.WriteWrongArity(w, "command|count"u8);
                return;
            default:
                RespErrors.WriteUnknownSubcommand(w, c.GetArgument(1), "COMMAND");
                return;
        }
    }

    private static RespCommandSpec? Find(ReadOnlySpan<byte> name)
    {
        foreach (var spec in RespCommandSpecs.All)
        {
            if (Ascii.EqualsIgnoreCase(spec.NameBytes, name))
                return spec;
        }
        return null;
    }

    /// <summary>Redis 7's 10-field command info: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands.</summary>
    private static void WriteInfo(IBufferWriter<byte> w, RespCommandSpec spec)
    {
        RespWriter.WriteArrayHeader(w, 10);
        RespWriter.WriteBulkString(w, spec.NameBytes);
        RespWriter.WriteInteger(w, spec.Arity);
        RespWriter.WriteArrayHeader(w, spec.Flags.Length);
        foreach (var f in spec.Flags)
            RespWriter.WriteSimpleString(w, Encoding.ASCII.GetBytes(f));
        RespWriter.WriteInteger(w, spec.FirstKey);
        RespWriter.WriteInteger(w, spec.LastKey);
        RespWriter.WriteInteger(w, spec.Step);
        RespWriter.WriteRaw(w, RespReplies.EmptyArray);
        RespWriter.WriteRaw(w, RespReplies.EmptyArray);
        RespWriter.WriteRaw(w, RespReplies.EmptyArray);
        RespWriter.WriteRaw(w, RespReplies.EmptyArray);
    }
}
