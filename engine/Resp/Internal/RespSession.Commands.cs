using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Commands that involve no key: connection state, server and cluster introspection, pub/sub stubs clients need.</summary>
internal sealed partial class RespSession
{
    // "7.2.0": the Redis version whose replies FastDht mirrors; clients gate features on it.
    internal const string RedisCompatibleVersion = "7.2.0";

    private int _respVersion = 2;
    private string? _name;
    private int _subscriptions;
    private HashSet<string>? _channels;

    private Outcome ExecuteNodeCommand()
    {
        var c = _command;
        var w = Target();
        switch (c.Kind)
        {
            case RespCommandKind.Ping:
                Ping(w);
                break;
            case RespCommandKind.Echo:
                RespWriter.WriteBulkString(w, c.GetArgument(1));
                break;
            case RespCommandKind.FlushAll:
            case RespCommandKind.FlushDb:
                return StartFlush();
            case RespCommandKind.Keys:
                return StartKeys();
            case RespCommandKind.Function:
                Function(w);
                break;
            case RespCommandKind.Eval:
            case RespCommandKind.EvalSha:
            case RespCommandKind.EvalRo:
            case RespCommandKind.EvalShaRo:
                return StartScript();
            case RespCommandKind.Script:
                Script(w);
                break;
            case RespCommandKind.Shutdown:
                return Shutdown(w);
            case RespCommandKind.Save:
                return StartSave();
            case RespCommandKind.BgSave:
                BgSave(w);
                break;
            case RespCommandKind.LastSave:
                RespWriter.WriteInteger(w, LastSaveSeconds(_host));
                break;
            case RespCommandKind.DbSize:
                return StartDbSize();
            case RespCommandKind.Info:
                HandOverLatencies(); // the commands of this batch before INFO are in its figures
                RespInfo.Write(w, _host, _server, c, _respVersion);
                break;
            case RespCommandKind.Command:
                RespCommandReplies.Write(w, c, _respVersion);
                break;
            case RespCommandKind.Client:
                return Client(w);
            case RespCommandKind.Config:
                RespConfig.Write(w, _host, _server, c, _respVersion);
                break;
            case RespCommandKind.Monitor:
                StartMonitor(w);
                break;
            case RespCommandKind.SlowLog:
                SlowLog(w);
                break;
            case RespCommandKind.Latency:
                Latency(w);
                break;
            case RespCommandKind.Memory:
            case RespCommandKind.Object:
                // Only their HELP is keyless: the keyed subcommands were routed to the key's owner.
                RespCommandReplies.WriteHelp(w, RespCommandSpecs.Get(c.Kind)!);
                break;
            case RespCommandKind.Scan:
                return StartScan();
            case RespCommandKind.RandomKey:
                return StartRandomKey();
            case RespCommandKind.Select:
                if (!c.TryGetInt64(1, out var db))
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                else if (db != 0)
                    RespWriter.WriteError(w, "DB index is out of range"u8);
                else
                    RespWriter.WriteRaw(w, RespReplies.Ok);
                break;
            case RespCommandKind.Auth:
                Auth(w);
                break;
            case RespCommandKind.Acl:
                Acl(w);
                break;
            case RespCommandKind.Hello:
                Hello(w);
                break;
            case RespCommandKind.Quit:
                RespWriter.WriteRaw(w, RespReplies.Ok);
                return Outcome.Stop;
            case RespCommandKind.Reset:
                _user = InitialUser;
                _queued = null;
                _queueFailed = false;
                Unwatch();
                _respVersion = 2;
                _name = null;
                LeaveAll();
                _readOnly = false; // RESET leaves READONLY mode, as in Redis
                DisableTracking();
                RespWriter.WriteSimpleString(w, "RESET"u8);
                break;
            case RespCommandKind.Role:
                RespWriter.WriteArrayHeader(w, 3);
                RespWriter.WriteBulkString(w, "master"u8);
                RespWriter.WriteRaw(w, RespReplies.Zero);
                RespWriter.WriteRaw(w, RespReplies.EmptyArray);
                break;
            case RespCommandKind.Time:
                WriteTime(w);
                break;
            case RespCommandKind.Multi:
                Multi(w);
                break;
            case RespCommandKind.Exec:
                return Exec();
            case RespCommandKind.Discard:
                Discard(w);
                break;
            case RespCommandKind.Unwatch:
                Unwatch();
                RespWriter.WriteRaw(w, RespReplies.Ok);
                break;
            case RespCommandKind.Wait:
                return Wait(w);
            case RespCommandKind.Cluster when c.Count >= 2 && IsClusterAdmin(c.GetArgument(1)):
                return ClusterAdmin();
            case RespCommandKind.Migrate:
                return Migrate();
            case RespCommandKind.Cluster:
                // A client that reads the layout routes by it: from now on it is told MOVED rather than forwarded.
                _clusterAware |= c.Count == 2 && c.GetKeyword(1) is RespKeyword.Slots or RespKeyword.Shards or RespKeyword.Nodes;
                RespClusterReplies.Write(w, _host, c, _respVersion);
                break;
            case RespCommandKind.ReadOnly:
                _readOnly = true;
                _clusterAware = true;
                RespWriter.WriteRaw(w, RespReplies.Ok);
                break;
            case RespCommandKind.ReadWrite:
                _readOnly = false;
                RespWriter.WriteRaw(w, RespReplies.Ok);
                break;
            case RespCommandKind.Asking:
                RespWriter.WriteRaw(w, RespReplies.Ok);
                break;
            case RespCommandKind.Subscribe:
            case RespCommandKind.PSubscribe:
                Subscribe(w, subscribe: true);
                break;
            case RespCommandKind.Unsubscribe:
            case RespCommandKind.PUnsubscribe:
            case RespCommandKind.SUnsubscribe:
                Subscribe(w, subscribe: false);
                break;
            case RespCommandKind.SSubscribe:
                Subscribe(w, subscribe: true);
                break;
            case RespCommandKind.SPublish:
                SPublish(w);
                break;
            case RespCommandKind.PubSub:
                PubSubReport(w);
                break;
            case RespCommandKind.Publish:
                Publish(w);
                break;
            default:
                RespErrors.WriteUnknownCommand(w, c);
                break;
        }
        return Outcome.Continue;
    }

    /// <summary>TIME: unix seconds and microseconds, as two bulk strings.</summary>
    internal static void WriteTime(IBufferWriter<byte> w)
    {
        var micros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 + (Environment.TickCount64 % 1000);
        Span<byte> digits = stackalloc byte[20];
        RespWriter.WriteArrayHeader(w, 2);
        System.Buffers.Text.Utf8Formatter.TryFormat(micros / 1_000_000, digits, out var n);
        RespWriter.WriteBulkString(w, digits[..n]);
        System.Buffers.Text.Utf8Formatter.TryFormat(micros % 1_000_000, digits, out n);
        RespWriter.WriteBulkString(w, digits[..n]);
    }

    /// <summary>FUNCTION: FastDht runs EVAL scripts but no function libraries, so there is never a library; FLUSH and LIST answer as Redis does with none.</summary>
    private void Function(IBufferWriter<byte> w)
    {
        var c = _command;
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "FLUSH"u8) && c.Count <= 3)
            RespWriter.WriteRaw(w, RespReplies.Ok);
        else if (Ascii.EqualsIgnoreCase(sub, "LIST"u8))
            RespWriter.WriteRaw(w, RespReplies.EmptyArray);
        else if (Ascii.EqualsIgnoreCase(sub, "DELETE"u8) && c.Count == 3)
            RespWriter.WriteError(w, "Library not found"u8);
        else if (Ascii.EqualsIgnoreCase(sub, "LOAD"u8))
            RespWriter.WriteError(w, "FastDht runs EVAL scripts but not function libraries: FUNCTION LOAD is not supported"u8);
        else
            RespErrors.WriteUnknownSubcommand(w, sub, "FUNCTION");
    }

    private void Ping(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count > 2)
        {
            RespErrors.WriteWrongArity(w, "ping"u8);
            return;
        }
        if (_subscriptions > 0 && _respVersion == 2)
        {
            // In subscribed mode RESP2 Redis answers PING as a pub/sub message: ["pong", payload].
            RespWriter.WriteArrayHeader(w, 2);
            RespWriter.WriteBulkString(w, "pong"u8);
            RespWriter.WriteBulkString(w, c.Count == 2 ? c.GetArgument(1) : default);
            return;
        }
        if (c.Count == 2)
            RespWriter.WriteBulkString(w, c.GetArgument(1));
        else
            RespWriter.WriteRaw(w, RespReplies.Pong);
    }

    private void Hello(IBufferWriter<byte> w)
    {
        var c = _command;
        var version = _respVersion;
        var i = 1;
        if (c.Count > 1)
        {
            if (!c.TryGetInt64(1, out var v))
            {
                RespWriter.WriteError(w, "Protocol version is not an integer or out of range"u8);
                return;
            }
            if (v is not (2 or 3))
            {
                RespWriter.WriteRaw(w, RespReplies.NoProto);
                return;
            }
            version = (int)v;
            i = 2;
        }
        string? name = _name;
        var authenticated = false;
        for (; i < c.Count; i++)
        {
            if (c.GetKeyword(i) == RespKeyword.Auth && i + 2 < c.Count)
            {
                if (!TryAuthenticate(c.GetArgument(i + 1), c.GetArgument(i + 2)))
                {
                    RespWriter.WriteError(w, "WRONGPASS"u8, "invalid username-password pair or user is disabled."u8);
                    return;
                }
                authenticated = true;
                i += 2;
            }
            else if (c.GetKeyword(i) == RespKeyword.SetName && i + 1 < c.Count)
            {
                name = Encoding.ASCII.GetString(c.GetArgument(i + 1));
                i += 1;
            }
            else
            {
                RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"Syntax error in HELLO option '{Encoding.ASCII.GetString(c.GetArgument(i))}'"));
                return;
            }
        }
        if (_users is not null && !authenticated && _user is not { IsDeleted: false, Permissions.Enabled: true })
        {
            RespWriter.WriteError(w, "NOAUTH"u8, "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"u8);
            return;
        }
        _respVersion = version;
        _name = name;
        // The reply is already in the new protocol version, as Redis does it.
        if (version == 3)
            RespWriter.WriteMapHeader(w, 7);
        else
            RespWriter.WriteArrayHeader(w, 14);
        RespWriter.WriteBulkString(w, "server"u8);
        RespWriter.WriteBulkString(w, "redis"u8);
        RespWriter.WriteBulkString(w, "version"u8);
        RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(RedisCompatibleVersion));
        RespWriter.WriteBulkString(w, "proto"u8);
        RespWriter.WriteInteger(w, version);
        RespWriter.WriteBulkString(w, "id"u8);
        RespWriter.WriteInteger(w, ClientId);
        RespWriter.WriteBulkString(w, "mode"u8);
        RespWriter.WriteBulkString(w, "cluster"u8);
        RespWriter.WriteBulkString(w, "role"u8);
        RespWriter.WriteBulkString(w, "master"u8);
        RespWriter.WriteBulkString(w, "modules"u8);
        RespWriter.WriteRaw(w, RespReplies.EmptyArray);
    }
}
