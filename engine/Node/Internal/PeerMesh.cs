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
/// </remarks>
internal sealed class PeerMesh
{
    /// <summary>Starts the refusal sent to the loser of a tie-break: not an error worth a warning.</summary>
    public const string DuplicateLinkPrefix = "duplicate link:";

    private readonly NodeCore _core;
    private readonly Lock _lock = new();
    private readonly PeerSlot?[] _slots;
    private readonly List<Task> _loops = [];
    private readonly BackoffPolicy _backoff;

    public PeerMesh(NodeCore core)
    {
        _core = core;
        var members = core.Members.Members;
        _slots = new PeerSlot?[members[^1].NodeId + 1];
        foreach (var m in members)
        {
            if (m.NodeId != core.SelfId)
                _slots[m.NodeId] = new PeerSlot(m);
        }
        _backoff = new BackoffPolicy(core.Options.ReconnectBaseDelay, core.Options.ReconnectMaxDelay, BackoffJitter.Equal);
    }

    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
        {
            foreach (var slot in _slots)
            {
                if (slot is not null)
                    _loops.Add(DialLoopAsync(slot));
            }
        }
    }

    public async Task StopAsync()
    {
        foreach (var slot in _slots)
            slot?.Wake();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    /// <summary>The live link to a peer, or null when it is down.</summary>
    public NodeSession? GetLink(ushort nodeId)
    {
        var slot = nodeId < _slots.Length ? _slots[nodeId] : null;
        var link = slot?.Link;
        return link is not null && link.IsOpen ? link : null;
    }

    public bool IsUp(ushort nodeId) => GetLink(nodeId) is not null;

    /// <summary>All live links.</summary>
    public IEnumerable<NodeSession> Links
    {
        get
        {
            foreach (var slot in _slots)
            {
                if (slot?.Link is { IsOpen: true } link)
                    yield return link;
            }
        }
    }

    public string AddressOf(ushort nodeId) => _core.Members.TryGet(nodeId, out var m) ? m.Address : "?";

    public string Describe(ushort nodeId) => $"node {nodeId} ({AddressOf(nodeId)})";

    public string UnavailableMessage(ushort nodeId) => $"{Describe(nodeId)} is unavailable: no live link to it";

    /// <summary>Decides whether a link that finished its handshake becomes the peer's link; null if adopted, else why not.</summary>
    public string? TryAdopt(NodeSession session)
    {
        var slot = _slots[session.PeerId]!;
        NodeSession? replaced = null;
        lock (_lock)
        {
            if (_core.IsStopping)
                return "the node is shutting down";
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
        var slot = _slots[session.PeerId]!;
        // Logged under the lock (peer changes are rare): the lines then come out in the order the state changed.
        lock (_lock)
        {
            if (ReferenceEquals(slot.Link, session) && !slot.Up)
            {
                slot.Up = true;
                NodeLog.PeerUp(_core.Logger, session.PeerId, slot.Member.Address);
            }
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
        var slot = _slots[session.PeerId]!;
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

    private async Task DialLoopAsync(PeerSlot slot)
    {
        var attempt = 0;
        var stopping = _core.Stopping;
        while (!stopping.IsCancellationRequested)
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
        var refusal = await session.DialHandshakeAsync(_core.Options.ConnectTimeout + _core.Options.ConnectTimeout).ConfigureAwait(false);
        if (refusal is null)
        {
            refusal = TryAdopt(session);
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

        public ClusterMember Member { get; } = member;

        public NodeSession? Link { get; set; }

        public bool Up { get; set; }

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
