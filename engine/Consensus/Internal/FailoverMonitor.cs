using System.Buffers.Binary;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Mesh.Internal;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// Leases and failure detection, with replicas and a Raft group: every node renews its serving lease with the Raft
/// leader every <c>FailoverTimeout / 6</c> (the renewal is also its heartbeat); the leader promotes an in-sync replica
/// of every range whose primary it has not heard from for <c>FailoverTimeout</c>.
/// </summary>
/// <remarks>
/// <para>
/// Why this is safe (docs/replication.md, "No split brain"): a lease runs <c>LeaseDuration = 5/6 FailoverTimeout</c>
/// from when its renewal was <em>sent</em>; the leader promotes only after <c>FailoverTimeout</c> since it
/// <em>received</em> the last renewal, which was later, and a new leader waits <c>FailoverTimeout</c> after its
/// election before promoting anything (it does not know what its predecessor granted). The leader grants (to others
/// and to itself) only while its Raft leader lease holds, i.e. while a majority of the voters answered it within the
/// election timeout; a leader cut off from the majority stops granting within that time. A renewal is granted only
/// to a node that already has the leader's committed state (its epoch is sent along): a primary that was replaced
/// while it was away learns so (the leader pushes the state) before it may serve again.
/// </para>
/// <para>
/// A leader that was paused (SIGSTOP, a long GC, a starved machine) must not act on what it knew before the pause:
/// the Raft library's leader lease is a timer-cancelled token, so for a moment after the pause it still reads as held,
/// and every member looks silent. A ticker measures this process's own continuity; after a gap longer than
/// <c>ElectionTimeout + FailoverTimeout / 6</c> (the margin the lease argument leaves: a lease granted right after such a
/// pause could outlive the moment a successor elected during it may promote) the node neither leads, grants nor
/// promotes for one <c>FailoverTimeout</c>, by when the library has noticed. Found by the fault tests: a leader
/// resumed after SIGSTOP served its old range beside the new primary (a stale read) and promoted away the range of a
/// healthy node. A false alarm (a starved ticker) costs one failover timeout without leases, never safety.
/// </para>
/// <para>
/// The leader's own lease is <c>FailoverTimeout / 2</c>, renewed on every tick while it holds the Raft leader lease (no
/// round trip: the library's lease already says a majority accepted its heartbeats); once elected, a node serves under
/// that lease only (<see cref="OnElected"/> caps whatever its predecessor granted it). Every such lease was taken while
/// a majority accepted the old leader's heartbeats within the lower election timeout, so it ends
/// <c>FailoverTimeout / 2</c> after the lower election timeout from the last moment a majority of the voters heard from
/// that leader at the latest, and that moment comes before its successor's election by at least the lower election
/// timeout. So the successor of the last leader it saw before its own term promotes that leader's ranges
/// <c>2 × FailoverTimeout / 3</c> (a sixth of the timeout of margin, as every lease has) after the sooner of its own
/// election and the lower election timeout after the newest moment it and the voters that reported with their renewals
/// (a majority without that leader) last heard from that leader (<see cref="PredecessorDueMs"/>), when nobody else can
/// have led in between (the very next term, or a majority of the voters reported so: <see cref="NoteReport"/>), it has
/// not heard from that leader since it leads, and
/// that leader's host refused a dial that began after the successor first heard it lead
/// (<see cref="Mesh.Internal.PeerMesh.WasRefusedSince"/>): a sign it is gone, not a proof (a firewall that rejects
/// refuses dials to a live process too), so it only chooses between this wait and the whole <c>FailoverTimeout</c>
/// every other primary gets (frozen, starved, cut off by dropped packets: docs/replication.md).
/// </para>
/// <para>
/// The loop also wakes when the leader changes and sleeps only until the next primary falls silent, so detection is
/// not rounded up to the renewal interval.
/// </para>
/// <para>
/// A range is promoted only to a replica in its in-sync set that the leader heard from within the timeout (and at least
/// once since it leads, so it knows whether that replica restarted): that
/// replica holds every write the old primary acknowledged. The old primary becomes the range's last replica, out of
/// sync: when it returns, the new primary resynchronizes it. A range without a live in-sync replica stays with its
/// primary (down) until it returns.
/// </para>
/// </remarks>
internal sealed class FailoverMonitor
{
    private const ushort NoLeader = 0xFFFF;

    private readonly RaftGroup _group;
    private readonly PeerMesh _mesh;
    private readonly ServingLease _lease;
    private readonly TimeSpan _failoverTimeout;
    private readonly TimeSpan _leaseDuration;
    private readonly TimeSpan _selfLeaseDuration;
    private readonly TimeSpan _renewInterval;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, long> _lastHeard = [];
    private readonly HashSet<ushort> _untrusted = [];
    // Primaries this leader decided to promote away from, until that change is committed or given up: no renewal of
    // theirs is granted meanwhile (one granted between the decision and the commit would outlive the promotion).
    private readonly HashSet<ushort> _replacing = [];
    private readonly Locking.LockTable _locks;

    // False from this process's start until the cluster state lists this node in no in-sync set: a node that restarted
    // may have lost writes it had acknowledged to its primary (no data directory, or fsync everysec), so the sets that
    // still list it are not true of it. The leader never promotes a node that says so.
    private bool _trustworthy;
    private long _leaderSince = long.MaxValue;
    // The leader this node saw last before its own term (NoLeader: none known), when this node first heard from it as
    // leader (a dial to it refused after that is a sign it is gone), and when this node learned it was elected (see the
    // remarks). _nobodyBetween: the predecessor led in the term right before this node's, so nobody else can have led
    // since; otherwise voters whose reports (_reports) confirm it (besides this node) must make a majority of the voters
    // with this node.
    private ushort _predecessor = NoLeader;
    private long _predecessorSince;
    private long _electedAt;
    private long _term;
    private bool _nobodyBetween;
    // The newest report of each voter, with its reading of when that voter last heard from the leader it names, on this
    // node's clock (the report's silence taken from the moment it arrived). Kept across terms: each is judged against
    // the leadership it is used for (NobodyLedBetween, PredecessorDueMs).
    private readonly Dictionary<ushort, (LeaderReport Report, long ContactBoundMs)> _reports = [];
    // While this node leads, trustworthy: the ticker keeps extending its own (short) lease between the loop's turns.
    private volatile bool _selfLeasing;
    private readonly SemaphoreSlim _wake = new(0);
    private ushort _leaderHint = NoLeader;
    private int _voterTurn;
    private readonly long _pauseLimitMs;
    private readonly long _electionTimeoutMs;
    private long _lastTick = Environment.TickCount64;
    private long _quietUntil;

    public FailoverMonitor(RaftGroup group, PeerMesh mesh, ServingLease lease, TimeSpan failoverTimeout, TimeSpan electionTimeout, Locking.LockTable locks, ILogger logger)
    {
        _pauseLimitMs = (long)(electionTimeout + failoverTimeout / 6).TotalMilliseconds;
        _locks = locks;
        _group = group;
        _mesh = mesh;
        _lease = lease;
        _failoverTimeout = failoverTimeout;
        _leaseDuration = failoverTimeout * 5 / 6;
        _selfLeaseDuration = failoverTimeout / 2;
        _renewInterval = failoverTimeout / 6;
        _electionTimeoutMs = (long)electionTimeout.TotalMilliseconds;
        _logger = logger;
    }

    private ushort SelfId => _mesh.Identity.SelfId;

    /// <summary>Renews this node's lease and, while it leads, watches the primaries; until <paramref name="stopping"/>.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var wasLeader = false;
        var lapsedAt = long.MinValue; // when this node last stopped holding the leader lease (long.MinValue: never led)
        Volatile.Write(ref _lastTick, Environment.TickCount64);
        // Ticks four times per renewal interval: a gap between ticks is a pause of this process (see the remarks).
        using var ticker = new Timer(static m => ((FailoverMonitor)m!).Tick(), this, _renewInterval / 4, _renewInterval / 4);
        while (!stopping.IsCancellationRequested)
        {
            var sentAt = Environment.TickCount64;
            var leading = _group.HoldsLeaderLease && NotPaused(sentAt);
            // The clock is read again once leadership is seen: the waits a new leader owes run from a moment after it
            // began (sentAt may be far earlier when this thread was held up between the two reads).
            // A term of its own too (leadership lost and won back between two turns): what it knew belongs to the old one.
            // A lease regained in the same term, with no pause of this process since it lapsed, resumes the term's
            // leadership instead (ResumeLeading): a lapse (rounds slower than the lease on a loaded machine) must not
            // restart the waits the term owes, or a leader whose lease flaps never promotes a silent primary.
            if (leading && (!wasLeader || _group.Term != Volatile.Read(ref _term)))
            {
                var now = Environment.TickCount64;
                if (wasLeader || _group.Term != Volatile.Read(ref _term) || lapsedAt == long.MinValue || Volatile.Read(ref _quietUntil) > lapsedAt)
                    BecomeLeader(now);
                else
                    ResumeLeading(now, lapsedAt);
            }
            if (leading != wasLeader)
                ConsensusLog.LeaseHolder(_logger, SelfId, leading);
            if (wasLeader && !leading)
                lapsedAt = sentAt;
            wasLeader = leading;
            if (!leading)
                _selfLeasing = false;
            try
            {
                var granted = true;
                if (leading)
                    Heard(SelfId, sentAt, _trustworthy);
                else
                    granted = await RenewAsync(sentAt).ConfigureAwait(false);
                // Granted means this node has the leader's committed state: only now is "listed nowhere" meaningful.
                if (granted && !_trustworthy)
                    await LeaveEveryInSyncSetAsync(stopping).ConfigureAwait(false);
                // A node serves (and so grants locks) only once its start raised the epoch: its fencing tokens then
                // exceed every token an earlier run of it issued (docs/replication.md, "Locks and transactions").
                if (granted && _trustworthy)
                    _lease.Extend(sentAt, leading ? _selfLeaseDuration : _leaseDuration);
                _selfLeasing = leading && _trustworthy;
                if (granted && FenceCounterHalfUsed())
                    await RaiseEpochAsync(stopping).ConfigureAwait(false);
                if (leading)
                    await PromoteFailedAsync(stopping).ConfigureAwait(false);
                await _wake.WaitAsync(NextTurn(leading), stopping).ConfigureAwait(false);
                while (_wake.Wait(0))
                {
                    // several wake-ups while this turn ran count as one
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return; // the node is stopping (its Raft member may be gone already)
            }
            catch (ClusterChangeException e)
            {
                ConsensusLog.PromotionFailed(_logger, SelfId, e.Message);
            }
        }
    }

    /// <summary>
    /// The leader's answer to a LeaseRenew from <paramref name="nodeId"/> at <paramref name="epoch"/>: u8 granted, u16 the
    /// leader known. A voter's report (its Raft term, the last leader it saw before that term and how long ago it last
    /// heard from that leader) may confirm that nobody led between this node's predecessor and this node, and bounds when
    /// the predecessor's own lease ended (see <see cref="NoteReport"/>).
    /// </summary>
    public byte[] AnswerRenewal(ushort nodeId, ulong epoch, bool trustworthy, LeaderReport report)
    {
        var answer = new byte[3];
        var state = _mesh.Cluster.Current;
        if (report.IsPresent)
            NoteReport(nodeId, report, Environment.TickCount64);
        // Nothing is granted before this node's loop took over its term (BecomeLeader): a grant noted before that would be
        // forgotten there, and the predecessor rule must know of every lease this leader granted (IsSilent).
        if (_group.HoldsLeaderLease && NotPaused(Environment.TickCount64) && epoch >= state.Epoch && _group.Term == Volatile.Read(ref _term))
        {
            var first = Heard(nodeId, Environment.TickCount64, trustworthy, out var replacing);
            if (first)
                _wake.Release(); // the first renewal since this node leads: a promotion may have waited for this candidate
            if (!replacing)
            {
                answer[0] = 1;
                BinaryPrimitives.WriteUInt16LittleEndian(answer.AsSpan(1), SelfId);
                return answer;
            }
        }
        if (_group.HoldsLeaderLease && _mesh.GetLink(nodeId) is { } link)
            _ = link.PushStateAsync(state); // behind: it must learn the newest state before it may serve
        BinaryPrimitives.WriteUInt16LittleEndian(answer.AsSpan(1), _group.IsLeader ? SelfId : _group.LeaderId);
        return answer;
    }

    /// <summary>The Raft group saw a new leader (or none): the loop runs at once (a new leader starts watching, a follower renews with it).</summary>
    public void OnLeaderChanged() => _wake.Release();

    /// <summary>
    /// This node was elected Raft leader (known at <paramref name="nowMs"/>, after its votes; it last saw no leader at
    /// <paramref name="leaderlessSinceMs"/>, before it asked for any of them): from here on it serves under its own short
    /// lease only. A full lease its predecessor granted it (five sixths of the timeout) could otherwise outlive the moment
    /// a successor may promote its ranges; capped from before its vote requests left, the grant ends by half a timeout
    /// after a moment every voter that voted for it heard from it later (see the remarks).
    /// </summary>
    public void OnElected(long nowMs, long leaderlessSinceMs) =>
        _lease.Cap(nowMs, leaderlessSinceMs + (long)_selfLeaseDuration.TotalMilliseconds);

    private void Tick()
    {
        var now = Environment.TickCount64;
        var previous = Interlocked.Exchange(ref _lastTick, now);
        if (now - previous > _pauseLimitMs)
            Volatile.Write(ref _quietUntil, now + (long)_failoverTimeout.TotalMilliseconds);
        // The leader's own lease is short (see the remarks): extended here too, as the loop may be waiting on a commit.
        // The time is read before the leader lease is looked at, as a renewal's is before it is sent.
        else if (_selfLeasing && now >= Volatile.Read(ref _quietUntil) && _group.HoldsLeaderLease)
            _lease.Extend(now, _selfLeaseDuration);
    }

    /// <summary>
    /// How long the loop sleeps: a renewal interval; less at a leader when a primary falls silent sooner (promoted on
    /// time, not up to an interval late), and a quarter of it at a node elected whose leader lease is not held yet.
    /// </summary>
    private TimeSpan NextTurn(bool leading)
    {
        if (!leading)
            return _group.LeaderId == SelfId ? _renewInterval / 4 : _renewInterval;
        var now = Environment.TickCount64;
        var wait = (long)_renewInterval.TotalMilliseconds;
        foreach (var assignment in _mesh.Cluster.Current.Slots.RangeAssignments)
        {
            if (assignment.Primary == SelfId || assignment.InSync.IsEmpty)
                continue;
            var silentIn = SilentSince(assignment.Primary) + (long)_failoverTimeout.TotalMilliseconds + 1 - now;
            if (silentIn > 0 && silentIn < wait)
                wait = silentIn;
        }
        long predecessorIn;
        lock (_lock)
            predecessorIn = _predecessor == NoLeader ? 0 : PredecessorDueMs() + 1 - now;
        if (predecessorIn > 0 && predecessorIn < wait)
            wait = predecessorIn; // promoted on time if its host refuses
        return TimeSpan.FromMilliseconds(wait);
    }

    /// <summary>False while this process is (or just was) paused longer than the lease argument allows: it must not lead, grant or promote.</summary>
    private bool NotPaused(long now) =>
        now - Volatile.Read(ref _lastTick) <= _pauseLimitMs && now >= Volatile.Read(ref _quietUntil);

    private void BecomeLeader(long now)
    {
        var hasPredecessor = _group.TryGetPredecessor(out var predecessor, out var predecessorTerm, out var firstHeard, out var term, out var electedAt);
        lock (_lock)
        {
            Volatile.Write(ref _term, term);
            _nobodyBetween = hasPredecessor && term == predecessorTerm + 1;
            // Nothing is known of the leases the previous leader granted: every member counts as heard from now.
            _lastHeard.Clear();
            _leaderSince = now;
            // The previous leader too, unless its host refuses connections (see the remarks and IsSilent). Its wait runs
            // from the election, not from now: a leader lease the library took long to grant (or lost and regained in
            // the same term) does not move what the argument rests on, the votes this node won.
            _predecessor = hasPredecessor ? predecessor : NoLeader;
            _predecessorSince = firstHeard;
            _electedAt = electedAt;
        }
    }

    /// <summary>
    /// This node holds its leader lease again in the term it already led, having lost it at <paramref name="lapsedAt"/>
    /// with no pause of this process since (a pause goes through <see cref="BecomeLeader"/>). Nobody else led meanwhile
    /// (one leader per term) and this node granted nothing (it grants only under the lease), so what it knew of the term
    /// still holds: the members it granted leases to keep their silence, shifted by the lapse (they renew every
    /// <c>FailoverTimeout / 6</c>, and it refused them meanwhile: their silence was its own doing; later only delays a
    /// promotion, which is safe), and everything else (members never heard from in this term, its predecessor, its
    /// election) keeps counting from the term's start, as the lease argument needs. Before, every lapse went through
    /// <see cref="BecomeLeader"/>, which counts every silence again from now: a lease that lapsed more often than once per
    /// failover timeout (a loaded machine) kept a frozen primary's range down for good.
    /// </summary>
    private void ResumeLeading(long now, long lapsedAt)
    {
        var lapse = Math.Max(0, now - lapsedAt);
        lock (_lock)
        {
            foreach (var node in _lastHeard.Keys.ToArray())
                _lastHeard[node] = Math.Min(now, _lastHeard[node] + lapse);
        }
        ConsensusLog.LeaseResumed(_logger, SelfId, lapse);
    }

    /// <summary>
    /// A voter's report with its renewal, received at <paramref name="nowMs"/>: kept as that voter's newest, with the
    /// moment it last heard from the leader it names, on this node's clock (no earlier than the truth: the silence was
    /// measured when the report left, before it arrived). The loop runs again when the report bears on this leader's
    /// predecessor for the first time: its ranges may be due sooner.
    /// </summary>
    private void NoteReport(ushort nodeId, LeaderReport report, long nowMs)
    {
        var bound = report.LastLeaderSilentMs == LeaderReport.SilenceUnknown ? long.MaxValue : nowMs - report.LastLeaderSilentMs;
        bool wake;
        lock (_lock)
        {
            wake = Confirms(nodeId, report) && !(_reports.TryGetValue(nodeId, out var before) && Confirms(nodeId, before.Report));
            _reports[nodeId] = (report, bound);
        }
        if (wake)
            _wake.Release();
    }

    /// <summary>
    /// Whether a voter's report says that the last leader it saw before this node's term is this node's predecessor
    /// (seen in an earlier term than this node's), from a term of this node's or later: that voter saw nobody else lead
    /// after the predecessor and before this node, and accepts nothing from the predecessor any more. Under <see cref="_lock"/>.
    /// </summary>
    private bool Confirms(ushort nodeId, LeaderReport report) =>
        _predecessor != NoLeader && nodeId != _predecessor && nodeId != SelfId
        && report.Term >= _term && report.LastLeader == _predecessor && report.LastLeaderTerm < _term;

    /// <summary>
    /// Whether nobody but the predecessor can have led between its term and this leader's, by this node's own history
    /// (the very next term) or by reports from voters that make a majority of the voters with this node. Called under
    /// <see cref="_lock"/>. Why a majority is enough: docs/replication.md, "The leader's own ranges", point 4.
    /// </summary>
    private bool NobodyLedBetween()
    {
        if (_nobodyBetween)
            return true;
        var voters = _mesh.Cluster.Current.Voters;
        var confirmed = 1; // this node: the last leader it saw before its term is the predecessor
        foreach (var voter in voters)
        {
            if (_reports.TryGetValue(voter, out var report) && Confirms(voter, report.Report))
                confirmed++;
        }
        return confirmed > voters.Count / 2;
    }

    /// <summary>
    /// When the predecessor's ranges are due (Environment.TickCount64), if its host refused a dial and nobody led between:
    /// two thirds of the failover timeout after the lower election timeout from the newest moment a majority of the
    /// voters without it (this node and voters whose reports confirm) last heard from it, or after this node's election
    /// when that comes first or the reports are missing. Every lease the predecessor can serve under ends half a timeout
    /// after a moment no later than either (docs/replication.md, "The leader's own ranges", points 1-3). Under <see cref="_lock"/>.
    /// </summary>
    private long PredecessorDueMs()
    {
        var fromElection = _electedAt + RefusedPredecessorWaitMs;
        var voters = _mesh.Cluster.Current.Voters;
        var heard = _group.LastContactMs(_predecessor);
        var counted = 1; // this node
        foreach (var voter in voters)
        {
            if (_reports.TryGetValue(voter, out var report) && report.ContactBoundMs != long.MaxValue && Confirms(voter, report.Report))
            {
                counted++;
                heard = Math.Max(heard, report.ContactBoundMs);
            }
        }
        if (counted <= voters.Count / 2 || heard == long.MinValue)
            return fromElection;
        return Math.Min(fromElection, heard + _electionTimeoutMs + RefusedPredecessorWaitMs);
    }

    /// <summary>Notes a renewal (or the leader's own turn); true when it is the first from that node since this one leads.</summary>
    private bool Heard(ushort nodeId, long now, bool trustworthy) => Heard(nodeId, now, trustworthy, out _);

    /// <summary>As above; <paramref name="replacing"/>: this leader is promoting that node's ranges away (no lease for it).</summary>
    private bool Heard(ushort nodeId, long now, bool trustworthy, out bool replacing)
    {
        lock (_lock)
        {
            replacing = _replacing.Contains(nodeId);
            var first = _lastHeard.TryAdd(nodeId, now);
            if (!first)
                _lastHeard[nodeId] = now;
            if (trustworthy)
                _untrusted.Remove(nodeId);
            else
                _untrusted.Add(nodeId);
            return first;
        }
    }

    /// <summary>
    /// Whether the leader may promote <paramref name="nodeId"/>: heard from within the timeout, at least once since this
    /// node leads (so its restarts are known: a restarted node says so in its renewals), and not restarted since the
    /// in-sync sets listed it.
    /// </summary>
    private bool IsCandidate(ushort nodeId, long now)
    {
        if (IsSilent(nodeId, now))
            return false;
        lock (_lock)
            return _lastHeard.ContainsKey(nodeId) && !_untrusted.Contains(nodeId);
    }

    /// <summary>Whether this node has granted half the fencing tokens one epoch allows (2^31 of 2^32): time to raise the epoch.</summary>
    private bool FenceCounterHalfUsed() =>
        (_locks.LastFence & ((1L << Node.Internal.NodeParts.FenceEpochShift) - 1)) >= 1L << (Node.Internal.NodeParts.FenceEpochShift - 1);

    /// <summary>Commits a change that only raises the epoch (every node's fencing tokens then start above the old ones).</summary>
    private async Task RaiseEpochAsync(CancellationToken stopping) =>
        await _group.ProposeAsync(state => state.Next(), stopping).ConfigureAwait(false);

    /// <summary>
    /// A node that (re)started takes itself out of every in-sync set before it may be promoted (its primaries
    /// resynchronize it and list it again), and raises the epoch even when no set listed it: until then it holds no
    /// lease, so every lock it grants afterwards has a token above those an earlier run of it granted at the old epoch.
    /// </summary>
    private async Task LeaveEveryInSyncSetAsync(CancellationToken stopping)
    {
        var self = SelfId;
        await _group.ProposeAsync(
            state =>
            {
                var changed = false;
                var slots = state.Slots.Map(a =>
                {
                    if (!a.IsInSync(self))
                        return a;
                    changed = true;
                    var rest = new List<ushort>(a.InSync.Length);
                    foreach (var r in a.InSync)
                    {
                        if (r != self)
                            rest.Add(r);
                    }
                    return new SlotAssignment(a.Primary, a.Replicas, rest.ToArray(), a.Importing);
                });
                return changed ? state.Next(slots: slots) : state.Next();
            },
            stopping).ConfigureAwait(false);
        _trustworthy = true;
    }

    /// <summary>
    /// Not heard from for a whole failover timeout (counted from this node's election for those it has not heard from
    /// yet), or this node's predecessor, not heard from since this node leads, whose host refused a dial that began after
    /// this node first heard it lead, once two thirds of the timeout passed since this node's election and when nobody
    /// else can have led between its term and this node's: every lease that leader can hold has ended by then, whether
    /// its process is gone or a firewall that rejects cut it off alive (see the remarks).
    /// </summary>
    private bool IsSilent(ushort nodeId, long now)
    {
        if (now - SilentSince(nodeId) > (long)_failoverTimeout.TotalMilliseconds)
            return true;
        long since;
        lock (_lock)
        {
            // Heard since this node leads: it holds (or held) a lease this node granted, which only its silence ends.
            if (nodeId != _predecessor || now <= PredecessorDueMs() || _lastHeard.ContainsKey(nodeId) || !NobodyLedBetween())
                return false;
            since = _predecessorSince;
        }
        return _mesh.WasRefusedSince(nodeId, since);
    }

    /// <summary>How long a leader waits before promoting the ranges of a predecessor whose host refused a dial, from its election or from the lower election timeout after the voters' last contact with it: that leader's own lease (half the timeout) and a sixth of the timeout of margin.</summary>
    private long RefusedPredecessorWaitMs => (long)(_failoverTimeout.TotalMilliseconds * 2 / 3);

    /// <summary>When this leader last heard from <paramref name="nodeId"/>, or what counts as that before it did (see <see cref="BecomeLeader"/>).</summary>
    private long SilentSince(ushort nodeId)
    {
        lock (_lock)
        {
            return _lastHeard.TryGetValue(nodeId, out var heard) ? heard : _leaderSince;
        }
    }

    /// <summary>Asks the leader (or a voter that names it) for a lease; true when granted.</summary>
    private async Task<bool> RenewAsync(long sentAt)
    {
        var target = _group.IsVoter ? _group.LeaderId : _leaderHint;
        if (target == NoLeader || target == SelfId)
        {
            var voters = _group.Voters;
            target = voters[_voterTurn++ % voters.Count];
            if (target == SelfId)
                return false;
        }
        if (_mesh.GetLink(target) is not { IsUp: true } link)
        {
            _leaderHint = NoLeader;
            return false;
        }
        // A voter tells the leader which leader it saw last before its term and when it last heard from it: a successor
        // needs that to know nobody else led in between, and when that leader's own lease ended (NoteReport).
        var result = await link.CallAsync(new LeaseRenewRequest(_mesh.Cluster.Current.Epoch, _trustworthy, _group.CurrentLeaderReport()), ResponseShape.Body, _leaseDuration, target).ConfigureAwait(false);
        if (result.IsError || result.Payload is not { Length: 3 } body)
        {
            _leaderHint = NoLeader;
            return false;
        }
        _leaderHint = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(1));
        return body[0] == 1;
    }

    /// <summary>At the leader: one promotion per silent primary that has a live in-sync replica.</summary>
    private async Task PromoteFailedAsync(CancellationToken stopping)
    {
        var now = Environment.TickCount64;
        var state = _mesh.Cluster.Current;
        List<ushort>? failed = null;
        foreach (var assignment in state.Slots.RangeAssignments)
        {
            var primary = assignment.Primary;
            if (primary == SelfId || assignment.InSync.IsEmpty || (failed?.Contains(primary) ?? false) || !IsSilent(primary, now))
                continue;
            (failed ??= []).Add(primary);
        }
        if (failed is null)
            return;
        foreach (var primary in failed)
        {
            // Decided and marked at once, under the lock renewals are noted under: none is granted from here until the
            // change is in force (the leader's state then has the new epoch, and the old primary's is refused as behind).
            lock (_lock)
            {
                if (!IsSilent(primary, Environment.TickCount64))
                    continue; // it renewed meanwhile
                _replacing.Add(primary);
            }
            try
            {
                var committed = await _group.ProposeAsync(s => Promote(s, primary, now), stopping).ConfigureAwait(false);
                if (committed is not null)
                    ConsensusLog.Promoted(_logger, SelfId, primary, committed.Epoch, committed.ToString());
            }
            finally
            {
                lock (_lock)
                    _replacing.Remove(primary);
            }
        }
    }

    /// <summary>The state with every range of <paramref name="failed"/> that has a live in-sync replica served by the first such replica.</summary>
    private ClusterState? Promote(ClusterState state, ushort failed, long now)
    {
        var changed = false;
        var slots = state.Slots.Map(a =>
        {
            if (a.Primary != failed)
                return a;
            foreach (var candidate in a.InSync)
            {
                if (!IsCandidate(candidate, now))
                    continue;
                var replicas = new List<ushort>(a.Replicas.Length);
                foreach (var r in a.Replicas)
                {
                    if (r != candidate)
                        replicas.Add(r);
                }
                replicas.Add(failed); // back as a replica, out of sync: resynchronized when it returns
                var inSync = new List<ushort>(a.InSync.Length);
                foreach (var r in a.InSync)
                {
                    if (r != candidate)
                        inSync.Add(r);
                }
                changed = true;
                // A slot move in progress is abandoned (its source is gone): the mover sees the new primary and undoes.
                return new SlotAssignment(candidate, replicas.ToArray(), inSync.ToArray(), SlotAssignment.NotMoving);
            }
            return a;
        });
        return changed ? state.Next(slots: slots) : null;
    }
}
