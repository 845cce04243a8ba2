using FastDht.Engine.Cluster;
using FastDht.Engine.Transport;
using FastDht.Locking;

namespace FastDht.Engine.Node.Internal;

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
internal sealed class PeerMesh
{
    /// <summary>Starts the refusal sent to the loser of a tie-break: not an error worth a warning.</summary>
    public const string DuplicateLinkPrefix = "duplicate link:";

    private readonly NodeCore _core;
    private readonly Lock _lock = new();
    private readonly List<Task> _loops = [];
    private readonly BackoffPolicy _backoff;
    private PeerSlot?[] _slots = [];
    private IDisposable? _subscription;

    public PeerMesh(NodeCore core)
    {
        _core = core;
        _backoff = new BackoffPolicy(core.Options.ReconnectBaseDelay, core.Options.ReconnectMaxDelay, BackoffJitter.Equal);
    }

    /// <summary>Starts dialing the members of the current cluster state, and follows its changes from now on.</summary>
    public void Start()
    {
        _subscription = _core.Cluster.Subscribe((_, _) => Reconcile());
        Reconcile();
    }

    public async Task StopAsync()
    {
        _subscription?.Dispose();
        Task[] loops;
        lock (_lock)
        {
            foreach (var slot in _slots)
                slot?.Wake();
            loops = [.. _loops];
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    /// <summary>The live link to a peer, or null when it is down (or not a member).</summary>
    public NodeSession? GetLink(ushort nodeId)
    {
        var link = SlotOf(nodeId)?.Link;
        return link is not null && link.IsOpen ? link : null;
    }

    public bool IsUp(ushort nodeId) => GetLink(nodeId) is not null;

    /// <summary>All live links.</summary>
    public IEnumerable<NodeSession> Links
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

    public string AddressOf(ushort nodeId) => _core.Cluster.Current.Members.TryGet(nodeId, out var m) ? m.Address : "?";

    public string Describe(ushort nodeId) => $"node {nodeId} ({AddressOf(nodeId)})";

    public string UnavailableMessage(ushort nodeId) => $"{Describe(nodeId)} is unavailable: no live link to it";

    /// <summary>Decides whether an accepted link that finished its handshake becomes the peer's link; null if adopted, else why not.</summary>
    public string? TryAdopt(NodeSession session) => TryAdopt(session, dialedFrom: null);

    /// <summary>
    /// Decides whether a link becomes the peer's link; null if adopted, else why not. A dialed link is adopted only
    /// while the slot that dialed it is still the peer's (not removed or re-addressed by a state change meanwhile).
    /// </summary>
    private string? TryAdopt(NodeSession session, PeerSlot? dialedFrom)
    {
        NodeSession? replaced = null;
        lock (_lock)
        {
            if (_core.IsStopping)
                return "the node is shutting down";
            var slot = SlotOf(session.PeerId);
            if (slot is null || (dialedFrom is not null && !ReferenceEquals(slot, dialedFrom)))
                return $"node {session.PeerId} is not a member at epoch {_core.Cluster.Current.Epoch} (or has a new address)";
            var existing = slot.Link;
            if (existing is not null && existing.IsOpen && !ReferenceEquals(existing, session))
            {
                if (existing.PeerIncarnation == session.PeerIncarnation)
                {
                    if (session.DialerId >= existing.DialerId)
                        return $"{DuplicateLinkPrefix} node {_core.SelfId} already has a link to node {session.PeerId}";
                }
                else if (Environment.TickCount64 - existing.LastReceiveTicks < (long)_core.Options.PeerTimeout.TotalMilliseconds
                         && existing.PeerIncarnation > session.PeerIncarnation)
                {
                    return $"{DuplicateLinkPrefix} node {session.PeerId} reconnected from an older process";
                }
                else if (Environment.TickCount64 - existing.LastReceiveTicks < (long)_core.Options.PeerTimeout.TotalMilliseconds)
                {
                    return $"duplicate node id {session.PeerId}: a node with this id is already connected and alive ({AddressOf(session.PeerId)})";
                }
                replaced = existing;
            }
            slot.Link = session;
        }
        if (replaced is not null)
        {
            NodeLog.LinkChange(_core.Logger, session.PeerId, "a newer link replaced the current one");
            if (replaced.PeerIncarnation == session.PeerIncarnation)
                replaced.Retire();
            else
                replaced.Connection.Abort(new InvalidOperationException($"node {session.PeerId} restarted"));
        }
        return null;
    }

    /// <summary>An adopted link has answered its handshake: start its heartbeats and say the peer is up.</summary>
    public void OnLinkReady(NodeSession session)
    {
        PeerSlot? slot;
        // Logged under the lock (peer changes are rare): the lines then come out in the order the state changed.
        lock (_lock)
        {
            slot = SlotOf(session.PeerId);
            if (slot is not null && ReferenceEquals(slot.Link, session) && !slot.Up)
            {
                slot.Up = true;
                NodeLog.PeerUp(_core.Logger, session.PeerId, slot.Member.Address);
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
            _ = _core.Listeners.FetchAsync(session);
        }
        slot.Wake();
    }

    /// <summary>A peer link closed: if it was the peer's link, the peer is down until a new link is adopted.</summary>
    public void OnLinkClosed(NodeSession session, string reason)
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
                if (wasUp && !_core.IsStopping)
                    NodeLog.PeerDown(_core.Logger, session.PeerId, slot.Member.Address, reason);
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
        List<NodeSession>? dropped = null;
        ClusterState state;
        lock (_lock)
        {
            state = _core.Cluster.Current;
            var old = _slots;
            var members = state.Members;
            var isMember = members.TryGet(_core.SelfId, out _);
            var next = new PeerSlot?[isMember ? members.Members[^1].NodeId + 1 : 0];
            if (isMember)
            {
                foreach (var m in members.Members)
                {
                    if (m.NodeId == _core.SelfId)
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
                    NodeLog.PeerRemoved(_core.Logger, slot.Member.NodeId, slot.Member.Address, state.Epoch);
                slot.Link = null;
                slot.Up = false;
                slot.Wake();
            }
            _loops.RemoveAll(static t => t.IsCompleted);
            if (!_core.IsStopping)
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
            link.Connection.Abort(new InvalidOperationException($"node {link.PeerId} left the cluster at epoch {state.Epoch}"));
    }

    private async Task DialLoopAsync(PeerSlot slot)
    {
        var attempt = 0;
        var stopping = _core.Stopping;
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
    private async Task<string?> TryDialAsync(PeerSlot slot)
    {
        var member = slot.Member;
        SocketConnection connection;
        try
        {
            var endPoint = await member.ResolveAsync(_core.Stopping).ConfigureAwait(false);
            connection = await SocketConnector.ConnectAsync(endPoint, _core.Options.ConnectTimeout, _core.Stopping, _core.ConnectionOptions).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            NodeLog.DialFailed(_core.Logger, member.NodeId, member.Address, e.Message);
            return e.Message;
        }

        var session = new NodeSession(_core, connection, member.NodeId);
        Task run;
        using (ExecutionContext.SuppressFlow())
            run = session.RunAsync();
        string? refusal;
        // The handshake's timeout is enforced by the maintenance sweep, which ends when the node stops: a peer that
        // never answers (a frozen link) would hold the node's stop forever. Stopping aborts the dial instead.
        using (_core.Stopping.UnsafeRegister(static state => ((NodeSession)state!).Connection.Abort(new OperationCanceledException("the node is stopping")), session))
            refusal = await session.DialHandshakeAsync(_core.Options.ConnectTimeout + _core.Options.ConnectTimeout).ConfigureAwait(false);
        if (refusal is null)
        {
            refusal = TryAdopt(session, slot);
            if (refusal is null)
            {
                session.BecomePeer();
                slot.LastRefusal = null;
                OnLinkReady(session);
                return null;
            }
            // The peer accepted this link, so it may already use it as its link to us; we lost the tie-break to
            // a link we adopted meanwhile. Closing it now could make the peer see its current link drop before it
            // has switched to the winner: retire it instead (kept open a grace period, closed once idle).
            session.BecomePeer();
            session.Retire();
            NodeLog.LinkChange(_core.Logger, member.NodeId, refusal);
            return GetLink(member.NodeId) is not null ? null : refusal;
        }
        if (refusal.StartsWith(DuplicateLinkPrefix, StringComparison.Ordinal))
            NodeLog.LinkChange(_core.Logger, member.NodeId, refusal);
        else if (refusal.Contains("unavailable", StringComparison.Ordinal) || refusal.Contains("closed", StringComparison.Ordinal) || refusal.Contains("in time", StringComparison.Ordinal))
            NodeLog.DialFailed(_core.Logger, member.NodeId, member.Address, refusal);
        else if (!string.Equals(slot.LastRefusal, refusal, StringComparison.Ordinal))
            NodeLog.RefusedByPeer(_core.Logger, member.NodeId, member.Address, refusal); // once per reason, not every redial
        slot.LastRefusal = refusal;
        session.Connection.Abort(new InvalidOperationException(refusal));
        await run.ConfigureAwait(false);
        return GetLink(member.NodeId) is not null ? null : refusal;
    }

    /// <summary>The mesh's view of one peer.</summary>
    private sealed class PeerSlot(ClusterMember member)
    {
        private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _removed;

        public ClusterMember Member { get; } = member;

        public NodeSession? Link { get; set; }

        public bool Up { get; set; }

        /// <summary>A dial loop runs for this slot (set once, under the mesh lock).</summary>
        public bool Dialing { get; set; }

        /// <summary>The member left the cluster (or moved): the dial loop ends, nothing is adopted here any more.</summary>
        public bool Removed
        {
            get => Volatile.Read(ref _removed);
            set => Volatile.Write(ref _removed, value);
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
