using System.Collections.Concurrent;
using System.Diagnostics;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// What a node's RESP connections share: the open connections (CLIENT LIST/KILL), the monitors (MONITOR), the slow
/// log (SLOWLOG), the settings CONFIG SET can change (the slow log's, maxmemory), and the per-command statistics of closed connections (INFO
/// commandstats).
/// </summary>
/// <remarks>
/// The per-command path touches only <see cref="HasMonitors"/> (one volatile read) and
/// <see cref="SlowerThanTicks"/>; everything else here runs when a client asks. Command statistics are counted per
/// connection, in arrays only its read loop writes, and folded in here when it closes, so counting costs no shared
/// cache line per command.
/// </remarks>
internal sealed class RespServer
{
    private readonly ConcurrentDictionary<long, RespSession> _clients = new();
    private readonly Lock _sync = new();
    private RespMonitor[] _monitors = [];
    private readonly CommandStats _closedStats = new();
    private long _slowerThanMicros = 10_000;
    private long _maxMemory;

    public RespServer()
    {
        Tracking = new KeyTracking(this);
        Notifications = new KeyspaceNotifier(PubSub);
        SlowLog = new RespSlowLog(128);
        SlowerThanTicks = MicrosToTicks(_slowerThanMicros);
        Scripts.IsOverMaxMemory = () => IsOverMaxMemory;
    }

    private readonly TaskCompletionSource<string> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes (with who asked) when a client sends SHUTDOWN: the node stops, and its host should exit.</summary>
    public Task<string> ShutdownRequested => _shutdown.Task;

    /// <summary>SHUTDOWN: asks the node to stop; the first request wins.</summary>
    public void RequestShutdown(string reason) => _shutdown.TrySetResult(reason);

    /// <summary>The node's Lua scripting: cache, states, running scripts (SCRIPT KILL, -BUSY).</summary>
    public ScriptEngine Scripts { get; } = new();

    /// <summary>What this node's connections subscribe to (PUBSUB, SPUBLISH).</summary>
    public PubSubChannels PubSub { get; } = new();

    /// <summary>Sends PUBLISH's messages to the other members, through a bounded outbox per member.</summary>
    public PublishBroadcast Broadcast { get; } = new();

    /// <summary>Keyspace notifications (notify-keyspace-events): this node's keyspace events, published to its own subscribers.</summary>
    public KeyspaceNotifier Notifications { get; }

    /// <summary>Client-side caching: which connections read which keys here, and their invalidations (CLIENT TRACKING).</summary>
    public KeyTracking Tracking { get; }

    /// <summary>The latency monitor (latency-monitor-threshold, LATENCY LATEST/HISTORY/GRAPH/DOCTOR/RESET).</summary>
    public Diagnostics.LatencyMonitor LatencyEvents { get; } = new();

    /// <summary>Per-command latency histograms (latency-tracking, INFO latencystats, LATENCY HISTOGRAM).</summary>
    public LatencyStats Latency { get; } = new();

    /// <summary>Error replies by prefix and in all (INFO errorstats, total_error_replies).</summary>
    public ErrorStats Errors { get; } = new();

    /// <summary>The slow log: commands that took at least <see cref="SlowerThanMicros"/>.</summary>
    public RespSlowLog SlowLog { get; }

    /// <summary>The clients blocked in BLPOP and its kin here, in the order they blocked.</summary>
    public BlockedClients Blocked { get; } = new();

    /// <summary>Redis's slowlog-log-slower-than: negative turns the log off, 0 logs every command. Defaults to 10000 µs.</summary>
    public long SlowerThanMicros
    {
        get => Volatile.Read(ref _slowerThanMicros);
        set
        {
            Volatile.Write(ref _slowerThanMicros, value);
            SlowerThanTicks = value < 0 ? long.MaxValue : MicrosToTicks(value);
        }
    }

    /// <summary>Redis's maxmemory, in bytes: 0 (the default) sets no limit. Set at run time with CONFIG SET.</summary>
    /// <remarks>
    /// The only policy is Redis's <c>noeviction</c>: while the node's managed heap (INFO's <c>used_memory</c>) is above
    /// the limit, RESP commands that may add memory (Redis's <c>denyoom</c> flag: SET, INCR, APPEND, MSET...) are
    /// refused with <c>-OOM</c>, and reads and deletes go on. It is checked on the node the client is connected to,
    /// as Redis checks the server a command is sent to.
    /// </remarks>
    public long MaxMemory
    {
        get => Volatile.Read(ref _maxMemory);
        set => Volatile.Write(ref _maxMemory, value);
    }

    /// <summary>Whether a maxmemory is set and the node's managed heap is above it (one volatile read when none is set).</summary>
    public bool IsOverMaxMemory
    {
        get
        {
            var max = MaxMemory;
            return max != 0 && GC.GetTotalMemory(forceFullCollection: false) > max;
        }
    }

    /// <summary>The slow-log threshold in <see cref="Stopwatch"/> ticks (long.MaxValue: off).</summary>
    public long SlowerThanTicks { get; private set; }

    /// <summary>Whether any connection is in MONITOR mode: the one check the per-command path makes.</summary>
    public bool HasMonitors => Volatile.Read(ref _monitors).Length != 0;

    public IEnumerable<RespSession> Clients => _clients.Values;

    public void Register(RespSession session) => _clients[session.ClientId] = session;

    /// <summary>The RESP connection with this client id, if it is open.</summary>
    public RespSession? FindClient(long id) => _clients.TryGetValue(id, out var session) ? session : null;

    public void Unregister(RespSession session)
    {
        _clients.TryRemove(session.ClientId, out _);
        lock (_sync)
            _closedStats.Add(session.Stats);
        RemoveMonitor(session);
        Tracking.Unfollow(session);
        session.LeaveAllChannels();
    }

    public void AddMonitor(RespMonitor monitor)
    {
        lock (_sync)
            _monitors = [.. _monitors, monitor];
    }

    public void RemoveMonitor(RespSession session)
    {
        lock (_sync)
        {
            var index = Array.FindIndex(_monitors, m => ReferenceEquals(m.Session, session));
            if (index < 0)
                return;
            var list = new List<RespMonitor>(_monitors);
            list[index].Stop();
            list.RemoveAt(index);
            _monitors = [.. list];
        }
    }

    /// <summary>Sends <paramref name="c"/>, as run by <paramref name="from"/>, to every monitor.</summary>
    public void Feed(RespSession from, RespCommand c)
    {
        var line = RespMonitor.Format(from, c);
        foreach (var monitor in Volatile.Read(ref _monitors))
        {
            if (!ReferenceEquals(monitor.Session, from))
                monitor.Send(line);
        }
    }

    /// <summary>Calls and time per command of every connection, the closed ones and those open now.</summary>
    public CommandStats SnapshotStats()
    {
        var total = new CommandStats();
        lock (_sync)
            total.Add(_closedStats);
        foreach (var session in _clients.Values)
            total.Add(session.Stats);
        return total;
    }

    /// <summary>CONFIG RESETSTAT: forgets the statistics of closed connections and the open ones' so far.</summary>
    public void ResetStats()
    {
        lock (_sync)
            _closedStats.Clear();
        foreach (var session in _clients.Values)
            session.Stats.Clear();
        Errors.Reset();
        Latency.Reset();
    }

    private static long MicrosToTicks(long micros) => micros * Stopwatch.Frequency / 1_000_000;
}
