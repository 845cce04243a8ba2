using FastDht.Engine.CommandTable;
using FastDht.Engine.Connections;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>What clients and tools ask of a connection and of the server: CLIENT, CONFIG, MONITOR, SLOWLOG.</summary>
internal sealed partial class RespSession
{
    private readonly long _connectedTicks = Environment.TickCount64;
    private long _lastCommandTicks = Environment.TickCount64;
    private string _lastCommand = "NULL";
    private string _libName = "";
    private string _libVersion = "";
    private bool _monitoring;
    private bool _noEvict;
    private bool _noTouch;

    /// <summary>Calls and time per command of this connection (INFO commandstats).</summary>
    public CommandStats Stats { get; } = new();

    // The node's metrics (null for a host without them), and whether the command being run was refused.
    private readonly Diagnostics.NodeMetrics? _metrics;
    private bool _refused;

    // Where the read loop's immediate replies go: it sees whether a command answered an error (INFO errorstats).
    private readonly ReplyTap _tap = new();

    // This connection's command times not yet in the node's histograms (created at its first command).
    private LatencyStats.Samples? _latencies;

    /// <summary>Whether the connection is subscribed to a channel or pattern (INFO's pubsub_clients).</summary>
    public bool IsSubscribed => _subscriptions > 0;

    /// <summary>The client's address, as CLIENT LIST and MONITOR print it.</summary>
    public string Address => _connection.RemoteEndPoint?.ToString() ?? "";

    /// <summary>Closes the connection (CLIENT KILL from another connection, a monitor that fell behind).</summary>
    public void Kill() => _connection.Abort();

    /// <summary>
    /// Writes out-of-band lines (MONITOR) between batches, under the writer lock; false once the connection is closed.
    /// </summary>
    public async ValueTask<bool> WriteOutOfBandAsync(ChannelReader<byte[]> lines)
    {
        var writer = await Connections.FrameSession.EnterSlowAsync(_connection).ConfigureAwait(false);
        if (writer is null)
            return false;
        // Behind the replies already owed, so a line never lands inside another reply.
        lock (_queueLock)
            WriteCompletedPrefix(writer);
        while (lines.TryRead(out var line))
            writer.Write(line);
        await ObserveAsync(_connection.ExitWriteAsync(flush: true)).ConfigureAwait(false);
        return !_connection.IsClosed;
    }

    private Outcome Client(IBufferWriter<byte> w)
    {
        var c = _command;
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "SETNAME"u8))
        {
            var name = c.GetArgument(2);
            foreach (var b in name)
            {
                if (b < '!' || b > '~')
                {
                    RespWriter.WriteError(w, "Client names cannot contain spaces, newlines or special characters."u8);
                    return Outcome.Continue;
                }
            }
            _name = name.IsEmpty ? null : Encoding.ASCII.GetString(name);
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "GETNAME"u8))
        {
            if (_name is null)
                RespKeyCommands.WriteNull(w, _respVersion);
            else
                RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(_name));
        }
        else if (Ascii.EqualsIgnoreCase(sub, "ID"u8))
        {
            RespWriter.WriteInteger(w, ClientId);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "REPLY"u8))
        {
            ClientReply(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "SETINFO"u8))
        {
            SetInfo(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "INFO"u8))
        {
            RespInfo.WriteText(w, Encoding.UTF8.GetBytes(Describe() + "\n"), _respVersion);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "LIST"u8))
        {
            ClientList(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "KILL"u8))
        {
            return ClientKill(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "UNBLOCK"u8))
        {
            ClientUnblock(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "TRACKING"u8))
        {
            ClientTracking(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "CACHING"u8))
        {
            ClientCaching(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "GETREDIR"u8))
        {
            ClientGetRedirect(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "TRACKINGINFO"u8))
        {
            ClientTrackingInfo(w);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "NO-EVICT"u8) || Ascii.EqualsIgnoreCase(sub, "NO-TOUCH"u8))
        {
            var on = Ascii.EqualsIgnoreCase(c.GetArgument(2), "ON"u8);
            if (!on && !Ascii.EqualsIgnoreCase(c.GetArgument(2), "OFF"u8))
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return Outcome.Continue;
            }
            // Recorded and shown in CLIENT LIST's flags: FastDht neither evicts clients nor tracks key access times.
            if (sub.Length == 8)
                _noEvict = on;
            else
                _noTouch = on;
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else
        {
            RespCommandReplies.WriteHelp(w, RespCommandSpecs.Get(RespCommandKind.Client)!);
        }
        return Outcome.Continue;
    }

    /// <summary>
    /// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another RESP connection's blocking command (BLPOP and its kin, WAIT) as
    /// if its timeout had passed, or with <c>-UNBLOCKED</c>; :1 when that connection was blocked, :0 otherwise.
    /// </summary>
    private void ClientUnblock(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count > 4)
        {
            RespErrors.WriteWrongArity(w, "client|unblock"u8);
            return;
        }
        var withError = c.Count == 4 && Ascii.EqualsIgnoreCase(c.GetArgument(3), "ERROR"u8);
        if (c.Count == 4 && !withError && !Ascii.EqualsIgnoreCase(c.GetArgument(3), "TIMEOUT"u8))
        {
            RespWriter.WriteError(w, "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"u8);
            return;
        }
        if (!c.TryGetInt64(2, out var id))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return;
        }
        RespWriter.WriteInteger(w, _server.FindClient(id)?.Unblock(withError) == true ? 1 : 0);
    }

    /// <summary>CLIENT SETINFO LIB-NAME|LIB-VER value, shown in CLIENT LIST as Redis 7.2 does.</summary>
    private void SetInfo(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count != 4)
        {
            RespErrors.WriteWrongArity(w, "client|setinfo"u8);
            return;
        }
        var value = c.GetArgument(3);
        foreach (var b in value)
        {
            if (b < '!' || b > '~')
            {
                RespWriter.WriteError(w, "LIB-NAME or LIB-VER cannot contain spaces, newlines or special characters."u8);
                return;
            }
        }
        if (c.GetKeyword(2) == RespKeyword.LibName)
            _libName = Encoding.ASCII.GetString(value);
        else if (c.GetKeyword(2) == RespKeyword.LibVer)
            _libVersion = Encoding.ASCII.GetString(value);
        else
        {
            RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"Unrecognized option '{Encoding.ASCII.GetString(c.GetArgument(2))}'"));
            return;
        }
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    /// <summary>CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: every client connection of this node, RESP and native.</summary>
    private void ClientList(IBufferWriter<byte> w)
    {
        var c = _command;
        string? type = null;
        HashSet<long>? ids = null;
        if (c.Count > 2)
        {
            if (c.Count == 4 && c.GetKeyword(2) == RespKeyword.Type)
            {
                type = Encoding.ASCII.GetString(c.GetArgument(3)).ToLowerInvariant();
                if (type is not ("normal" or "master" or "replica" or "slave" or "pubsub"))
                {
                    RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"Unknown client type '{Encoding.ASCII.GetString(c.GetArgument(3))}'"));
                    return;
                }
            }
            else if (c.Count > 3 && c.GetKeyword(2) == RespKeyword.Id)
            {
                ids = [];
                for (var i = 3; i < c.Count; i++)
                {
                    if (!c.TryGetInt64(i, out var id) || id <= 0)
                    {
                        RespWriter.WriteError(w, "Invalid client ID"u8);
                        return;
                    }
                    ids.Add(id);
                }
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }
        var text = new StringBuilder();
        foreach (var client in EveryClient())
        {
            if (ids is not null && !ids.Contains(client.Id))
                continue;
            if (type is not null && client.Type != (type == "slave" ? "replica" : type))
                continue;
            text.Append(client.Line).Append('\n');
        }
        RespInfo.WriteText(w, Encoding.UTF8.GetBytes(text.ToString()), _respVersion);
    }

    /// <summary>
    /// CLIENT KILL addr (the old form: OK or an error) or CLIENT KILL filter value ... (ID, ADDR, LADDR, TYPE, USER,
    /// SKIPME, MAXAGE: the number killed). Killing this connection closes it once the reply is out.
    /// </summary>
    private Outcome ClientKill(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count == 3)
        {
            var addr = Encoding.ASCII.GetString(c.GetArgument(2));
            foreach (var client in EveryClient())
            {
                if (client.Address == addr)
                {
                    RespWriter.WriteRaw(w, RespReplies.Ok);
                    return KillClient(client);
                }
            }
            RespWriter.WriteError(w, "No such client"u8);
            return Outcome.Continue;
        }
        if (c.Count % 2 != 0)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return Outcome.Continue;
        }
        long? id = null;
        long maxAge = 0;
        string? addrFilter = null, laddrFilter = null, typeFilter = null;
        var skipMe = true;
        for (var i = 2; i < c.Count; i += 2)
        {
            var option = c.GetArgument(i);
            var value = Encoding.ASCII.GetString(c.GetArgument(i + 1));
            if (Ascii.EqualsIgnoreCase(option, "ID"u8))
            {
                if (!c.TryGetInt64(i + 1, out var v) || v <= 0)
                {
                    RespWriter.WriteError(w, "client-id should be greater than 0"u8);
                    return Outcome.Continue;
                }
                id = v;
            }
            else if (Ascii.EqualsIgnoreCase(option, "ADDR"u8))
                addrFilter = value;
            else if (Ascii.EqualsIgnoreCase(option, "LADDR"u8))
                laddrFilter = value;
            else if (Ascii.EqualsIgnoreCase(option, "TYPE"u8))
            {
                typeFilter = value.ToLowerInvariant();
                if (typeFilter is not ("normal" or "master" or "replica" or "slave" or "pubsub"))
                {
                    RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"Unknown client type '{value}'"));
                    return Outcome.Continue;
                }
                if (typeFilter == "slave")
                    typeFilter = "replica";
            }
            else if (Ascii.EqualsIgnoreCase(option, "USER"u8))
            {
                if (value != "default")
                {
                    RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"No such user '{value}'"));
                    return Outcome.Continue;
                }
            }
            else if (Ascii.EqualsIgnoreCase(option, "SKIPME"u8))
            {
                if (value.Equals("yes", StringComparison.OrdinalIgnoreCase))
                    skipMe = true;
                else if (value.Equals("no", StringComparison.OrdinalIgnoreCase))
                    skipMe = false;
                else
                {
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return Outcome.Continue;
                }
            }
            else if (Ascii.EqualsIgnoreCase(option, "MAXAGE"u8))
            {
                if (!c.TryGetInt64(i + 1, out maxAge))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return Outcome.Continue;
                }
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return Outcome.Continue;
            }
        }
        var killed = 0;
        var self = false;
        foreach (var client in EveryClient())
        {
            if ((id is { } wanted && client.Id != wanted) || (addrFilter is not null && client.Address != addrFilter) ||
                (laddrFilter is not null && client.LocalAddress != laddrFilter) || (typeFilter is not null && client.Type != typeFilter) ||
                (maxAge > 0 && client.AgeSeconds < maxAge))
                continue;
            if (client.Id == ClientId)
            {
                if (skipMe)
                    continue;
                self = true;
            }
            else
            {
                KillClient(client);
            }
            killed++;
        }
        RespWriter.WriteInteger(w, killed);
        return self ? Outcome.Stop : Outcome.Continue;
    }

    private Outcome KillClient(ClientDescription client)
    {
        if (client.Id == ClientId)
            return Outcome.Stop; // after this reply, as Redis closes a client that kills itself
        client.Kill();
        return Outcome.Continue;
    }

    /// <summary>Every client connection of the node: the RESP ones, then the native sessions.</summary>
    private List<ClientDescription> EveryClient()
    {
        var list = new List<ClientDescription>();
        foreach (var session in _server.Clients)
            list.Add(session.DescribeForList());
        foreach (var native in _host.NativeClients.OpenClients)
            list.Add(DescribeNative(native));
        list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    private ClientDescription DescribeForList() =>
        new(ClientId, Address, _connection.LocalEndPoint?.ToString() ?? "", Describe(), _subscriptions > 0 ? "pubsub" : "normal",
            (Environment.TickCount64 - _connectedTicks) / 1000, Kill);

    private static ClientDescription DescribeNative(FrameSession native)
    {
        var now = Environment.TickCount64;
        var addr = native.Connection.RemoteEndPoint?.ToString() ?? "";
        var laddr = native.Connection.LocalEndPoint?.ToString() ?? "";
        var age = (now - native.StartedTicks) / 1000;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"id={native.SessionId} addr={addr} laddr={laddr} fd={FileDescriptor(native.Connection)} name= age={age} idle={(now - native.LastFrameTicks) / 1000} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 {UntrackedBuffers} oll=0 omem=0 tot-mem=0 cmd=NULL user=default redir=-1 resp=0 lib-name=fastdht-native lib-ver=");
        return new(native.SessionId, addr, laddr, line, "normal", age, () => native.Connection.Abort());
    }

    /// <summary>
    /// Redis's per-connection buffer fields that FastDht does not track (its buffers are the transport's pipes, shared
    /// and pooled): printed as 0 because clients parse them as required integers (redis-py's client_info()).
    /// </summary>
    private const string UntrackedBuffers = "qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0";

    /// <summary>This connection as CLIENT INFO and CLIENT LIST print it (Redis 7.2's fields that FastDht tracks).</summary>
    private string Describe()
    {
        var now = Environment.TickCount64;
        int channels = 0, patterns = 0, shard = 0;
        lock (_channelsLock)
        {
            foreach (var ch in _channels ?? [])
            {
                if (ch[0] == 'p')
                    patterns++;
                else if (ch[0] == 's')
                    shard++;
                else
                    channels++;
            }
        }
        var flags = new StringBuilder();
        if (_monitoring)
            flags.Append('O');
        if (_subscriptions > 0)
            flags.Append('P');
        if (_noEvict)
            flags.Append('e');
        if (_noTouch)
            flags.Append('T');
        // Read once: another connection's CLIENT LIST describes this one while its read loop runs.
        var multiQueue = _queued;
        if (multiQueue is not null)
            flags.Append('x');
        AppendTrackingFlags(flags);
        if (flags.Length == 0)
            flags.Append('N');
        // Replies waiting in order behind one another node still owes: Redis's output list (oll) and its bytes (omem).
        int queued = 0;
        long queuedBytes = 0;
        lock (_queueLock)
        {
            foreach (var slot in _queue)
            {
                queued++;
                queuedBytes += slot.Written.Length;
            }
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"id={ClientId} addr={Address} laddr={_connection.LocalEndPoint} fd={FileDescriptor(_connection)} name={_name} age={(now - _connectedTicks) / 1000} idle={(now - _lastCommandTicks) / 1000} flags={flags} db=0 sub={channels} psub={patterns} ssub={shard} multi={multiQueue?.Count ?? -1} {UntrackedBuffers} oll={queued} omem={queuedBytes} tot-mem=0 cmd={_lastCommand} user=default redir={TrackingRedirectForList} resp={_respVersion} lib-name={_libName} lib-ver={_libVersion}");
    }

    private static long FileDescriptor(Transport.SocketConnection connection)
    {
        try
        {
            return (long)connection.Socket.Handle;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return -1; // an in-memory connection, or one closed meanwhile
        }
    }

    /// <summary>MONITOR: from now on this connection receives every command other connections of this node run.</summary>
    private void StartMonitor(IBufferWriter<byte> w)
    {
        RespWriter.WriteRaw(w, RespReplies.Ok);
        if (_monitoring)
            return;
        _monitoring = true;
        var monitor = new RespMonitor(this);
        _server.AddMonitor(monitor);
        monitor.Start();
    }

    /// <summary>
    /// A command at or above latency-monitor-threshold: Redis's "fast-command" or "command" event. A blocking command
    /// is left out, as Redis leaves out the time a client spends blocked.
    /// </summary>
    private void NoteLatencySpike(RespCommandKind kind, long ticks)
    {
        if (kind == RespCommandKind.Unknown || FastDht.Engine.CommandTable.RespCommandSpecs.Get(kind) is not { } spec || Array.IndexOf(spec.Flags, "blocking") >= 0)
            return;
        _server.LatencyEvents.AddIfNeeded(Array.IndexOf(spec.Flags, "fast") >= 0 ? "fast-command" : "command", ticks);
    }

    /// <summary>LATENCY LATEST | HISTORY event | RESET [event ...] | GRAPH event | DOCTOR | HISTOGRAM [command ...] | HELP.</summary>
    private void Latency(IBufferWriter<byte> w)
    {
        var c = _command;
        var sub = c.GetArgument(1);
        var monitor = _server.LatencyEvents;
        if (Ascii.EqualsIgnoreCase(sub, "LATEST"u8))
        {
            var latest = monitor.Latest();
            RespWriter.WriteArrayHeader(w, latest.Count);
            foreach (var (name, time, latency, max) in latest)
            {
                RespWriter.WriteArrayHeader(w, 4);
                RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(name));
                RespWriter.WriteInteger(w, time);
                RespWriter.WriteInteger(w, latency);
                RespWriter.WriteInteger(w, max);
            }
        }
        else if (Ascii.EqualsIgnoreCase(sub, "HISTORY"u8))
        {
            var history = monitor.History(Encoding.UTF8.GetString(c.GetArgument(2)));
            RespWriter.WriteArrayHeader(w, history.Count);
            foreach (var (time, latency) in history)
            {
                RespWriter.WriteArrayHeader(w, 2);
                RespWriter.WriteInteger(w, time);
                RespWriter.WriteInteger(w, latency);
            }
        }
        else if (Ascii.EqualsIgnoreCase(sub, "RESET"u8))
        {
            var resets = 0;
            if (c.Count == 2)
                resets = monitor.Reset(null);
            for (var i = 2; i < c.Count; i++)
                resets += monitor.Reset(Encoding.UTF8.GetString(c.GetArgument(i)));
            RespWriter.WriteInteger(w, resets);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "GRAPH"u8))
        {
            var name = Encoding.UTF8.GetString(c.GetArgument(2));
            if (monitor.Graph(name) is { } graph)
                RespInfo.WriteText(w, Encoding.UTF8.GetBytes(graph), _respVersion);
            else
                RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"No samples available for event '{name}'"));
        }
        else if (Ascii.EqualsIgnoreCase(sub, "DOCTOR"u8))
        {
            RespInfo.WriteText(w, Encoding.UTF8.GetBytes(monitor.Doctor(_server.SlowerThanMicros)), _respVersion);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "HISTOGRAM"u8))
        {
            HandOverLatencies(); // the commands of this batch before it are in its figures, as for INFO
            _server.Latency.WriteHistograms(w, c, _respVersion);
        }
        else
        {
            RespCommandReplies.WriteHelp(w, FastDht.Engine.CommandTable.RespCommandSpecs.Get(RespCommandKind.Latency)!);
        }
    }

    /// <summary>SLOWLOG GET [count] | LEN | RESET | HELP.</summary>
    private void SlowLog(IBufferWriter<byte> w)
    {
        var c = _command;
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "GET"u8))
        {
            long count = 10;
            if (c.Count > 3)
            {
                RespErrors.WriteWrongArity(w, "slowlog|get"u8);
                return;
            }
            if (c.Count == 3 && (!c.TryGetInt64(2, out count) || count < -1))
            {
                RespWriter.WriteError(w, "count should be greater than or equal to -1"u8);
                return;
            }
            _server.SlowLog.Write(w, count);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "LEN"u8))
        {
            RespWriter.WriteInteger(w, _server.SlowLog.Count);
        }
        else if (Ascii.EqualsIgnoreCase(sub, "RESET"u8))
        {
            _server.SlowLog.Reset();
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else
        {
            RespCommandReplies.WriteHelp(w, RespCommandSpecs.Get(RespCommandKind.SlowLog)!);
        }
    }

    /// <summary>Shows the command to the monitors (not AUTH, HELLO and ACL, which may carry a password, as in Redis).</summary>
    private void FeedMonitors()
    {
        if (_command.Kind is not (RespCommandKind.Auth or RespCommandKind.Hello or RespCommandKind.Acl))
            _server.Feed(this, _command);
    }

    /// <summary>After each command: its time in the command statistics, and in the slow log if it was slow.</summary>
    private void Account(RespCommandKind kind, long ticks)
    {
        Stats.Count(kind, ticks);
        if (kind != RespCommandKind.Unknown && _server.Latency.Enabled)
        {
            var samples = _latencies ??= new LatencyStats.Samples(_server.Latency.Generation);
            // A reset since the last hand-over (CONFIG RESETSTAT, maybe this very command) drops what was noted before
            // it; this command ended after it and counts, as Redis counts the RESETSTAT itself.
            if (samples.Generation != _server.Latency.Generation)
                _server.Latency.Add(samples);
            samples.Note(LatencyStats.SlotOf(kind, _command), ticks);
            if (samples.IsFull)
                _server.Latency.Add(samples);
        }
        if (_metrics is not null)
        {
            _metrics.CountResp(kind, _refused);
            _metrics.RecordLatency(Diagnostics.NodeMetrics.ClassOf(kind), ticks);
        }
        if (ticks >= _server.LatencyEvents.ThresholdTicks)
            NoteLatencySpike(kind, ticks);
        _refused = false;
        _lastCommandTicks = Environment.TickCount64;
        // AUTH, HELLO and ACL may carry a password: never kept in the slow log (a PBKDF2 check can be slow).
        if (ticks >= _server.SlowerThanTicks && kind is not (RespCommandKind.Auth or RespCommandKind.Hello or RespCommandKind.Acl))
        {
            var micros = ticks * 1_000_000 / System.Diagnostics.Stopwatch.Frequency;
            _server.SlowLog.Add(_command, micros, Address, _name ?? "");
        }
    }

    /// <summary>Hands the command times noted since the last batch to the node's histograms (read loop only; INFO latencystats).</summary>
    private void HandOverLatencies()
    {
        if (_latencies is { Count: > 0 } samples)
            _server.Latency.Add(samples);
    }

    /// <summary>
    /// The command answered an error: INFO errorstats and total_error_replies count it, and commandstats counts the
    /// command as failed unless it was refused before it ran (then it is a rejected call already). Any thread.
    /// </summary>
    private void CountError(RespCommandKind kind, ReadOnlySpan<byte> error, bool refused)
    {
        _server.Errors.Count(error);
        if (!refused)
            Stats.Fail(kind);
    }

    /// <summary>The command is refused before it runs (arity, subcommand, ACL): INFO's rejected_calls, the metrics' outcome "refused".</summary>
    private void Reject(RespCommandKind kind)
    {
        Stats.Reject(kind);
        _refused = true;
    }

    /// <summary>One client as CLIENT LIST and CLIENT KILL see it.</summary>
    private sealed record ClientDescription(long Id, string Address, string LocalAddress, string Line, string Type, long AgeSeconds, Action Kill);
}
