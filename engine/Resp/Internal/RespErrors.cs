using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Error replies worded as Redis words them, written without allocating.</summary>
internal static class RespErrors
{
    // 128: Redis truncates the command name and the argument preview to 128 bytes each.
    private const int PreviewLimit = 128;

    /// <summary>Redis's answer while it loads its data set at start; clients retry on it.</summary>
    public static ReadOnlySpan<byte> Loading =>
        "-LOADING FastDht is loading the dataset in memory\r\n"u8;

    /// <summary>A primary cut off from the Raft leader (its serving lease expired): Redis's CLUSTERDOWN, which cluster clients retry.</summary>
    public static ReadOnlySpan<byte> NoLease =>
        "-CLUSTERDOWN this node is cut off from the cluster's majority (its serving lease expired); retry\r\n"u8;

    /// <summary>Redis's refusal of a command that may add memory while the node is over its maxmemory (policy noeviction).</summary>
    public static ReadOnlySpan<byte> OutOfMemory =>
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n"u8;

    /// <summary>EXEC of a transaction holding a command that may add memory while the node is over its maxmemory.</summary>
    public static ReadOnlySpan<byte> ExecAbortOutOfMemory =>
        "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"u8;

    public static ReadOnlySpan<byte> CrossNode =>
        "-CROSSSLOT Keys in request don't hash to slots owned by one node\r\n"u8;

    /// <summary><c>-ERR unknown command 'name', with args beginning with: 'a' 'b' </c>, as Redis 7 builds it.</summary>
    public static void WriteUnknownCommand(IBufferWriter<byte> w, RespCommand c)
    {
        Span<byte> text = stackalloc byte[(3 * PreviewLimit) + 64];
        var n = 0;
        n += Copy("unknown command '"u8, text[n..]);
        var name = c.GetArgument(0);
        n += Copy(name[..Math.Min(name.Length, PreviewLimit)], text[n..]);
        n += Copy("', with args beginning with: "u8, text[n..]);
        var args = 0;
        for (var i = 1; i < c.Count && args < PreviewLimit; i++)
        {
            // Redis: "'%.*s' " per argument, each cut to the room left of 128 bytes, while the preview is under 128.
            var arg = c.GetArgument(i);
            var take = Math.Min(arg.Length, PreviewLimit - args);
            var start = n;
            n += Copy("'"u8, text[n..]);
            n += Copy(arg[..take], text[n..]);
            n += Copy("' "u8, text[n..]);
            args += n - start;
        }
        RespWriter.WriteError(w, text[..n]);
    }

    /// <summary><c>-ERR wrong number of arguments for 'get' command</c>.</summary>
    public static void WriteWrongArity(IBufferWriter<byte> w, ReadOnlySpan<byte> name)
    {
        Span<byte> text = stackalloc byte[PreviewLimit + 64];
        var n = Copy("wrong number of arguments for '"u8, text);
        n += Copy(name[..Math.Min(name.Length, PreviewLimit)], text[n..]);
        n += Copy("' command"u8, text[n..]);
        RespWriter.WriteError(w, text[..n]);
    }

    /// <summary><c>-ERR unknown subcommand 'x'. Try CLUSTER HELP.</c></summary>
    public static void WriteUnknownSubcommand(IBufferWriter<byte> w, ReadOnlySpan<byte> sub, string command)
    {
        var message = $"unknown subcommand '{Encoding.Latin1.GetString(sub[..Math.Min(sub.Length, PreviewLimit)])}'. Try {command} HELP.";
        RespWriter.WriteError(w, Encoding.Latin1.GetBytes(message));
    }

    public static void WriteNotAllowedWhileSubscribed(IBufferWriter<byte> w, ReadOnlySpan<byte> name)
    {
        var message = $"Can't execute '{Encoding.ASCII.GetString(name)}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
        RespWriter.WriteError(w, Encoding.ASCII.GetBytes(message));
    }

    public static void WriteClusterDown(IBufferWriter<byte> w, string message) =>
        RespWriter.WriteError(w, "CLUSTERDOWN"u8, Encoding.UTF8.GetBytes(message));

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }
}
