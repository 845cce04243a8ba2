using System.Collections.Concurrent;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Transactions.Internal;
using FastDht.Engine.Transport;
using FastDht.Locking;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Node.Internal;

/// <summary>
/// What every session of one node shares: identity, options, the store, the cluster state, the mesh, and the set of
/// open sessions; plus the maintenance loop that times out requests.
/// </summary>
internal sealed class NodeCore
{
    // 50 ms: a request times out at most this late; the sweep walks only the sessions with requests pending.
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>The lock-table session of the locks a coordinator takes on its own keys: never a connection, released by the coordinator.</summary>
    public const long CoordinatorSessionId = 0;

    private readonly ConcurrentDictionary<NodeSession, byte> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _nextSessionId;
    private Task _maintenance = Task.CompletedTask;
    private Task _expiry = Task.CompletedTask;
    private volatile bool _loading;

    public NodeCore(NodeOptions options, IKeyValueStore store, ILogger logger, ConnectionOptions connectionOptions)
    {
        Options = options;
        Store = store;
        Logger = logger;
        ConnectionOptions = connectionOptions;
        SelfId = options.NodeId;
        Cluster = new ClusterStateHolder(ClusterState.Initial(options.Members));
        Limits = options.Limits;
        Incarnation = (ulong)((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000) + Random.Shared.Next(1000));
        Mesh = new PeerMesh(this);
        Listeners = new ListenerDirectory(this);
        Context = new Plugins.Internal.NodeContext(this);
        var strategy = CreateStrategy(options.Plugins.LockStrategies, options.LockStrategy);
        Locks = new LockTable(strategy, new LockTableOptions { ExpiryScanInterval = ScanIntervalFor(strategy, options.LockExpiryScanInterval) }, TimeProvider.System, new NodeWoundNotifier(this));
        // 1 KiB under the frame size: room for the frame header, the key and the reply's framing around the value.
        Keyspace = new Keyspace.LocalKeyspace(store, Locks, Math.Max(1, options.Limits.MaxFrameSize - 1024));
        Statistics = new Plugins.NodeStatistics(Keyspace.Reads);
        // A node with a data directory serves nothing from its keyspace until the log is replayed (DhtNode.StartAsync).
        _loading = options.DataDir is not null;
        var decisions = new TxnDecisions();
        Decisions = decisions;
        Participant = new TxnParticipant(Locks, Keyspace, decisions);
        Expiry = new Keyspace.ActiveExpiry(Keyspace);
        Coordinator = new TransactionCoordinator(this, Participant, decisions, strategy.RequiresOrderedAcquisition);
    }

    /// <summary>The transaction outcomes this node decided or learned (a restart replays its logged commit decisions into it).</summary>
    public TxnDecisions Decisions { get; }

    /// <summary>Counters every protocol adds to.</summary>
    public Plugins.NodeStatistics Statistics { get; }

    /// <summary>Where each member serves each protocol.</summary>
    public ListenerDirectory Listeners { get; }

    /// <summary>The API handed to wire-protocol plugins.</summary>
    public Plugins.Internal.NodeContext Context { get; }

    public string? GetListenerAddress(ushort nodeId, string protocol) => Listeners.AddressOf(nodeId, protocol);

    /// <summary>Connections of plugin protocols (not the native one) still running, for the node's drain.</summary>
    public ConcurrentDictionary<Transport.SocketConnection, Task> PluginConnections { get; } = new();

    /// <summary>Owns a connection a plugin protocol's listener accepted: runs the protocol on it until it closes.</summary>
    public async ValueTask AcceptPluginAsync(Plugins.IWireProtocol protocol, Transport.SocketConnection connection)
    {
        if (IsStopping)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PluginConnections[connection] = done.Task;
        try
        {
            await protocol.RunConnectionAsync(connection, Context).ConfigureAwait(false);
        }
        finally
        {
            PluginConnections.TryRemove(connection, out _);
            done.TrySetResult();
        }
    }

    /// <summary>The locks of the keys this node owns.</summary>
    public LockTable Locks { get; }

    /// <summary>This node's part in transactions on its keys.</summary>
    public TxnParticipant Participant { get; }

    /// <summary>Runs the transactions this node's clients send.</summary>
    public TransactionCoordinator Coordinator { get; }

    public NodeOptions Options { get; }

    /// <summary>The store itself, for inspection (<see cref="DhtNode.Store"/>); every read and write of the node goes through <see cref="Keyspace"/>.</summary>
    public IKeyValueStore Store { get; }

    /// <summary>The keys this node owns: the only code that reads or changes one.</summary>
    public Keyspace.LocalKeyspace Keyspace { get; }

    /// <summary>The background pass that removes expired keys nobody reads.</summary>
    public Keyspace.ActiveExpiry Expiry { get; }

    public ILogger Logger { get; }

    public ConnectionOptions ConnectionOptions { get; }

    public ushort SelfId { get; }

    /// <summary>The cluster state in force (epoch, members, slots): read it once per decision, it may change at any time.</summary>
    public ClusterStateHolder Cluster { get; }

    public ProtocolLimits Limits { get; }

    public ulong Incarnation { get; }

    public PeerMesh Mesh { get; }

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// True while the node replays its log at start: every keyed request is answered Loading (RESP: -LOADING) and
    /// nothing is read or changed, so no client sees the partial state of a replay.
    /// </summary>
    public bool IsLoading => _loading;

    /// <summary>The log is replayed: the keyspace serves from now on.</summary>
    public void EndLoading() => _loading = false;

    /// <summary>The message a request refused while loading carries.</summary>
    public const string LoadingMessage = "the node is loading its data from disk; retry shortly";

    public bool IsStopping => _stopping.IsCancellationRequested;

    public IEnumerable<NodeSession> Sessions => _sessions.Keys;

    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
        {
            _maintenance = MaintainAsync();
            _expiry = Expiry.RunAsync(_stopping.Token);
        }
        Mesh.Start();
        Coordinator.Start();
    }

    /// <summary>Owns a connection a listener accepted: runs its session until it closes.</summary>
    public async ValueTask AcceptAsync(SocketConnection connection)
    {
        if (IsStopping)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var session = new NodeSession(this, connection, dialedPeer: null);
        await session.RunAsync().ConfigureAwait(false);
    }

    public long NextSessionId() => Interlocked.Increment(ref _nextSessionId);

    public void Register(NodeSession session) => _sessions.TryAdd(session, 0);

    public void Unregister(NodeSession session) => _sessions.TryRemove(session, out _);

    /// <summary>The node that owns a key under the current cluster state.</summary>
    public ushort OwnerOf(ReadOnlySpan<byte> key) => Cluster.Current.OwnerOf(key);

    /// <summary>Checks a Hello against this node; null when acceptable, else the refusal, for both logs and the peer.</summary>
    public string? CheckHello(in HelloRequest hello)
    {
        if (hello.ProtocolVersion != ProtocolConstants.Version)
            return $"protocol version {hello.ProtocolVersion} is not supported (this node speaks {ProtocolConstants.Version})";
        if (!hello.ClusterName.SequenceEqual(Encoding.UTF8.GetBytes(Options.ClusterName)))
            return $"cluster name '{hello.GetClusterName()}' does not match this node's cluster '{Options.ClusterName}'";
        if (hello.Role != NodeRole.Node)
            return null;
        return CheckPeerIdentity(hello.NodeId, hello.MembersDigest, hello.GetLockStrategy());
    }

    /// <summary>The checks a node applies to a peer's identity, in either direction of the handshake.</summary>
    public string? CheckPeerIdentity(ushort nodeId, ulong membersDigest, string lockStrategy)
    {
        if (nodeId == SelfId)
            return $"node id {nodeId} is this node's own id: two nodes were started with the same id";
        var state = Cluster.Current;
        if (!state.Members.TryGet(nodeId, out _))
            return $"node id {nodeId} is not in this node's member list ({state.Members}, epoch {state.Epoch})";
        if (membersDigest != state.Members.Digest)
            return $"the member lists differ (digest {membersDigest:x16} vs this node's {state.Members.Digest:x16} at epoch {state.Epoch}): every node must be given the same member list";
        if (!string.Equals(lockStrategy, Options.LockStrategy, StringComparison.Ordinal))
            return $"lock strategy '{lockStrategy}' differs from this node's '{Options.LockStrategy}': every node of a cluster must use the same one";
        return null;
    }

    /// <summary>Stops the maintenance loop and the mesh's dialing; sessions are closed by the node's drain.</summary>
    public async Task StopBackgroundAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Mesh.StopAsync().ConfigureAwait(false);
        await Coordinator.StopAsync().ConfigureAwait(false);
        await _expiry.ConfigureAwait(false);
        try
        {
            await _maintenance.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The strategy named in the options; an unknown name is a configuration error listing the known ones.</summary>
    private static ILockStrategy CreateStrategy(LockStrategyRegistry registry, string name)
    {
        try
        {
            return registry.Create(name);
        }
        catch (ArgumentException)
        {
            throw new ClusterConfigurationException($"unknown lock strategy '{name}'; known strategies: {string.Join(", ", registry.Names)}");
        }
    }

    /// <summary>
    /// The lock table's scan interval: the configured one, or finer when the strategy bounds waits more tightly (the
    /// timeout strategy), because a wait only ends on a scan. Floored at 5 ms: below that the timer costs more than the
    /// precision is worth.
    /// </summary>
    internal static TimeSpan ScanIntervalFor(ILockStrategy strategy, TimeSpan configured)
    {
        var finest = strategy.GetWaitLimit(int.MaxValue);
        if (finest <= TimeSpan.Zero || finest >= configured)
            return configured;
        var floor = TimeSpan.FromMilliseconds(5);
        var finer = finest < floor ? floor : finest;
        return finer < configured ? finer : configured; // never coarser than what was configured
    }

    private async Task MaintainAsync()
    {
        using var timer = new PeriodicTimer(SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                foreach (var session in _sessions.Keys)
                    session.SweepExpired(now);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
