using System.Collections.Concurrent;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Plugins;
using FastDht.Engine.Transactions.Internal;
using FastDht.Engine.Transport;
using FastDht.Locking;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// The node's links to every other member: exactly one live link per peer, dialed or accepted, healed when it drops.
/// </summary>
/// <remarks>
/// Requirements (the design notes' first lesson): every node connects to every other whatever the start order,
/// retries with backoff, and never keeps two live links to one peer.
/// Design: both sides dial a peer they have no link to, so a node that starts later is found at once rather than
/// after the other side's backoff. When two links to one peer exist, a rule both sides compute identically picks one:
/// - the peer's incarnation (its process start time, sent in Hello) differs: the link to the newer incarnation wins
///   if the existing link has gone quiet (the peer restarted); while the existing one is alive and answering, a new
///   claimant of the same node id is refused as a duplicate id;
/// - same incarnation (both dialed at once): the link dialed by the lower node id wins; the loser is retired on both
///   sides, closed once nothing is pending on it.
/// A dropped link fails its pending requests at once (NodeUnavailable, naming the node) and the dial loop redials
/// with capped exponential backoff and jitter.
/// The peers are the members of the current cluster state, not of the start-up list: on every change the mesh
/// starts a dial loop for each new member (or member at a new address) and, for each member gone, stops its loop and
/// closes its link (its pending requests fail with NodeUnavailable). A node that is not a member itself has no peers.
/// The per-peer table is copy-on-write, indexed by node id, so the forwarding path reads it without a lock.
/// </remarks>
internal sealed class PeerMesh : IPeerLinks
{

    // 50 ms: a forward or peer call times out at most this late; the sweep walks only links with requests pending.
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(50);

    private readonly Lock _lock = new();
    private readonly List<Task> _loops = [];
    private readonly BackoffPolicy _backoff;
    private readonly ConcurrentDictionary<PeerLink, byte> _all = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionOptions _connectionOptions;
    private PeerSlot?[] _slots = [];
    private IDisposable? _subscription;
    private IDisposable? _imports;
    private Task _sweep = Task.CompletedTask;

    public PeerMesh(
        NodeIdentity identity,
        ClusterStateHolder cluster,
        MeshSettings settings,
        ConnectionOptions connectionOptions,
        LocalKeyRequests keys,
        TxnParticipant participant,
        TransactionCoordinator coordinator,
        LocalKeyspace keyspace,
        LoadingGate loading,
        NodeStatistics statistics,
        ILogger logger)
    {
        Identity = identity;
        Cluster = cluster;
        Settings = settings;
        _connectionOptions = connectionOptions;
        Keys = keys;
        Participant = participant;
        Coordinator = coordinator;
        Keyspace = keyspace;
        Loading = loading;
        Statistics = statistics;
        Logger = logger;
        Listeners = new ListenerDirectory(this);
        Imports = new SlotImports(cluster, keyspace, identity.SelfId, new ImportJournal(settings.DataDir), loading, logger);
        _backoff = new BackoffPolicy(settings.ReconnectBaseDelay, settings.ReconnectMaxDelay, BackoffJitter.Equal);
    }

    public NodeIdentity Identity { get; }

    /// <summary>How this node's dials are set up (TLS, buffers): a joining node dials its seeds with them.</summary>
    public ConnectionOptions ConnectionOptions => _connectionOptions;

    /// <summary>The node's Raft group as a peer link needs it (ClusterPropose, consensus connections); null without one.</summary>
    public IClusterProposals? Proposals { get; private set; }

    /// <summary>With replicas and a Raft group: the lease without which this node serves no keys; null otherwise.</summary>
    public ServingLease? Lease { get; set; }

    /// <summary>Joins the node's Raft group, which is made after the mesh (it calls peers through it).</summary>
    public void UseProposals(IClusterProposals proposals) => Proposals = proposals;

    /// <summary>Where a peer's RespPublish is delivered (the node's RESP subscribers); null on a node without a RESP server.</summary>
    public IPubSubDelivery? PubSub { get; private set; }

    /// <summary>Attaches the node's pub/sub delivery once its RESP server exists.</summary>
    public void UsePubSub(IPubSubDelivery delivery) => PubSub = delivery;

    /// <summary>The cluster state in force: read it once per decision, it may change at any time.</summary>
    public ClusterStateHolder Cluster { get; }

    public MeshSettings Settings { get; }

    /// <summary>Runs the single-key requests peers forward to this node.</summary>
    public LocalKeyRequests Keys { get; }

    /// <summary>This node's part in transactions coordinated elsewhere.</summary>
    public TxnParticipant Participant { get; }

    /// <summary>Told when a participant wounded one of this node's transactions.</summary>
    public TransactionCoordinator Coordinator { get; }

    /// <summary>This node's keys, for RespExecute.</summary>
    public LocalKeyspace Keyspace { get; }

    /// <summary>The receiving side of slot moves: MigrateKeys batches are applied under its gate; abandoned imports are dropped.</summary>
    public SlotImports Imports { get; }

    /// <summary>Open while the node replays its log: keyed requests are answered Loading.</summary>
    public LoadingGate Loading { get; }

    public NodeStatistics Statistics { get; }

    public ILogger Logger { get; }

    /// <summary>Where each member serves each protocol.</summary>
    public ListenerDirectory Listeners { get; }

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Every link not yet closed: adopted, dialing, or retired.</summary>
    public IEnumerable<PeerLink> AllLinks => _all.Keys;

    /// <summary>Tests only: answer the fragment probe UnknownOpcode, as a node from before Fragment does (a rolling upgrade's older node).</summary>
    internal bool AnswersFragmentsAsOldNode { get; set; }

    /// <summary>The WrongNode answer for a key this node does not own in <paramref name="state"/>: who does, at which epoch.</summary>
    public WrongNodeReply WrongNode(in FrameHeader header, ushort owner, ClusterState state) =>
        new(header.RequestId, header.Opcode, $"node {Identity.SelfId} does not own this key's slot; node {owner} does at epoch {state.Epoch}", state.Epoch, owner);

    public void Register(PeerLink link) => _all.TryAdd(link, 0);

    public void Unregister(PeerLink link) => _all.TryRemove(link, out _);

    /// <summary>ClusterInfo's answer: the members as this node sees them (<see cref="StateOf"/>) and the slot table.</summary>
    public ClusterInfoReply DescribeCluster(uint requestId)
    {
        var state = Cluster.Current;
        var members = state.Members.Members;
        var infos = new MemberInfo[members.Count];
        for (var i = 0; i < infos.Length; i++)
        {
            var m = members[i];
            infos[i] = new MemberInfo(m.NodeId, m.Address, StateOf(m.NodeId));
        }
        var table = state.Slots;
        var ranges = new SlotRange[table.Ranges.Count];
        for (var i = 0; i < ranges.Length; i++)
            ranges[i] = table.Ranges[i];
        return new ClusterInfoReply(requestId, state.Epoch, infos, ranges);
    }

    /// <summary>Starts dialing the members of the current cluster state, and follows its changes from now on.</summary>
    public void Start()
    {
        _subscription = Cluster.Subscribe((_, _) => Reconcile());
        _imports = Imports.Start();
        Reconcile();
        using (ExecutionContext.SuppressFlow())
            _sweep = SweepAsync();
    }

    /// <summary>Stops dialing and sweeping; the links themselves are closed by the node's drain.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _subscription?.Dispose();
        _imports?.Dispose();
        Task[] loops;
        lock (_lock)
        {
            foreach (var slot in _slots)
                slot?.Wake();
            loops = [.. _loops];
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
        await _sweep.ConfigureAwait(false);
    }

    /// <summary>The live link to a peer, or null when it is down (or not a member).</summary>
    public PeerLink? GetLink(ushort nodeId)
    {
        var link = SlotOf(nodeId)?.Link;
        return link is not null && link.IsOpen ? link : null;
    }

    public bool IsUp(ushort nodeId) => GetLink(nodeId) is not null;

    /// <summary>
    /// Whether a dial to <paramref name="nodeId"/> that began at or after <paramref name="sinceMs"/>
    /// (Environment.TickCount64) was refused by its host (nothing listens on its port): the process that listened there
    /// then is gone, or stopping and serving nothing (a node gives up its serving lease before it closes its listener).
    /// </summary>
    public bool WasRefusedSince(ushort nodeId, long sinceMs) => SlotOf(nodeId) is { } slot && slot.RefusedAtMs >= sinceMs;

    FrameSession? IPeerLinks.LinkTo(ushort nodeId) => GetLink(nodeId);

    public ulong IncarnationOf(ushort nodeId) => GetLink(nodeId)?.PeerIncarnation ?? 0;

    /// <summary>
    /// A member as this node sees it: itself up, or loading while it loads its data; a peer down without a live link,
    /// loading while its heartbeats answer Loading, up otherwise.
    /// </summary>
    public MemberState StateOf(ushort nodeId)
    {
        if (nodeId == Identity.SelfId)
            return Loading.IsLoading ? MemberState.Loading : MemberState.Up;
        var link = GetLink(nodeId);
        return link is null ? MemberState.Down : link.PeerLoading ? MemberState.Loading : MemberState.Up;
    }

    /// <summary>Why the peer last refused this node's dial (null when it never did).</summary>
    public string? LastRefusal(ushort nodeId) => SlotOf(nodeId)?.LastRefusal;

    /// <summary>All live links.</summary>
    public IEnumerable<PeerLink> Links
    {
        get
        {
            foreach (var slot in Volatile.Read(ref _slots))
            {
                if (slot?.Link is { IsOpen: true } link)
                    yield return link;
            }
        }
    }

    public string AddressOf(ushort nodeId) => Cluster.Current.Members.TryGet(nodeId, out var m) ? m.Address : "?";

    public string Describe(ushort nodeId) => $"node {nodeId} ({AddressOf(nodeId)})";

    public string UnavailableMessage(ushort nodeId) => $"{Describe(nodeId)} is unavailable: no live link to it";

    /// <summary>Decides whether an accepted link that finished its handshake becomes the peer's link; null if adopted, else why not.</summary>
    public LinkRefusal? TryAdopt(PeerLink session) => TryAdopt(session, dialedFrom: null);

    /// <summary>
    /// Whether a link from this peer would be adopted now, without adopting anything: the handshake refuses a Hello
    /// that could never become the link before it spends an authentication on it (the real decision is TryAdopt's,
    /// once the peer has proved the cluster secret).
    /// </summary>
    public LinkRefusal? CheckAdoptable(ushort peerId, ulong peerIncarnation)
    {
        lock (_lock)
            return Judge(peerId, peerIncarnation, dialerId: peerId, candidate: null, dialedFrom: null, out _);
    }

    /// <summary>
    /// Decides whether a link becomes the peer's link; null if adopted, else why not. A dialed link is adopted only
    /// while the slot that dialed it is still the peer's (not removed or re-addressed by a state change meanwhile).
    /// </summary>
    private LinkRefusal? TryAdopt(PeerLink session, PeerSlot? dialedFrom)
    {
        PeerLink? replaced;
        lock (_lock)
        {
            if (Judge(session.PeerId, session.PeerIncarnation, session.DialerId, session, dialedFrom, out replaced) is { } refusal)
                return refusal;
            SlotOf(session.PeerId)!.Link = session;
        }
        if (replaced is not null)
        {
            MeshLog.LinkChange(Logger, session.PeerId, "a newer link replaced the current one");
            if (replaced.PeerIncarnation == session.PeerIncarnation)
                replaced.Retire();
            else
                replaced.Connection.Abort(new InvalidOperationException($"node {session.PeerId} restarted"));
        }
        return null;
    }

    /// <summary>Under the lock: why a link from this peer must not become its link (null: it may), and the live link it would replace.</summary>
    private LinkRefusal? Judge(ushort peerId, ulong peerIncarnation, ushort dialerId, PeerLink? candidate, PeerSlot? dialedFrom, out PeerLink? replaced)
    {
        replaced = null;
        if (_stopping.IsCancellationRequested)
            return new LinkRefusal(LinkRefusalKind.Stopping, "the node is shutting down");
        var slot = SlotOf(peerId);
        if (slot is null || (dialedFrom is not null && !ReferenceEquals(slot, dialedFrom)))
            return new LinkRefusal(LinkRefusalKind.Refused, $"node {peerId} is not a member at epoch {Cluster.Current.Epoch} (or has a new address)");
        var existing = slot.Link;
        if (existing is not null && existing.IsOpen && !ReferenceEquals(existing, candidate))
        {
            if (existing.PeerIncarnation == peerIncarnation)
            {
                if (dialerId >= existing.DialerId)
                    return new LinkRefusal(LinkRefusalKind.DuplicateLink, $"duplicate link: node {Identity.SelfId} already has a link to node {peerId}");
            }
            else if (Environment.TickCount64 - existing.LastReceiveTicks < (long)Settings.PeerTimeout.TotalMilliseconds
                     && existing.PeerIncarnation > peerIncarnation)
            {
                return new LinkRefusal(LinkRefusalKind.DuplicateLink, $"duplicate link: node {peerId} reconnected from an older process");
            }
            else if (Environment.TickCount64 - existing.LastReceiveTicks < (long)Settings.PeerTimeout.TotalMilliseconds)
            {
                return new LinkRefusal(LinkRefusalKind.Refused, $"duplicate node id {peerId}: a node with this id is already connected and alive ({AddressOf(peerId)})");
            }
            replaced = existing;
        }
        return null;
    }

    /// <summary>An adopted link has answered its handshake: start its heartbeats and say the peer is up.</summary>
    public void OnLinkReady(PeerLink session)
    {
        PeerSlot? slot;
        // Logged under the lock (peer changes are rare): the lines then come out in the order the state changed.
        lock (_lock)
        {
            slot = SlotOf(session.PeerId);
            if (slot is not null && ReferenceEquals(slot.Link, session) && !slot.Up)
            {
                slot.Up = true;
                MeshLog.PeerUp(Logger, session.PeerId, slot.Member.Address);
            }
        }
        if (slot is null)
        {
            // The peer left the cluster between adoption and now: its link has no place in the mesh.
            session.Connection.Abort(new InvalidOperationException($"node {session.PeerId} is no longer a member"));
            return;
        }
        using (ExecutionContext.SuppressFlow())
        {
            _ = session.RunHeartbeatsAsync();
            _ = session.ProbeFragmentsAsync();
            _ = Listeners.FetchAsync(session);
            // A peer that was away (partitioned, restarted) may have missed committed states: whoever is newer tells.
            if (Cluster.Current is { Epoch: > ClusterState.InitialEpoch } state)
                _ = session.PushStateAsync(state);
        }
        slot.Wake();
    }

    /// <summary>A peer link closed: if it was the peer's link, the peer is down until a new link is adopted.</summary>
    public void OnLinkClosed(PeerLink session, string reason)
    {
        var slot = SlotOf(session.PeerId);
        if (slot is null)
            return; // the peer left the cluster: its slot, and the link it held, are gone already
        lock (_lock)
        {
            if (ReferenceEquals(slot.Link, session))
            {
                slot.Link = null;
                var wasUp = slot.Up;
                slot.Up = false;
                if (wasUp && !_stopping.IsCancellationRequested)
                    MeshLog.PeerDown(Logger, session.PeerId, slot.Member.Address, reason);
            }
        }
        slot.Wake();
    }

    private PeerSlot? SlotOf(ushort nodeId)
    {
        var slots = Volatile.Read(ref _slots);
        return nodeId < slots.Length ? slots[nodeId] : null;
    }

    /// <summary>
    /// Makes the peers match the current cluster state: a slot and a dial loop for each other member, kept when the
    /// member's address is unchanged; the slots of members gone (or re-addressed) are removed and their links closed.
    /// </summary>
    /// <remarks>Reads the state itself, under the mesh lock, so that of two calls racing the later one applies the latest state.</remarks>
    private void Reconcile()
    {
        List<PeerLink>? dropped = null;
        ClusterState state;
        lock (_lock)
        {
            state = Cluster.Current;
            var old = _slots;
            var members = state.Members;
            var isMember = members.TryGet(Identity.SelfId, out _);
            var next = new PeerSlot?[isMember ? members.Members[^1].NodeId + 1 : 0];
            if (isMember)
            {
                foreach (var m in members.Members)
                {
                    if (m.NodeId == Identity.SelfId)
                        continue;
                    var existing = m.NodeId < old.Length ? old[m.NodeId] : null;
                    next[m.NodeId] = existing is not null && existing.Member.Equals(m) ? existing : new PeerSlot(m);
                }
            }
            Volatile.Write(ref _slots, next);
            foreach (var slot in old)
            {
                if (slot is null || (slot.Member.NodeId < next.Length && ReferenceEquals(next[slot.Member.NodeId], slot)))
                    continue;
                slot.Removed = true;
                if (slot.Link is { } link)
                    (dropped ??= []).Add(link);
                if (slot.Up)
                    MeshLog.PeerRemoved(Logger, slot.Member.NodeId, slot.Member.Address, state.Epoch);
                slot.Link = null;
                slot.Up = false;
                slot.Wake();
            }
            _loops.RemoveAll(static t => t.IsCompleted);
            if (!_stopping.IsCancellationRequested)
            {
                using (ExecutionContext.SuppressFlow())
                {
                    foreach (var slot in next)
                    {
                        if (slot is not null && !slot.Dialing)
                        {
                            slot.Dialing = true;
                            _loops.Add(DialLoopAsync(slot));
                        }
                    }
                }
            }
        }
        if (dropped is null)
            return;
        foreach (var link in dropped)
        {
            using (ExecutionContext.SuppressFlow())
                _ = TellAndCloseAsync(link, state);
        }
    }

    /// <summary>
    /// Closes the link to a node that left, after telling it the state that took it out: once no member keeps a link
    /// to it, it could learn that state from nobody (it cannot link again), and would go on believing it is a member
    /// (RESP CLUSTER RESET waits for it). Nothing is routed over the link meanwhile: its slot is gone.
    /// </summary>
    private static async Task TellAndCloseAsync(PeerLink link, ClusterState state)
    {
        try
        {
            if (link.IsOpen)
                await link.PushStateAsync(state).ConfigureAwait(false);
        }
        finally
        {
            link.Connection.Abort(new InvalidOperationException($"node {link.PeerId} left the cluster at epoch {state.Epoch}"));
        }
    }

    private async Task DialLoopAsync(PeerSlot slot)
    {
        var attempt = 0;
        var stopping = Stopping;
        while (!stopping.IsCancellationRequested && !slot.Removed)
        {
            var link = slot.Link;
            if (link is not null && link.IsOpen)
            {
                attempt = 0;
                await slot.WaitAsync(link.Completion, stopping).ConfigureAwait(false);
                continue;
            }
            var refusal = await TryDialAsync(slot).ConfigureAwait(false);
            if (refusal is null)
            {
                attempt = 0;
                continue;
            }
            try
            {
                await Task.Delay(_backoff.Delay(attempt), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            attempt = Math.Min(attempt + 1, 30);
        }
    }

    /// <summary>Dials a peer and runs the handshake; null when a link is up afterwards (this one or another), else why not.</summary>
    private async Task<LinkRefusal?> TryDialAsync(PeerSlot slot)
    {
        var member = slot.Member;
        SocketConnection connection;
        // Read before the dial: a refusal proves the port was closed at some moment after this one.
        var dialedAt = Environment.TickCount64;
        try
        {
            var endPoint = await member.ResolveAsync(Stopping).ConfigureAwait(false);
            connection = await SocketConnector.ConnectAsync(endPoint, Settings.ConnectTimeout, Stopping, _connectionOptions).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException
            or System.Security.Authentication.AuthenticationException)
        {
            // AuthenticationException: this side rejected the peer's certificate (it is not an IOException); left
            // uncaught it ended the dial loop for good and surfaced from StopAsync.
            MeshLog.DialFailed(Logger, member.NodeId, member.Address, e.Message);
            if (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
                slot.RefusedAtMs = dialedAt;
            return new LinkRefusal(LinkRefusalKind.Unreachable, e.Message);
        }

        var session = new PeerLink(this, connection, member.NodeId);
        Task run;
        using (ExecutionContext.SuppressFlow())
            run = session.RunAsync();
        LinkRefusal? refusal;
        // The handshake's timeout is enforced by the sweep, which ends when the mesh stops: a peer that never answers
        // (a frozen link) would hold the node's stop forever. Stopping aborts the dial instead.
        using (Stopping.UnsafeRegister(static state => ((PeerLink)state!).Connection.Abort(new OperationCanceledException("the node is stopping")), session))
            refusal = await session.DialHandshakeAsync(Settings.ConnectTimeout + Settings.ConnectTimeout).ConfigureAwait(false);
        if (refusal is null)
        {
            refusal = TryAdopt(session, slot);
            if (refusal is null)
            {
                session.BecomeUp();
                slot.LastRefusal = null;
                OnLinkReady(session);
                return null;
            }
            // The peer accepted this link, so it may already use it as its link to us; we lost the tie-break to
            // a link we adopted meanwhile. Closing it now could make the peer see its current link drop before it
            // has switched to the winner: retire it instead (kept open a grace period, closed once idle).
            session.BecomeUp();
            session.Retire();
            MeshLog.LinkChange(Logger, member.NodeId, refusal.Value.Message);
            return GetLink(member.NodeId) is not null ? null : refusal;
        }
        var (kind, message) = refusal.Value;
        switch (kind)
        {
            case LinkRefusalKind.DuplicateLink:
            case LinkRefusalKind.Stopping:
                MeshLog.LinkChange(Logger, member.NodeId, message);
                break;
            case LinkRefusalKind.Unreachable:
                MeshLog.DialFailed(Logger, member.NodeId, member.Address, message);
                break;
            default:
                if (!string.Equals(slot.LastRefusal, message, StringComparison.Ordinal))
                    MeshLog.RefusedByPeer(Logger, member.NodeId, member.Address, message); // once per reason, not every redial
                break;
        }
        slot.LastRefusal = message;
        session.Connection.Abort(new InvalidOperationException(message));
        await run.ConfigureAwait(false);
        return GetLink(member.NodeId) is not null ? null : refusal;
    }

    private async Task SweepAsync()
    {
        using var timer = new PeriodicTimer(SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(Stopping).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                foreach (var link in _all.Keys)
                    link.SweepExpired(now);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The mesh's view of one peer.</summary>
    private sealed class PeerSlot(ClusterMember member)
    {
        private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _removed;
        private long _refusedAtMs = long.MinValue;

        public ClusterMember Member { get; } = member;

        public PeerLink? Link { get; set; }

        public bool Up { get; set; }

        /// <summary>A dial loop runs for this slot (set once, under the mesh lock).</summary>
        public bool Dialing { get; set; }

        /// <summary>The member left the cluster (or moved): the dial loop ends, nothing is adopted here any more.</summary>
        public bool Removed
        {
            get => Volatile.Read(ref _removed);
            set => Volatile.Write(ref _removed, value);
        }

        /// <summary>When the last dial that the peer's host refused began (Environment.TickCount64; long.MinValue: none yet).</summary>
        public long RefusedAtMs
        {
            get => Volatile.Read(ref _refusedAtMs);
            set => Volatile.Write(ref _refusedAtMs, value);
        }

        /// <summary>The last reason the peer refused this node, so a redial loop logs each reason once.</summary>
        public string? LastRefusal { get; set; }

        /// <summary>Wakes the dial loop: the link changed or the node is stopping.</summary>
        public void Wake() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        public async Task WaitAsync(Task linkClosed, CancellationToken stopping)
        {
            try
            {
                await Task.WhenAny(linkClosed, Volatile.Read(ref _wake).Task).WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
