namespace FastDht.Engine.Plugins;

/// <summary>Counters a node's protocols share: connections and commands, read by INFO and by monitoring.</summary>
/// <remarks>
/// Every protocol counts here: RESP and native client sessions add their commands per batch, not per command
/// (<see cref="AddCommands"/> once per socket read), so the counters cost one interlocked add per batch rather than a
/// contended cache line per command. Keyspace hits and misses are counted where every read passes, in the node's
/// keyspace (per-processor cells), so a read counts once whichever protocol or node asked for it; a plugin with
/// reads of its own adds them with <see cref="AddKeyspace"/>.
/// </remarks>
public sealed class NodeStatistics
{
    private readonly Keyspace.ReadCounters? _reads;
    private long _connectionsReceived;
    private long _connectedClients;
    private long _commandsProcessed;
    private long _keyspaceHits;
    private long _keyspaceMisses;
    private long _sampleTicks = Environment.TickCount64;
    private long _sampleCommands;
    private long _rate;

    /// <summary>Counters of their own only (a plugin's tests, a protocol hosted elsewhere).</summary>
    public NodeStatistics()
    {
    }

    /// <summary>A node's counters: keyspace hits and misses include every read of <paramref name="reads"/>; requests are counted in <paramref name="metrics"/>.</summary>
    internal NodeStatistics(Keyspace.ReadCounters reads, Diagnostics.NodeMetrics metrics)
    {
        _reads = reads;
        Metrics = metrics;
    }

    /// <summary>The node's request metrics (by kind, outcome and latency); null for counters of their own (<see cref="NodeStatistics()"/>).</summary>
    public Diagnostics.NodeMetrics? Metrics { get; }

    /// <summary>When the node started (UTC).</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Client connections accepted since start, over every protocol.</summary>
    public long ConnectionsReceived => Volatile.Read(ref _connectionsReceived);

    /// <summary>Client connections open now, over every protocol.</summary>
    public long ConnectedClients => Volatile.Read(ref _connectedClients);

    /// <summary>Commands (RESP) or requests (application protocols) executed since start.</summary>
    public long CommandsProcessed => Volatile.Read(ref _commandsProcessed);

    /// <summary>Reads that found their key.</summary>
    public long KeyspaceHits => Volatile.Read(ref _keyspaceHits) + (_reads?.Hits ?? 0);

    /// <summary>Reads that did not find their key.</summary>
    public long KeyspaceMisses => Volatile.Read(ref _keyspaceMisses) + (_reads?.Misses ?? 0);

    public void ClientConnected()
    {
        Interlocked.Increment(ref _connectionsReceived);
        Interlocked.Increment(ref _connectedClients);
    }

    public void ClientDisconnected() => Interlocked.Decrement(ref _connectedClients);

    public void AddCommands(long count)
    {
        if (count != 0)
            Interlocked.Add(ref _commandsProcessed, count);
    }

    public void AddKeyspace(long hits, long misses)
    {
        if (hits != 0)
            Interlocked.Add(ref _keyspaceHits, hits);
        if (misses != 0)
            Interlocked.Add(ref _keyspaceMisses, misses);
    }

    /// <summary>Commands per second between this sample and the previous one (samples at least 100 ms apart, so a burst of reads does not see zero).</summary>
    public long SampleCommandRate()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _sampleTicks);
        var elapsed = now - last;
        if (elapsed >= 100 && Interlocked.CompareExchange(ref _sampleTicks, now, last) == last)
        {
            var commands = CommandsProcessed;
            var previous = Interlocked.Exchange(ref _sampleCommands, commands);
            Interlocked.Exchange(ref _rate, (commands - previous) * 1000 / elapsed);
        }
        return Interlocked.Read(ref _rate);
    }
}
