using System.Buffers;
using FastDht.Engine.CommandTable;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT on a connection, and Redis's -BUSY rule while a script runs long
/// (<see cref="ScriptEngine"/>).
/// </summary>
/// <remarks>
/// A script's keys must share one owner (Redis Cluster's rule, so a script written for Redis Cluster runs unchanged;
/// <c>-CROSSSLOT</c> otherwise). The script runs on this node as a transaction of its coordinator over those keys,
/// off the read loop; the connection's later commands wait until it has ended (an order barrier), as a Redis client
/// waits for its script.
/// </remarks>
internal sealed partial class RespSession
{
    /// <summary>
    /// While a script is busy, whether <paramref name="spec"/> (resolved) may run anyway; when not, answers -BUSY and
    /// dooms a transaction being queued, or aborts the EXEC, as Redis does. False: the command is answered.
    /// </summary>
    private bool PassesBusyScript(RespCommandSpec? spec)
    {
        var c = _command;
        var resolved = spec is null ? null : spec.ArityMatches(c.Count) ? RespCommandSpecs.Resolve(spec, c) ?? spec : spec;
        if (resolved is { AllowBusy: true } || (c.Kind == RespCommandKind.Shutdown && IsShutdownNoSave()))
            return true;
        if (c.Kind == RespCommandKind.Exec && _queued is not null)
        {
            _queued = null;
            _queueFailed = false;
            Unwatch();
            RespWriter.WriteRaw(Target(), ScriptEngine.ExecAbortBusy);
            return false;
        }
        _queueFailed |= _queued is not null;
        Reject(c.Kind);
        RespWriter.WriteRaw(Target(), ScriptEngine.BusyReply);
        return false;
    }

    /// <summary>EVAL and its kin outside MULTI: checked, then run as a transaction over the script's keys.</summary>
    private Outcome StartScript()
    {
        var c = _command;
        var w = Target();
        if (!ScriptEngine.TryLocateKeys(c, out var firstKey, out var keyCount, out var error))
        {
            RespWriter.WriteRaw(w, error);
            return Outcome.Continue;
        }
        if (c.Kind is RespCommandKind.EvalSha or RespCommandKind.EvalShaRo && !_server.Scripts.Exists(c.GetArgument(1)))
        {
            RespWriter.WriteRaw(w, ScriptEngine.NoScript);
            return Outcome.Continue;
        }
        if (!KeysShareOwner(c, firstKey, keyCount))
        {
            RespWriter.WriteRaw(w, RespErrors.CrossNode);
            return Outcome.Continue;
        }
        if (keyCount > 0 && _host.IsLoading)
        {
            RespWriter.WriteRaw(w, RespErrors.Loading);
            return Outcome.Continue;
        }
        var spec = RespCommandSpecs.Get(c.Kind)!;
        var txn = new RespTransaction([QueuedCommand.Of(c, spec)], [], _respVersion, _host.Keyspace.MaxValueLength, _server.Scripts) { Permissions = ScriptPermissions, PubSub = _server.PubSub, NotifyClasses = _server.Notifications.Classes };
        // Like a Redis client blocked on its script, this connection's next commands wait until the script has ended.
        return StartRespTransaction(txn, exec: false, barrier: true);
    }

    /// <summary>Whether the script's keys (none counts) all belong to one node.</summary>
    private bool KeysShareOwner(RespCommand c, int firstKey, int keyCount)
    {
        if (keyCount < 2)
            return true;
        var state = _host.Cluster.Current;
        var owner = state.OwnerOf(c.GetArgument(firstKey));
        for (var i = 1; i < keyCount; i++)
        {
            if (state.OwnerOf(c.GetArgument(firstKey + i)) != owner)
                return false;
        }
        return true;
    }

    /// <summary>SCRIPT LOAD / EXISTS / FLUSH / KILL (this node's cache and scripts).</summary>
    private void Script(IBufferWriter<byte> w)
    {
        var c = _command;
        var scripts = _server.Scripts;
        var sub = c.GetArgument(1);
        if (System.Text.Ascii.EqualsIgnoreCase(sub, "LOAD"u8))
        {
            // Redis compiles a script as it loads it: a shebang it would refuse is refused here, not at EVALSHA.
            if (!ScriptEngine.TryReadShebang(c.GetArgument(2), out _, out _, out var shebangError))
                RespWriter.WriteError(w, System.Text.Encoding.UTF8.GetBytes(shebangError));
            else if (scripts.TryLoad(c.GetArgument(2), out var sha))
                RespWriter.WriteBulkString(w, sha);
            else
                RespWriter.WriteError(w, "the script cache is full (64 MiB of script text); SCRIPT FLUSH empties it"u8);
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(sub, "EXISTS"u8))
        {
            RespWriter.WriteArrayHeader(w, c.Count - 2);
            for (var i = 2; i < c.Count; i++)
                RespWriter.WriteRaw(w, scripts.Exists(c.GetArgument(i)) ? RespReplies.One : RespReplies.Zero);
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(sub, "FLUSH"u8))
        {
            if (c.Count == 3 && !System.Text.Ascii.EqualsIgnoreCase(c.GetArgument(2), "ASYNC"u8) && !System.Text.Ascii.EqualsIgnoreCase(c.GetArgument(2), "SYNC"u8))
            {
                RespWriter.WriteError(w, "SCRIPT FLUSH only support SYNC|ASYNC option"u8);
                return;
            }
            if (c.Count > 3)
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
            scripts.Flush();
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(sub, "KILL"u8))
        {
            if (scripts.KillAll() == 0)
                RespWriter.WriteError(w, "NOTBUSY"u8, "No scripts in execution right now."u8);
            else
                RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else
        {
            RespErrors.WriteUnknownSubcommand(w, sub, "SCRIPT");
        }
    }
}
