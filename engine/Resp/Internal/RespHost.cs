using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Plugins;
using FastDht.Engine.Transactions.Internal;
using FastDht.Storage.Durability;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// What the RESP server uses of its node, handed over by the node when it accepts a RESP connection: the keyspace,
/// the cluster state, the links to the other nodes, the coordinator (MSET, MGET) and a few settings; never the node.
/// </summary>
internal sealed class RespHost(
    ushort selfId,
    string clusterName,
    int maxFrameSize,
    TimeSpan forwardTimeout,
    LocalKeyspace keyspace,
    ActiveExpiry expiry,
    LoadingGate loading,
    ClusterStateHolder cluster,
    IPeerLinks peers,
    IListenerAddresses listeners,
    NodeStatistics statistics,
    TransactionCoordinator coordinator,
    RespServer server,
    IClientDirectory nativeClients,
    string? dataDir,
    FsyncPolicy fsync,
    Security.UserDirectory? users,
    ILogger logger,
    ServingLease? lease = null,
    RespClusterAdmin? admin = null,
    bool runsConsensus = false,
    Transport.ConnectionOptions? connections = null)
{
    /// <summary>The node's listeners' settings: INFO reads their refusals (maxClients) and output-limit closes from them; null for a host without listeners of its own.</summary>
    public Transport.ConnectionOptions? Connections { get; } = connections;

    /// <summary>Whether the cluster state is decided by a Raft group (CLUSTER INFO then names its voters).</summary>
    public bool RunsConsensus { get; } = runsConsensus;

    /// <summary>CLUSTER MEET, FORGET, SETSLOT, RESET and MIGRATE mapped onto the node's join, removal and slot moves; null for a host without them.</summary>
    public RespClusterAdmin? Admin { get; } = admin;

    /// <summary>With replicas and a Raft group: keyed commands are refused while the node holds no serving lease.</summary>
    public bool LeaseExpired => lease is { IsExpired: true };

    public ushort SelfId { get; } = selfId;

    public string ClusterName { get; } = clusterName;

    /// <summary>The node's frame size: a value travels to its owner inside one frame, so it bounds a bulk argument too.</summary>
    public int MaxFrameSize { get; } = maxFrameSize;

    /// <summary>The parser's limits for this node's RESP sessions (<see cref="RespNodeLimits"/>).</summary>
    public Protocol.Resp.RespLimits RespLimits { get; } = RespNodeLimits.For(maxFrameSize);

    /// <summary>The bound of a command sent to another node.</summary>
    public TimeSpan ForwardTimeout { get; } = forwardTimeout;

    public LocalKeyspace Keyspace { get; } = keyspace;

    /// <summary>The background pass that removes expired keys (INFO counts what it removed).</summary>
    public ActiveExpiry Expiry { get; } = expiry;

    public ClusterStateHolder Cluster { get; } = cluster;

    public IPeerLinks Peers { get; } = peers;

    public NodeStatistics Statistics { get; } = statistics;

    public TransactionCoordinator Coordinator { get; } = coordinator;

    public ILogger Logger { get; } = logger;

    /// <summary>What every RESP session of this node shares: the session list, the slow log, the CONFIG settings.</summary>
    public RespServer Server { get; } = server;

    /// <summary>The node's native client sessions (CLIENT LIST shows them too).</summary>
    public IClientDirectory NativeClients { get; } = nativeClients;

    /// <summary>The node's data directory; null when it keeps its keys in memory only.</summary>
    public string? DataDir { get; } = dataDir;

    /// <summary>When a logged write counts as durable (with a data directory).</summary>
    public FsyncPolicy Fsync { get; } = fsync;

    /// <summary>The node's users and their permissions; null when access is open (no ACL configured).</summary>
    public Security.UserDirectory? Users { get; } = users;

    /// <summary>True while the node replays its log: keyed commands are answered -LOADING.</summary>
    public bool IsLoading => loading.IsLoading;

    /// <summary>The node that owns a key under the current cluster state.</summary>
    public ushort OwnerOf(ReadOnlySpan<byte> key) => Cluster.Current.OwnerOf(key);

    /// <summary>"host:port" where a node serves a protocol, or null when unknown.</summary>
    public string? GetListenerAddress(ushort nodeId, string protocol) => listeners.AddressOf(nodeId, protocol);
}
