using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using FastDht.Engine.CommandTable;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// One execution of a script: what its <c>redis.call</c> runs on (the transaction's scratch keyspace, holding the
/// locked keys), whether it may write, when it started (for -BUSY) and whether SCRIPT KILL stopped it.
/// </summary>
/// <remarks>
/// A command from a script runs with the very code that runs it on a node (<see cref="RespKeyCommands.Execute"/>),
/// on the private copy of the keys the transaction locked (<see cref="RespTransaction"/>), so the script sees its own
/// writes at once and nobody else sees them before the transaction commits. A key the transaction did not lock (one
/// not declared in KEYS) is refused: the script could not be atomic over it. With users configured, each command must
/// pass the connection user's permissions, command and keys, as in Redis.
/// </remarks>
internal sealed class ScriptRun(LocalKeyspace scratch, RespTransaction transaction, bool readOnly, bool denyOom, Security.AclPermissions? permissions) : IDisposable
{
    private static readonly RespLimits Limits = new() { MaxBulkLength = int.MaxValue };

    private readonly RespCommand _command = new();
    private readonly ArrayBufferWriter<byte> _reply = new();
    private volatile bool _killed;
    private bool _wrote;

    /// <summary>When the run started (<see cref="Stopwatch"/> ticks).</summary>
    public long Started { get; } = Stopwatch.GetTimestamp();

    /// <summary>Whether SCRIPT KILL (or the node stopping) asked the run to stop.</summary>
    public bool Killed => _killed;

    /// <summary>Asks the run to stop: the prelude's hook raises at the script's next check.</summary>
    public void Kill() => _killed = true;

    /// <summary>A command of the script answered an error: counted in INFO errorstats once the transaction has run.</summary>
    public void NoteError(ReadOnlySpan<byte> reply) => transaction.NoteScriptError(reply);

    /// <summary>Runs one command for the script; its RESP2 reply (an error reply when refused).</summary>
    public byte[] Call(byte[][] args)
    {
        var c = _command;
        var encoded = new ArrayBufferWriter<byte>();
        WriteHeader(encoded, (byte)'*', args.Length);
        foreach (var arg in args)
        {
            WriteHeader(encoded, (byte)'$', arg.Length);
            encoded.Write(arg);
            encoded.Write("\r\n"u8);
        }
        var bytes = new ReadOnlySequence<byte>(encoded.WrittenMemory);
        c.Reset();
        if (!RespRequestReader.TryRead(ref bytes, c, Limits, out _))
            return Error("ERR the command could not be read");
        var spec = RespCommandSpecs.Get(c.Kind);
        if (spec is null)
            return Error("ERR Unknown Redis command called from script");
        var resolved = spec.ArityMatches(c.Count) ? RespCommandSpecs.Resolve(spec, c) : spec;
        if (resolved is null)
            return Error("ERR Unknown Redis command called from script");
        if (!resolved.ArityMatches(c.Count) || (resolved.Step == 2 && (c.Count - 1) % 2 != 0))
            return Error("ERR Wrong number of args calling Redis command from script");
        if (resolved.NoScript || resolved.KeyCountIndex > 0)
            return Error("ERR This Redis command is not allowed from script");
        if (readOnly && resolved.IsWrite)
            return Error("ERR Write commands are not allowed from read-only scripts.");
        if (denyOom && !_wrote && resolved.DenyOom)
            return ScriptEngine.OomReply.ToArray();
        if (permissions is { AllowsEverything: false })
        {
            var name = Security.Internal.AclCommandTable.NameOf(resolved, c);
            if (!permissions.Allows(name))
                return Error($"NOPERM The user executing the script can't run this command or subcommand script: '{name}'");
            if (!permissions.AllKeys && resolved.HasKeys)
            {
                var lastKey = resolved.LastKeyIndex(c);
                for (var i = resolved.KeyWalkStart; i <= lastKey; i = resolved.NextKeyIndex(i))
                {
                    if (!permissions.AllowsKey(c.GetArgument(i)))
                        return Error("NOPERM The user executing the script can't access at least one of the keys mentioned in the command script");
                }
            }
        }
        _reply.ResetWrittenCount();
        if (resolved.HasKeys)
        {
            var last = resolved.LastKeyIndex(c);
            for (var i = resolved.KeyWalkStart; i <= last; i = resolved.NextKeyIndex(i))
            {
                if (!transaction.Holds(c.GetArgument(i)))
                {
                    return Error($"ERR Script attempted to access key '{Encoding.UTF8.GetString(c.GetArgument(i))}', which is not declared in KEYS " +
                        "(FastDht locks a script's keys before it runs: declare every key the script uses)");
                }
            }
            var store = c.Kind == RespCommandKind.Sort ? RespSortCommand.StoreKeyIndex(c) : 0;
            if (store > 0 && !transaction.Holds(c.GetArgument(store)))
            {
                return Error($"ERR Script attempted to access key '{Encoding.UTF8.GetString(c.GetArgument(store))}', which is not declared in KEYS " +
                    "(FastDht locks a script's keys before it runs: declare every key the script uses)");
            }
            if (c.Kind is RespCommandKind.Sort or RespCommandKind.SortRo)
                RespSortCommand.Execute(c, _reply, scratch, 2, transaction, fromScript: true); // its patterns' keys: locked by running again
            else
                RespKeyCommands.Execute(c, _reply, scratch, 2);
        }
        else if (c.Kind == RespCommandKind.Publish)
        {
            transaction.Publish(c, _reply); // delivered once the script's transaction has committed
        }
        else if (RespTransaction.IsKeylessAllowed(c.Kind))
        {
            RespTransaction.WriteKeyless(c, _reply);
        }
        else
        {
            return Error("ERR This Redis command is not allowed from script (FastDht scripts run keyed commands and PING, ECHO, TIME, SELECT, PUBLISH)");
        }
        // A write that succeeded: from now on the script is not refused for memory (Redis cannot stop it half way).
        _wrote |= resolved.IsWrite && _reply.WrittenCount > 0 && _reply.WrittenSpan[0] != (byte)'-';
        return _reply.WrittenSpan.ToArray();
    }

    public void Dispose() => _command.Dispose();

    private static byte[] Error(string message) => Encoding.UTF8.GetBytes("-" + message + "\r\n");

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
