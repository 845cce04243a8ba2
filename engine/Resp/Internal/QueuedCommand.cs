using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Buffers.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>A command queued by MULTI (or a RENAME/COPY run as a transaction): its kind, its keys and its arguments re-encoded as one multibulk, copied out of the receive buffer.</summary>
internal sealed class QueuedCommand
{
    private QueuedCommand(RespCommandKind kind, byte[][] keys, byte[] encoded, bool denyOom)
    {
        Kind = kind;
        Keys = keys;
        Encoded = encoded;
        DenyOom = denyOom;
    }

    public RespCommandKind Kind { get; }

    /// <summary>Whether the command may add memory (Redis's denyoom): EXEC is refused while the node is over its maxmemory.</summary>
    public bool DenyOom { get; }

    /// <summary>
    /// A command about the node or the connection (CONFIG, FLUSHALL, CLIENT, INFO...), not about keys a transaction can
    /// lock: EXEC runs it in its place, between the keyed runs (see RespSession.RunQueueAsync).
    /// </summary>
    public bool IsNodeCommand => Keys.Length == 0 && !RespTransaction.IsKeylessAllowed(Kind);

    /// <summary>The keys the command names (empty for PING, ECHO...).</summary>
    public byte[][] Keys { get; }

    /// <summary>The command as a RESP multibulk, parsed again when the transaction runs.</summary>
    public byte[] Encoded { get; }

    /// <summary>The bytes the command holds while it waits in a transaction.</summary>
    public int Size => Encoded.Length + (Keys.Length * 32);

    /// <summary>Copies <paramref name="c"/> (checked for arity by the caller) and its keys as <paramref name="spec"/> locates them.</summary>
    public static QueuedCommand Of(RespCommand c, RespCommandSpec spec)
    {
        var keys = new List<byte[]>();
        if (spec.KeyCountIndex > 0 && ScriptEngine.TryLocateKeys(c, out var firstKey, out var keyCount, out _))
        {
            // EVAL: its keys follow numkeys (checked when queued).
            for (var i = 0; i < keyCount; i++)
                keys.Add(c.GetArgument(firstKey + i).ToArray());
        }
        else if (spec.HasKeys && !spec.NamesChannels)
        {
            if (spec.DestinationIndex > 0)
                keys.Add(c.GetArgument(spec.DestinationIndex).ToArray());
            var last = spec.LastKeyIndex(c);
            for (var i = spec.FirstKey; i <= last; i += spec.Step)
                keys.Add(c.GetArgument(i).ToArray());
            // SORT ... STORE destination: a second key, found by its keyword (Redis's movable keys).
            var store = c.Kind == RespCommandKind.Sort ? RespSortCommand.StoreKeyIndex(c) : 0;
            if (store > 0)
                keys.Add(c.GetArgument(store).ToArray());
        }
        var size = 16;
        for (var i = 0; i < c.Count; i++)
            size += 16 + c.GetArgument(i).Length;
        var encoded = new ArrayBufferWriter<byte>(size);
        WriteHeader(encoded, (byte)'*', c.Count);
        for (var i = 0; i < c.Count; i++)
        {
            var argument = c.GetArgument(i);
            WriteHeader(encoded, (byte)'$', argument.Length);
            encoded.Write(argument);
            encoded.Write("\r\n"u8);
        }
        return new QueuedCommand(c.Kind, keys.ToArray(), encoded.WrittenSpan.ToArray(), spec.DenyOom);
    }

    /// <summary>Parses the command back into <paramref name="into"/>; false only if the encoding were broken.</summary>
    public bool TryParse(RespCommand into, RespLimits limits)
    {
        var bytes = new ReadOnlySequence<byte>(Encoded);
        into.Reset();
        return RespRequestReader.TryRead(ref bytes, into, limits, out _) && bytes.IsEmpty;
    }

    private static void WriteHeader(ArrayBufferWriter<byte> w, byte prefix, int number)
    {
        var span = w.GetSpan(16);
        span[0] = prefix;
        Utf8Formatter.TryFormat(number, span[1..], out var n);
        span[1 + n] = (byte)'\r';
        span[2 + n] = (byte)'\n';
        w.Advance(3 + n);
    }
}
