using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node.Internal;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastDht.Engine.Node;

/// <summary>
/// A FastDht node: listens for clients and peers, joins the mesh of its cluster, owns its share of the slots and
/// forwards the rest. Start one per host with <see cref="StartAsync"/>; stop it with <see cref="StopAsync"/>.
/// </summary>
public sealed class DhtNode : IAsyncDisposable
{
    private readonly NodeParts _core;
    private readonly SocketListener _listener;
    private readonly Dictionary<string, SocketListener> _pluginListeners;
    private int _stopped;

    private DhtNode(NodeParts core, SocketListener listener, Dictionary<string, SocketListener> pluginListeners)
    {
        _core = core;
        _listener = listener;
        _pluginListeners = pluginListeners;
        using (ExecutionContext.SuppressFlow())
            _ = StopWhenAskedAsync();
    }

    /// <summary>
    /// Completes, with who asked, when a client told the node to stop (RESP <c>SHUTDOWN</c>). The node then stops on
    /// its own (<see cref="StopAsync"/>); a host process should exit once that returns.
    /// </summary>
    public Task<string> ShutdownRequested => _core.RespServer.ShutdownRequested;

    private async Task StopWhenAskedAsync()
    {
        var reason = await ShutdownRequested.ConfigureAwait(false);
        NodeLog.ShutdownRequested(_core.Logger, NodeId, reason);
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Where an enabled protocol listens (with the real port), or null when it is not enabled on this node.</summary>
    public IPEndPoint? GetListenerEndPoint(string protocol)
    {
        if (string.Equals(protocol, Plugins.ProtocolNames.Native, StringComparison.OrdinalIgnoreCase))
            return EndPoint;
        return _pluginListeners.TryGetValue(protocol, out var l) ? l.LocalEndPoint : null;
    }

    /// <summary>The API this node gives its wire protocols (routed key operations, cluster view, counters).</summary>
    public Plugins.INodeContext Context => _core.Context;

    public ushort NodeId => _core.SelfId;

    public string ClusterName => _core.Options.ClusterName;

    /// <summary>Where the native protocol listens (with the real port when port 0 was asked for).</summary>
    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>The store holding this node's keys.</summary>
    public IKeyValueStore Store => _core.Store;

    /// <summary>The cluster state this node routes by now (epoch, members, slots); it may change while the node runs.</summary>
    public ClusterState ClusterState => _core.Cluster.Current;

    /// <summary>The node's shared state, for tests that look inside (sessions, links).</summary>
    internal NodeParts Core => _core;

    /// <summary>Starts a node: validates the options, binds the listener, starts dialing the peers.</summary>
    /// <exception cref="ClusterConfigurationException">Bad configuration: the message is one line for an operator.</exception>
    /// <remarks>
    /// With <see cref="NodeOptions.DataDir"/> the node listens first and answers Loading to keyed requests while it
    /// replays its log; the returned task completes when the log is replayed and the node serves. A corrupt log (or a
    /// data directory another node holds) stops the start with a <see cref="ClusterConfigurationException"/> whose
    /// one-line message names the file and offset.
    /// </remarks>
    public static async Task<DhtNode> StartAsync(NodeOptions options, ILoggerFactory? loggerFactory = null, IKeyValueStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("FastDht.Node");
        var maxClients = options.MaxClients > 0 ? options.MaxClients : DescriptorLimit.DerivedMaxClients();
        var acceptLimit = maxClients is { } max ? new ConnectionLimit(max) : null;
        var clientBudget = new ClientMemoryBudget(MaxMemoryClients(options), options.ClientQueryTimeout, logger);
        var connectionOptions = CreateConnectionOptions(options.Limits, logger, options.MemoryPool, options.Tls, acceptLimit, ClientOutputLimit(options), clientBudget, options.SocketEngine);
        if (store is null && !options.Plugins.TryCreateStore(options.Store, out store))
        {
            options.ListenSocket?.Dispose();
            throw new ClusterConfigurationException($"no store named '{options.Store}' is registered (known: {string.Join(", ", options.Plugins.StoreNames)})");
        }
        NodeParts core;
        try
        {
            core = new NodeParts(options, store, logger, connectionOptions);
        }
        catch (ClusterConfigurationException)
        {
            // The node takes ownership of a socket it was given, even when it cannot start.
            options.ListenSocket?.Dispose();
            throw;
        }
        // Every address is bound before any listener starts: one that is taken stops the node with nothing started,
        // nothing accepted and no "Listening on" logged.
        var endPoint = options.ListenSocket?.LocalEndPoint as IPEndPoint ?? options.ResolveListenEndPoint();
        Socket nativeSocket;
        try
        {
            nativeSocket = options.ListenSocket ?? SocketListener.Bind(endPoint);
        }
        catch (SocketException e)
        {
            var why = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use (is another node running there?)",
                SocketError.AddressNotAvailable => "the address is not on this host (is this the right node id?)",
                SocketError.AccessDenied => "permission denied",
                _ => e.Message,
            };
            core.Metrics.Dispose();
            throw new ClusterConfigurationException($"cannot listen on {endPoint}: {why}", e);
        }
        var pluginSockets = new List<(string Name, Plugins.IWireProtocol Protocol, Socket Socket)>();
        foreach (var (name, pluginEndPoint) in options.Listeners)
        {
            options.Plugins.TryGetProtocol(name, out var protocol);
            try
            {
                pluginSockets.Add((name, protocol, SocketListener.Bind(pluginEndPoint)));
            }
            catch (SocketException e)
            {
                nativeSocket.Dispose();
                foreach (var bound in pluginSockets)
                    bound.Socket.Dispose();
                core.Metrics.Dispose();
                throw new ClusterConfigurationException($"cannot listen for {name} on {pluginEndPoint}: {e.Message}", e);
            }
        }
        // Served connections run their parse loop and send inline (no thread-pool work item of their own per request);
        // the node's own peer dials keep the hops, which batch frames many sessions write into one send.
        var servingOptions = connectionOptions.WithInlineScheduling();
        var listener = SocketListener.Start(nativeSocket, core.AcceptAsync, servingOptions);
        var pluginListeners = new Dictionary<string, SocketListener>(StringComparer.OrdinalIgnoreCase);
        var own = new List<ListenerInfo> { new(Plugins.ProtocolNames.Native, options.Self.Address) };
        foreach (var (name, protocol, socket) in pluginSockets)
        {
            var pluginListener = SocketListener.Start(socket, connection => core.AcceptPluginAsync(protocol, connection), servingOptions);
            pluginListeners.Add(name, pluginListener);
            own.Add(new ListenerInfo(protocol.Name, AdvertisedAddress(pluginListener.LocalEndPoint, options.Self.Host)));
        }
        core.Listeners.SetOwn([.. own]);
        core.Start();
        clientBudget.Start();
        if (core.Consensus is { } consensus)
        {
            try
            {
                await consensus.StartAsync(CancellationToken.None).ConfigureAwait(false);
                if (consensus.Monitor is { } monitor)
                {
                    using (ExecutionContext.SuppressFlow())
                        core.Failover = Task.Run(() => monitor.RunAsync(core.Stopping));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await new DhtNode(core, listener, pluginListeners).StopAsync().ConfigureAwait(false);
                throw new ClusterConfigurationException($"the Raft group's log could not be opened: {e.Message}".ReplaceLineEndings(" "), e);
            }
        }
        // With JoinOnMeet the join waits for a RESP CLUSTER MEET (RespClusterAdmin.MeetAsync) naming the seed.
        if (options.IsJoining && !options.JoinOnMeet)
        {
            using (ExecutionContext.SuppressFlow())
                core.Joining = Task.Run(core.Membership.JoinAsync);
        }
        NodeLog.Listening(logger, options.NodeId, options.ClusterName, listener.LocalEndPoint, options.Members.Count, options.LockStrategy);
        var node = new DhtNode(core, listener, pluginListeners);
        if (options.DataDir is { } dataDir)
        {
            try
            {
                // Off the caller's thread: replay reads the whole log, and the listeners answer Loading meanwhile.
                var recovery = new Transactions.Internal.PreparedRecovery(core.Decisions);
                var log = await Task.Run(() => OpenLog(core, dataDir, logger, recovery)).ConfigureAwait(false);
                core.Keyspace.AttachLog(log);
                // After the log is attached (their commit or abort is logged like any other), before anything is served.
                if (recovery.Pending.Count > 0)
                {
                    var installed = core.Participant.Reinstall(recovery.Pending, (txn, why) => Transactions.Internal.TxnLog.Inconsistent(logger, txn.Id.ToString(), txn.Attempt, why));
                    Transactions.Internal.TxnLog.Reinstalled(logger, options.NodeId, installed);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await node.StopAsync().ConfigureAwait(false);
                var message = e switch
                {
                    Storage.Durability.LogCorruptionException corrupt => $"{corrupt.Message}; start with --truncate-corrupt-log true (NodeOptions.TruncateCorruptLog) to cut the log there, losing every record after it",
                    Storage.Durability.SnapshotCorruptionException => $"{e.Message}; keep a copy of the folder, then repair or restore the file (moving it away loses the keys it holds)",
                    _ => e.Message,
                };
                throw new ClusterConfigurationException(message.ReplaceLineEndings(" "), e);
            }
            core.EndLoading();
        }
        return node;
    }

    /// <summary>Opens the write-ahead log, replaying it into the store, and reports what recovery found.</summary>
    private static Storage.Durability.WriteAheadLog OpenLog(NodeParts core, string dataDir, ILogger logger, Transactions.Internal.PreparedRecovery recovery)
    {
        var options = core.Options;
        var id = options.NodeId;
        Keyspace.DurabilityLog.Loading(logger, id, dataDir);
        var log = Storage.Durability.WriteAheadLog.Open(
            new Storage.Durability.WriteAheadLogOptions
            {
                Directory = dataDir,
                Fsync = options.Fsync,
                SegmentSize = options.LogSegmentSize,
                GroupCommitDelay = options.GroupCommitDelay,
                TruncateAtCorruption = options.TruncateCorruptLog,
                SnapshotLogSize = options.SnapshotLogSize,
                // A snapshot lets the log before it go: what the transaction records in it still say must survive.
                SnapshotApplicationState = () => Transactions.Internal.TxnSnapshotRecords.Capture(core.Keyspace, core.Participant, core.Decisions),
                SnapshotBarrier = core.Keyspace.Commits.WaitForCommitsInProgress,
                SnapshotFinished = (snapshot, failure) =>
                {
                    if (snapshot is not null)
                        Keyspace.DurabilityLog.SnapshotWritten(logger, id, snapshot.Keys, snapshot.Bytes, snapshot.File, (long)snapshot.Elapsed.TotalMilliseconds, snapshot.LogPosition);
                    else
                        Keyspace.DurabilityLog.SnapshotFailed(logger, id, failure?.Message ?? "unknown");
                },
                // Commit decisions and ended attempts come back into memory, so the node answers for them after a
                // crash; prepared attempts not ended are installed again below, before anything is served.
                ApplicationRecord = recovery.TryApply,
                HealthChanged = failure =>
                {
                    if (failure is null)
                        Keyspace.DurabilityLog.LogRecovered(logger, id);
                    else
                        Keyspace.DurabilityLog.LogFailing(logger, id, failure.Message);
                },
            },
            core.Store,
            out var report);
        if (report.DamagedSnapshot is { } damaged)
            Keyspace.DurabilityLog.SnapshotSetAside(logger, id, damaged);
        if (report.Snapshot is { } snapshot)
            Keyspace.DurabilityLog.SnapshotLoaded(logger, id, snapshot, report.SnapshotKeys);
        if (report.TornTailBytes > 0)
            Keyspace.DurabilityLog.TornTail(logger, id, report.TornTailBytes);
        if (report.TruncatedAt is { } where)
            Keyspace.DurabilityLog.Truncated(logger, id, where);
        Keyspace.DurabilityLog.Loaded(logger, id, report.Records, report.Bytes, report.Segments, core.Store.Count, (long)report.Elapsed.TotalMilliseconds, options.Fsync.ToString().ToLowerInvariant());
        core.Keyspace.Versions.Observe(report.HighestVersion); // recovery stored these versions: only higher ones from now on
        return log;
    }

    /// <summary>
    /// Serves one connection that does not come through a listener: an in-process client, or a test, over an
    /// in-memory duplex pipe (one end of Nerdbank.Streams' <c>FullDuplexStream.CreatePipePair()</c>), speaking
    /// <paramref name="protocol"/>. Completes when the connection has closed.
    /// </summary>
    /// <param name="transport">The bytes from and to the client; the node completes both of its ends.</param>
    /// <param name="protocol">A registered protocol name: "native" (the default) or "resp".</param>
    /// <exception cref="ArgumentException">No protocol of that name is registered.</exception>
    public async Task ServeAsync(System.IO.Pipelines.IDuplexPipe transport, string protocol = Plugins.ProtocolNames.Native)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (!_core.Options.Plugins.TryGetProtocol(protocol, out var wire))
            throw new ArgumentException($"no wire protocol named '{protocol}' is registered", nameof(protocol));
        var connection = SocketConnection.CreateInMemory(transport, _core.ConnectionOptions);
        if (string.Equals(wire.Name, Plugins.ProtocolNames.Native, StringComparison.OrdinalIgnoreCase))
            await _core.AcceptAsync(connection).ConfigureAwait(false);
        else
            await _core.AcceptPluginAsync(wire, connection).ConfigureAwait(false);
    }

    /// <summary>The node's metrics: requests by kind, outcome and latency, and the Meter (<see cref="Diagnostics.NodeMetrics.MeterName"/>) with every counter.</summary>
    public Diagnostics.NodeMetrics Metrics => _core.Metrics;

    /// <summary>The Raft leader as this node sees it: known only on a voter (null on a learner, without a Raft group, or while no leader is elected).</summary>
    public ushort? RaftLeader => _core.Consensus is { IsVoter: true, LeaderId: var leader and not 0xFFFF } ? leader : null;

    /// <summary>The Raft group's voters in the committed state this node has, in id order; null without a Raft group (docs/replication.md, "Voting group changes").</summary>
    public IReadOnlyList<ushort>? RaftVoters => _core.Consensus is not null ? _core.Cluster.Current.Voters : null;

    /// <summary>Whether the node serves keyed requests: false while it loads its data at start, and once it is stopping.</summary>
    public bool IsServing => !_core.Loading.IsLoading && Volatile.Read(ref _stopped) == 0;

    /// <summary>Every member as this node sees it: itself, and each peer up or down.</summary>
    public IReadOnlyList<PeerStatus> GetPeers()
    {
        var members = _core.Cluster.Current.Members;
        var list = new List<PeerStatus>(members.Count);
        foreach (var m in members.Members)
        {
            var self = m.NodeId == _core.SelfId;
            var state = _core.Mesh.StateOf(m.NodeId);
            list.Add(new PeerStatus(m.NodeId, m.Address, self, state != Protocol.MemberState.Down) { State = state });
        }
        return list;
    }

    /// <summary>Whether a live link to every other member of the current cluster state exists.</summary>
    public bool IsMeshComplete
    {
        get
        {
            foreach (var m in _core.Cluster.Current.Members.Members)
            {
                if (m.NodeId != _core.SelfId && !_core.Mesh.IsUp(m.NodeId))
                    return false;
            }
            return true;
        }
    }

    /// <summary>
    /// Moves slots [<paramref name="firstSlot"/>, <paramref name="lastSlot"/>], all owned by this node, to node
    /// <paramref name="target"/> while clients keep reading and writing them (docs/elasticity.md); completes when the
    /// target owns them and this node has dropped its copies.
    /// </summary>
    /// <exception cref="SlotMoveException">The move could not be made; the slots stay here (the message says why).</exception>
    public Task<SlotMoveReport> MoveSlotsAsync(int firstSlot, int lastSlot, ushort target, CancellationToken cancellationToken = default) =>
        _core.SlotMover.MoveAsync(firstSlot, lastSlot, target, cancellationToken);

    /// <summary>Waits until a live link to every other member exists.</summary>
    /// <exception cref="TimeoutException">The mesh was not complete within <paramref name="timeout"/>; the message lists who is missing.</exception>
    public async Task WaitForMeshAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!IsMeshComplete)
        {
            if (Environment.TickCount64 >= deadline)
            {
                var missing = string.Join(", ", GetPeers().Where(p => !p.IsUp).Select(p => $"{p.NodeId} ({p.Address})"));
                throw new TimeoutException($"node {NodeId}: no link to {missing} within {timeout.TotalSeconds:0.#} s");
            }
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops gracefully: no new connections; each client is told the node is going away, and every request it sends
    /// from then on is answered ShuttingDown (nothing applied) until it closes; in-flight forwards get their answers (all
    /// of it within <see cref="NodeOptions.DrainTimeout"/>), responses are flushed, then every connection closes.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        NodeLog.Stopping(_core.Logger, NodeId);
        // Nothing keyed is served once the listener is closed: a refused dial then proves this node serves nothing.
        _core.Lease?.Revoke();
        await _listener.StopAsync().ConfigureAwait(false);
        foreach (var pluginListener in _pluginListeners.Values)
            await pluginListener.StopAsync().ConfigureAwait(false);
        // The Raft member first: a stopping node stops voting and leading before its links go.
        if (_core.Consensus is { } consensus)
            await consensus.DisposeAsync().ConfigureAwait(false);
        await _core.StopBackgroundAsync().ConfigureAwait(false);

        var deadline = Environment.TickCount64 + (long)_core.Options.DrainTimeout.TotalMilliseconds;
        // Plugin clients (RESP) first, like native clients: stop reading, let each finish what it started.
        foreach (var c in _core.PluginConnections.Keys)
            c.Input.CancelPendingRead();
        foreach (var running in _core.PluginConnections.Values.ToArray())
            await WaitAsync(running, deadline).ConfigureAwait(false);
        // Clients: each is told the node is going away and from then on every request it sends is refused ShuttingDown,
        // unrun; a session ends when its client closes, so no request is left unread on a connection the node closes.
        await DrainClientsAsync(deadline).ConfigureAwait(false);
        var clients = _core.Clients.Open.ToArray();
        foreach (var s in clients)
            s.StopReading();
        foreach (var s in clients)
            await WaitAsync(s.Completion, deadline).ConfigureAwait(false);
        // Replication ends once the clients are answered (their writes waited for the replicas over the links).
        if (_core.Replicator is { } replicator)
            await replicator.StopAsync().ConfigureAwait(false);
        // Then the peer links, once nothing this node forwarded is still waiting on them.
        var links = _core.Mesh.AllLinks.ToArray();
        while (Environment.TickCount64 < deadline && PendingOnLinks(links) > 0)
            await Task.Delay(5).ConfigureAwait(false);
        foreach (var s in clients)
            s.Connection.Abort();
        foreach (var l in links)
            l.Connection.Abort();
        foreach (var s in _core.Clients.Open.ToArray())
        {
            s.Connection.Abort();
            await WaitAsync(s.Completion, Environment.TickCount64 + 5000).ConfigureAwait(false);
        }
        foreach (var l in _core.Mesh.AllLinks.ToArray())
        {
            l.Connection.Abort();
            await WaitAsync(l.Completion, Environment.TickCount64 + 5000).ConfigureAwait(false);
        }
        foreach (var (c, running) in _core.PluginConnections.ToArray())
        {
            c.Abort();
            await WaitAsync(running, Environment.TickCount64 + 5000).ConfigureAwait(false);
        }
        _core.Locks.Dispose();
        // Last: every session has flushed what it will, so the log writes and fsyncs its tail and closes.
        _core.Keyspace.Log?.Dispose();
        _core.Metrics.Dispose();
        _core.ConnectionOptions.ClientBudget?.Dispose();
        NodeLog.Stopped(_core.Logger, NodeId);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// The transport settings a node uses: input buffering must hold at least one maximal frame, or such a frame
    /// could never be parsed whole; twice that leaves room for the pipelined frames behind it.
    /// </summary>
    internal static ConnectionOptions CreateConnectionOptions(ProtocolLimits limits, ILogger logger, System.Buffers.MemoryPool<byte>? pool, Security.TlsOptions? tls = null, ConnectionLimit? acceptLimit = null, OutputLimit? clientOutputLimit = null, ClientMemoryBudget? clientBudget = null, SocketEngineKind socketEngine = SocketEngineKind.Runtime)
    {
        var pause = Math.Max(1L << 20, 2L * (limits.MaxFrameSize + ProtocolConstants.HeaderSize));
        return new ConnectionOptions
        {
            InputPauseThreshold = pause,
            InputResumeThreshold = pause / 2,
            OutputPauseThreshold = pause,
            OutputResumeThreshold = pause / 2,
            Logger = logger,
            MemoryPool = pool ?? System.Buffers.MemoryPool<byte>.Shared,
            // One setting for every listener and every peer dial: a node listens and dials as TLS, or neither.
            // The node's own: its metrics count its bytes and connections, not every node's in the process.
            Counters = new TransportCounters(),
            TlsServer = tls?.ServerOptions(),
            TlsClient = tls?.ClientOptions(),
            // One bound for every listener (native, RESP): they share the process's descriptors.
            AcceptLimit = acceptLimit,
            // Applied by client sessions only (SocketConnection.BoundAsClient): inbound peer links share these options.
            ClientOutputLimit = clientOutputLimit,
            // Joined by client sessions only (SocketConnection.BoundAsClient): peer links are never evicted.
            ClientBudget = clientBudget,
            // Listeners only (SocketListener): the node's dials stay on the runtime's engine (EpollSocketEngine says why).
            SocketEngine = socketEngine,
        };
    }

    /// <summary>
    /// The client memory budget the options ask for; 0 derives it: a tenth of the memory the process may use, but room for
    /// one client sending and being sent a maximal frame (four frames: input and output pause at two each).
    /// </summary>
    internal static long MaxMemoryClients(NodeOptions options)
    {
        if (options.MaxMemoryClients > 0)
            return options.MaxMemoryClients;
        var floor = 4L * (options.Limits.MaxFrameSize + ProtocolConstants.HeaderSize);
        return Math.Max(floor, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 10);
    }

    /// <summary>The client output bound the options ask for; null when both halves are off.</summary>
    private static OutputLimit? ClientOutputLimit(NodeOptions options)
    {
        var limit = new OutputLimit { Hard = options.ClientHardOutputLimit, Soft = options.ClientSoftOutputLimit, SoftTime = options.ClientSoftOutputTime };
        return limit.IsOn ? limit : null;
    }

    /// <summary>The "host:port" peers and clients should use: a wildcard bind is advertised under the member's host.</summary>
    private static string AdvertisedAddress(IPEndPoint bound, string memberHost)
    {
        var host = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? memberHost : bound.Address.ToString();
        return Cluster.ClusterMember.FormatAddress(host, bound.Port);
    }

    /// <summary>
    /// The client half of the graceful stop (docs/protocol.md §3): every open session (and one opened meanwhile) gets the
    /// going-away notice and refuses what it reads from then on; the wait ends when every client has closed, or at the
    /// drain's deadline. A session that stays silent, owing nothing, for a quarter of <see cref="NodeOptions.DrainTimeout"/>
    /// is stopped before that: a client that does not know the notice never closes by itself, and the smart client, which
    /// closes within a round trip of its last answer, is then long done; the quarter leaves its requests that crossed
    /// the notice on the wire time to arrive on a loaded machine, and bounds what an unaware client adds to the stop.
    /// </summary>
    private async Task DrainClientsAsync(long deadline)
    {
        var started = Environment.TickCount64;
        var quiet = (long)_core.Options.DrainTimeout.TotalMilliseconds / 4;
        while (true)
        {
            var now = Environment.TickCount64;
            var open = 0;
            foreach (var s in _core.Clients.Open)
            {
                s.BeginDrain(NodeId);
                if (s.IsClosing || s.Completion.IsCompleted)
                    continue;
                if (s.AnswersOwed == 0 && now - Math.Max(started, s.LastFrameTicks) >= quiet)
                    s.StopReading();
                else
                    open++;
            }
            if (open == 0 || now >= deadline)
                return;
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    private static int PendingOnLinks(Mesh.Internal.PeerLink[] links)
    {
        var n = 0;
        foreach (var l in links)
            n += l.Requests.Count;
        return n;
    }

    private static async Task WaitAsync(Task task, long deadlineTicks)
    {
        var remaining = Math.Max(0, deadlineTicks - Environment.TickCount64);
        try
        {
            await task.WaitAsync(TimeSpan.FromMilliseconds(remaining)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
