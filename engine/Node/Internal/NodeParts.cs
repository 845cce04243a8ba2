using System.Collections.Concurrent;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Sessions.Internal;
using FastDht.Engine.Transactions.Internal;
using FastDht.Engine.Transport;
using FastDht.Locking;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Node.Internal;

/// <summary>
/// One node's parts, assembled: the keyspace, the lock table, the transaction coordinator and participant, the mesh
/// of peer links, the client sessions, the RESP server's host and the plugin context. Held by <see cref="DhtNode"/>
/// (and tests, through <c>DhtNode.Core</c>) only.
/// </summary>
/// <remarks>
/// Not a service locator: no part is given this object. Each gets the narrow parts it uses (the coordinator its
/// settings, the cluster state and <see cref="Connections.IPeerLinks"/>; client sessions <see cref="ClientSessions"/>;
/// peer links <see cref="PeerMesh"/>; RESP sessions a <see cref="Resp.Internal.RespHost"/>; plugins a
/// <see cref="NodeContext"/>), so no folder of the engine depends on another in a cycle (EngineFolderDependencyTests).
/// Two parts need each other and are joined after both exist: the lock table's wound notifier and the coordinator,
/// the coordinator and the mesh (<see cref="TransactionCoordinator.UsePeers"/>).
/// </remarks>
internal sealed class NodeParts
{
    /// <summary>The lock-table session of the locks a coordinator takes on its own keys: never a connection, released by the coordinator.</summary>
    public const long CoordinatorSessionId = Connections.SessionIds.Coordinator;

    private readonly CancellationTokenSource _stopping = new();
    private readonly Resp.Internal.RespHost _resp;
    private Task _expiry = Task.CompletedTask;

    public NodeParts(NodeOptions options, IKeyValueStore store, ILogger logger, ConnectionOptions connectionOptions)
    {
        Options = options;
        Store = store;
        Logger = logger;
        ConnectionOptions = connectionOptions;
        SelfId = options.NodeId;
        // A joining node starts from its seeds' default table, of which it is no member: it serves nothing and dials
        // nobody until a member admits it and answers with the cluster's state (Membership.JoinAsync).
        Cluster = new ClusterStateHolder(ClusterState.Initial(options.Members, options.IsJoining ? 0 : options.Replicas));
        Limits = options.Limits;
        Identity = new NodeIdentity(options.NodeId, options.ClusterName, options.LockStrategy, Cluster, options.Limits, options.ClusterSecret);
        var strategy = CreateStrategy(options.Plugins.LockStrategies, options.LockStrategy);
        var wounds = new NodeWoundNotifier();
        // With failover the fencing tokens carry the epoch in their high bits (docs/replication.md), not the clock.
        Locks = new LockTable(strategy, new LockTableOptions
        {
            ExpiryScanInterval = ScanIntervalFor(strategy, options.LockExpiryScanInterval),
            SeedFenceFromClock = options.Replicas == 0,
        }, TimeProvider.System, wounds);
        if (options.Replicas > 0)
        {
            Locks.AdvanceFence(FenceFloor(Cluster.Current.Epoch));
            Cluster.Subscribe((_, current) => Locks.AdvanceFence(FenceFloor(current.Epoch)));
        }
        // 1 KiB under the frame size: room for the frame header, the key and the reply's framing around the value.
        Keyspace = new Keyspace.LocalKeyspace(store, Locks, Math.Max(1, options.Limits.MaxFrameSize - 1024));
        Metrics = new Diagnostics.NodeMetrics(options.NodeId);
        Statistics = new Plugins.NodeStatistics(Keyspace.Reads, Metrics);
        // A node with a data directory serves nothing from its keyspace until the log is replayed (DhtNode.StartAsync).
        Loading = new Keyspace.LoadingGate(options.DataDir is not null);
        var decisions = new TxnDecisions();
        Decisions = decisions;
        Participant = new TxnParticipant(Locks, Keyspace, decisions);
        Expiry = new Keyspace.ActiveExpiry(Keyspace) { Latency = RespServer.LatencyEvents };
        RespServer.MaxMemory = options.MaxMemory;
        if (options.NotifyKeyspaceEvents is { Length: > 0 } classes && FastDht.Engine.Keyspace.NotifyClass.TryParse(System.Text.Encoding.ASCII.GetBytes(classes), out var flags))
            RespServer.Notifications.Configure(flags, Keyspace);
        RespServer.Scripts.Memory.Limit = options.ScriptMemoryLimit;
        Coordinator = new TransactionCoordinator(
            options.NodeId,
            Identity.Incarnation,
            new TxnSettings(options.TxnTimeout, options.TxnLockLease, options.TxnMaxAttempts, options.ForwardTimeout, options.PeerTimeout),
            Cluster,
            Keyspace,
            Participant,
            decisions,
            strategy.RequiresOrderedAcquisition,
            logger,
            _stopping.Token);
        wounds.Attach(Coordinator);
        Mesh = new PeerMesh(
            Identity,
            Cluster,
            new MeshSettings(options.HeartbeatInterval, options.PeerTimeout, options.ConnectTimeout, options.ReconnectBaseDelay, options.ReconnectMaxDelay, options.ForwardTimeout, options.DataDir),
            connectionOptions,
            new LocalKeyRequests(Keyspace),
            Participant,
            Coordinator,
            Keyspace,
            Loading,
            Statistics,
            logger);
        Mesh.UsePubSub(RespServer.PubSub); // a peer's RespPublish reaches this node's subscribers
        Coordinator.UsePeers(Mesh);
        if (options.RunsConsensus)
        {
            var consensus = new Consensus.Internal.ConsensusSettings(
                options.ElectionTimeout, options.ElectionTimeout * 2, options.ElectionTimeout * 4, options.ForwardTimeout, options.DataDir, options.VoterTimeout);
            Consensus = new Consensus.Internal.RaftGroup(Identity, Cluster, Mesh, connectionOptions, consensus, logger, null);
            Mesh.UseProposals(Consensus);
            if (options.Replicas > 0)
            {
                // Failover: a node serves keys only under a lease from the Raft leader, which promotes replicas of silent primaries.
                Lease = new Keyspace.ServingLease();
                Mesh.Lease = Lease;
                Consensus.Monitor = new Consensus.Internal.FailoverMonitor(Consensus, Mesh, Lease, options.FailoverTimeout, options.ElectionTimeout, Locks, logger);
            }
        }
        // Only "detect" lets waits form cycles; its deadlocks across nodes are aborted along the wounds' route.
        Deadlocks = strategy.DetectsDeadlocks
            ? new GlobalDeadlockDetector(Locks, options.NodeId, Cluster, Mesh, wounds, options.DeadlockDetectionInterval, options.ForwardTimeout, logger)
            : null;
        if (options.Replicas > 0)
        {
            // A promotion installs the prepared attempts of the replaced primary that this replica holds (docs/replication.md).
            Cluster.Subscribe((previous, current) =>
            {
                var installed = Participant.TakeOver(previous, current, SelfId, (txn, why) => TxnLog.Inconsistent(logger, txn.Id.ToString(), txn.Attempt, why));
                if (installed > 0)
                    TxnLog.TakenOver(logger, SelfId, installed);
            });
            Replicator = new Mesh.Internal.Replicator(Mesh, Keyspace, options.ReplicaTimeout, logger, ClusterChanges);
            Keyspace.AttachReplication(Replicator.Stream, slot => Cluster.Current.Slots.OwnerOf(slot) == SelfId);
        }
        StateChanges = (IClusterChanges?)Consensus ?? new FastDht.Engine.Mesh.Internal.PeerPushedStateChanges(Mesh);
        SlotMover = new FastDht.Engine.Mesh.Internal.SlotMover(Mesh, Keyspace, StateChanges, FastDht.Engine.Mesh.Internal.SlotMoveOptions.Default with { MaxBytesPerSecond = options.SlotMoveRate, DutyCycle = options.SlotMoveDutyPercent / 100.0 }, logger);
        Membership = new FastDht.Engine.Mesh.Internal.Membership(Mesh, StateChanges, options.Self, logger);
        var longestWork = options.TxnTimeout > options.ForwardTimeout ? options.TxnTimeout : options.ForwardTimeout;
        Clients = new ClientSessions(
            Mesh,
            Coordinator,
            Locks,
            new SessionSettings(options.ForwardTimeout, options.HandshakeTimeout, options.ClientIdleTimeout, longestWork + options.ForwardTimeout),
            logger)
        {
            Users = options.Users,
            Tls = options.Tls,
            Mover = SlotMover,
            Membership = Membership,
        };
        Handshake = new InboundHandshake(Clients);
        Context = new NodeContext(options.NodeId, options.ClusterName, options.ForwardTimeout, Keyspace, Cluster, Mesh, Mesh.Listeners, Statistics, logger, _stopping.Token);
        NodeInstruments.Register(this);
        _resp = new Resp.Internal.RespHost(options.NodeId, options.ClusterName, options.Limits.MaxFrameSize, options.ForwardTimeout, Keyspace, Expiry, Loading, Cluster, Mesh, Mesh.Listeners, Statistics, Coordinator, RespServer, Clients, options.DataDir, options.Fsync, options.Users, logger, Lease,
            new Resp.Internal.RespClusterAdmin(Cluster, new NodeClusterAdministration(Mesh, SlotMover, Membership, options.Self)), options.RunsConsensus, connectionOptions);
    }

    /// <summary>Members joining and leaving: this node's own join, admitting others, removing members.</summary>
    public FastDht.Engine.Mesh.Internal.Membership Membership { get; }

    /// <summary>While this node joins the cluster (it was not in its member list): the join, until a member admitted it.</summary>
    public Task Joining { get; set; } = Task.CompletedTask;

    /// <summary>
    /// The fencing tokens' floor at <paramref name="epoch"/>: the epoch in bits 32-62, a per-node grant counter in bits
    /// 0-31. A token granted at a higher epoch is larger than every token granted at a lower one, on any node: tokens
    /// rise across a promotion. 2^31 epochs; 2^32 grants per node per epoch (the failover monitor raises the epoch
    /// when a node has used half of them).
    /// </summary>
    public static long FenceFloor(ulong epoch) => (long)(epoch << FenceEpochShift);

    /// <summary>Where the epoch starts in a fencing token (<see cref="FenceFloor"/>).</summary>
    public const int FenceEpochShift = 32;

    /// <summary>This node's part in the Raft group that decides the cluster state; null when the cluster runs none.</summary>
    public Consensus.Internal.RaftGroup? Consensus { get; }

    /// <summary>The failover monitor's loop (lease renewals, promotions), while it runs.</summary>
    public Task Failover { get; set; } = Task.CompletedTask;

    /// <summary>With replicas and a Raft group: the lease without which the node serves no keys; null otherwise.</summary>
    public Keyspace.ServingLease? Lease { get; }

    /// <summary>How any part of the node proposes a cluster-state change; null when the cluster runs no Raft group.</summary>
    public IClusterChanges? ClusterChanges => Consensus;

    /// <summary>
    /// How this node's slot moves change the cluster state: through the Raft group when the cluster runs one, else
    /// installed here and pushed over the peer links (<see cref="FastDht.Engine.Mesh.Internal.PeerPushedStateChanges"/>).
    /// </summary>
    public IClusterChanges StateChanges { get; }

    /// <summary>Moves slots this node owns to another node while they stay in use.</summary>
    public FastDht.Engine.Mesh.Internal.SlotMover SlotMover { get; }

    /// <summary>The stream of this node's changes to its replicas and their senders; null without replicas.</summary>
    public Mesh.Internal.Replicator? Replicator { get; }

    /// <summary>The transaction outcomes this node decided or learned (a restart replays its logged commit decisions into it).</summary>
    public TxnDecisions Decisions { get; }

    /// <summary>Who this node is in a handshake.</summary>
    public NodeIdentity Identity { get; }

    /// <summary>The application clients' sessions.</summary>
    public ClientSessions Clients { get; }

    /// <summary>Turns each accepted native connection into a client session or a peer link.</summary>
    public InboundHandshake Handshake { get; }

    /// <summary>Counters every protocol adds to.</summary>
    public Plugins.NodeStatistics Statistics { get; }

    /// <summary>The node's metrics and its Meter.</summary>
    public Diagnostics.NodeMetrics Metrics { get; }

    /// <summary>Where each member serves each protocol.</summary>
    public ListenerDirectory Listeners => Mesh.Listeners;

    /// <summary>The API handed to wire-protocol plugins.</summary>
    public NodeContext Context { get; }

    public string? GetListenerAddress(ushort nodeId, string protocol) => Listeners.AddressOf(nodeId, protocol);

    /// <summary>What the node's RESP connections share: the open ones, monitors, the slow log, command statistics.</summary>
    public Resp.Internal.RespServer RespServer { get; } = new();

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
            // A plugin protocol's and RESP's connections are clients: their unsent replies and buffers are bounded. The native
            // protocol's handshake decides (a peer link keeps only the pause threshold).
            if (protocol is not Plugins.Internal.BuiltInProtocol)
            {
                // The plugin reads the input itself: only its output counts in the client memory budget.
                connection.BoundAsClient(reportsInput: false);
                await protocol.RunConnectionAsync(connection, Context).ConfigureAwait(false);
            }
            else if (string.Equals(protocol.Name, Plugins.ProtocolNames.Resp, StringComparison.OrdinalIgnoreCase))
            {
                connection.BoundAsClient();
                await new Resp.Internal.RespSession(_resp, connection).RunAsync().ConfigureAwait(false);
            }
            else
                await Handshake.RunAsync(connection).ConfigureAwait(false);
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

    /// <summary>The detector of deadlocks across nodes, under a strategy that lets them form ("detect"); null otherwise.</summary>
    public GlobalDeadlockDetector? Deadlocks { get; }

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

    public ulong Incarnation => Identity.Incarnation;


    public PeerMesh Mesh { get; }

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Open while the node replays its log at start (every keyed request is answered Loading).</summary>
    public Keyspace.LoadingGate Loading { get; }

    /// <summary>
    /// True while the node replays its log at start: every keyed request is answered Loading (RESP: -LOADING) and
    /// nothing is read or changed, so no client sees the partial state of a replay.
    /// </summary>
    public bool IsLoading => Loading.IsLoading;

    /// <summary>The log is replayed: the keyspace serves from now on.</summary>
    public void EndLoading() => Loading.End();

    /// <summary>The message a request refused while loading carries.</summary>
    public const string LoadingMessage = FastDht.Engine.Keyspace.LoadingGate.Message;

    public bool IsStopping => _stopping.IsCancellationRequested;

    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
            _expiry = Expiry.RunAsync(_stopping.Token);
        Clients.Start();
        Mesh.Start();
        Coordinator.Start();
        Deadlocks?.Start(_stopping.Token);
        Replicator?.Start();
    }

    /// <summary>Owns a connection a listener accepted: its handshake, then the session or link it becomes, until it closes.</summary>
    public async ValueTask AcceptAsync(SocketConnection connection)
    {
        if (IsStopping)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }
        await Handshake.RunAsync(connection).ConfigureAwait(false);
    }

    /// <summary>The node that owns a key under the current cluster state.</summary>
    public ushort OwnerOf(ReadOnlySpan<byte> key) => Cluster.Current.OwnerOf(key);

    /// <summary>Stops the mesh's dialing and sweeping, the idle check and pending handshakes; sessions are closed by the node's drain.</summary>
    public async Task StopBackgroundAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Failover.ConfigureAwait(false);
        await Clients.StopAsync().ConfigureAwait(false);
        await Mesh.StopAsync().ConfigureAwait(false);
        await Joining.ConfigureAwait(false);
        await Coordinator.StopAsync().ConfigureAwait(false);
        if (Deadlocks is not null)
            await Deadlocks.StopAsync().ConfigureAwait(false);
        await _expiry.ConfigureAwait(false);
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
}
