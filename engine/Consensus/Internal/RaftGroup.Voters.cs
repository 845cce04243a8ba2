using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// Voting group changes: the voters are part of the committed <see cref="ClusterState"/>, and this part of the group
/// makes the Raft library follow them (docs/replication.md, "Voting group changes").
/// </summary>
/// <remarks>
/// <para>
/// Every node: a node the newest state makes a voter starts its Raft member, outside the library's configuration (the
/// library then keeps it frozen until it is added); one the state makes a learner stops its member and deletes its log
/// (a leader first resigns, so that a remaining voter leads and removes it).
/// </para>
/// <para>
/// The leader: while the library's configuration differs from the state's voters, it adds one missing voter
/// (<c>AddMemberAsync</c>: the library catches the new member up from its log and snapshot, then commits the
/// configuration that lists it) or, when none is missing, removes one extra member (<c>RemoveMemberAsync</c>), one
/// change at a time: every configuration differs from the one before by one member, so two majorities never coexist.
/// The state changes first and the configuration follows it, so a leader that dies half way leaves a state its
/// successor finishes; after each change one more replication round lets the followers apply it before the leader
/// goes on. Once they agree, the leader brings the voters to the member count's target one voter per change (drops
/// one above it, adds the first live learner below it); then a voter it has not had a peer link to for the voter
/// timeout is replaced in the state by the first live learner in id order (the configuration then follows: add, then
/// remove).
/// </para>
/// </remarks>
internal sealed partial class RaftGroup
{
    private readonly SemaphoreSlim _memberTurn = new(1, 1);
    private readonly SemaphoreSlim _voterWake = new(0, 1);
    private readonly IDisposable _stateChanges;
    private readonly Dictionary<ushort, long> _lastSeen = [];
    private Task _following = Task.CompletedTask;
    private long _leadingSince;

    /// <summary>
    /// The voters in the Raft library's configuration, as this node's member sees it (empty when it runs none): what
    /// actually forms majorities, in id order; 0xFFFF (last) for an address no member has any more (a forgotten voter
    /// not removed from the configuration yet).
    /// </summary>
    public IReadOnlyList<ushort> ConfiguredVoters
    {
        get
        {
            if (Volatile.Read(ref _raft) is not { } raft)
                return [];
            var ids = new List<ushort>();
            foreach (var member in raft.Members)
                ids.Add(IdOf(member.EndPoint));
            ids.Sort();
            return ids;
        }
    }

    private void OnStateChanged(ClusterState previous, ClusterState current) => WakeVoterLoop();

    private void WakeVoterLoop()
    {
        try
        {
            if (_voterWake.CurrentCount == 0)
                _voterWake.Release();
        }
        catch (SemaphoreFullException)
        {
            // woken already
        }
    }

    /// <summary>Follows the state's voters until the node stops: on every state change, leader change, and every voter check interval.</summary>
    private async Task FollowVotersAsync()
    {
        var stopping = _stopping.Token;
        var interval = VoterCheckInterval;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await _voterWake.WaitAsync(interval, stopping).ConfigureAwait(false);
                await FollowOnceAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                ConsensusLog.VoterChangeFailed(_logger, _identity.SelfId, e.GetType().Name + ": " + e.Message);
            }
        }
    }

    /// <summary>Twice the upper election timeout, at most a quarter of the voter timeout: often enough that a change takes a few rounds, not minutes.</summary>
    private TimeSpan VoterCheckInterval
    {
        get
        {
            var interval = _settings.UpperElectionTimeout * 2;
            var quarter = _settings.VoterTimeout / 4;
            return quarter > TimeSpan.Zero && quarter < interval ? quarter : interval;
        }
    }

    private async Task FollowOnceAsync(CancellationToken stopping)
    {
        var state = _cluster.Current;
        var voter = state.IsVoter(_identity.SelfId);
        var raft = Volatile.Read(ref _raft);
        if (voter && raft is null)
        {
            await _memberTurn.WaitAsync(stopping).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _raft) is null && !stopping.IsCancellationRequested)
                {
                    await StartMemberAsync(added: true, stopping).ConfigureAwait(false);
                    ConsensusLog.MadeVoter(_logger, _identity.SelfId, state.Epoch);
                }
            }
            finally
            {
                _memberTurn.Release();
            }
            return;
        }
        if (!voter && raft is not null)
        {
            if (IsLeader)
            {
                // A leader does not remove itself: it hands leadership to a remaining voter, which removes it.
                await ((DotNext.Net.Cluster.ICluster)raft).ResignAsync(stopping).ConfigureAwait(false);
                return;
            }
            await _memberTurn.WaitAsync(stopping).ConfigureAwait(false);
            try
            {
                await StopMemberAsync(deleteLog: true).ConfigureAwait(false);
            }
            finally
            {
                _memberTurn.Release();
            }
            ConsensusLog.MadeLearner(_logger, _identity.SelfId, state.Epoch);
            return;
        }
        if (raft is null || !IsLeader || LeaderId != _identity.SelfId)
        {
            Volatile.Write(ref _leadingSince, 0);
            return;
        }
        var now = Environment.TickCount64;
        if (Volatile.Read(ref _leadingSince) == 0)
        {
            // A new leader does not know how long a voter has been silent: it waits the whole timeout from now.
            Volatile.Write(ref _leadingSince, now);
            lock (_lastSeen)
                _lastSeen.Clear();
        }
        if (await ReconcileAsync(raft, state, stopping).ConfigureAwait(false)
            && !await ResizeVotersAsync(state, stopping).ConfigureAwait(false))
            await ReplaceSilentVoterAsync(state, now, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// At the leader, with the configuration in step with the state: while the voters are more than the members keep
    /// (<see cref="ClusterState.VoterTarget"/>: members left), drops one (a silent one first, never itself); while
    /// fewer (a voter left when no learner was live), adds the first live learner. One voter per change
    /// (<see cref="VoterSets.Resized"/>); true when it proposed one.
    /// </summary>
    private async Task<bool> ResizeVotersAsync(ClusterState state, CancellationToken stopping)
    {
        var self = _identity.SelfId;
        if (VoterSets.Resized(state, IsLive, self) is null)
            return false;
        var committed = await ProposeAsync(s => VoterSets.Resized(s, IsLive, self) is { } voters ? s.Next(voters: voters) : null, stopping).ConfigureAwait(false);
        if (committed is not null && !committed.Voters.SequenceEqual(state.Voters))
            ConsensusLog.VotersResized(_logger, self, string.Join(",", state.Voters), string.Join(",", committed.Voters), committed.Members.Count, committed.Epoch);
        return true;
    }

    /// <summary>
    /// At the leader: one step of making the library's configuration the state's voters (add a missing one, else remove
    /// an extra one); true when they already agree.
    /// </summary>
    private async Task<bool> ReconcileAsync(RaftCluster raft, ClusterState state, CancellationToken stopping)
    {
        var configured = new List<EndPoint>();
        foreach (var member in raft.Members)
            configured.Add(member.EndPoint);
        var wanted = new List<EndPoint>(state.Voters.Count);
        foreach (var id in state.Voters)
            wanted.Add(ConsensusTransport.EndPointOf(state.Members.Get(id)));
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stopping, raft.LeadershipToken);
        bounded.CancelAfter(_settings.ProposeTimeout);
        try
        {
            for (var i = 0; i < wanted.Count; i++)
            {
                if (configured.Contains(wanted[i]))
                    continue;
                var id = state.Voters[i];
                if (!_peers.IsUp(id))
                    return false; // not reachable yet: the library could not catch it up
                var added = await raft.AddMemberAsync(wanted[i], bounded.Token).ConfigureAwait(false);
                if (added)
                    await ConfirmConfigurationAsync(raft, bounded.Token).ConfigureAwait(false);
                ConsensusLog.VoterAdded(_logger, _identity.SelfId, id, added);
                return false;
            }
            foreach (var endPoint in configured)
            {
                if (wanted.Contains(endPoint))
                    continue;
                var removed = await raft.RemoveMemberAsync(endPoint, bounded.Token).ConfigureAwait(false);
                if (removed)
                    await ConfirmConfigurationAsync(raft, bounded.Token).ConfigureAwait(false);
                ConsensusLog.VoterRemoved(_logger, _identity.SelfId, endPoint.ToString() ?? "", removed);
                return false;
            }
            return true;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            ConsensusLog.VoterChangeFailed(_logger, _identity.SelfId, "a configuration change did not complete in time or leadership was lost");
            return false;
        }
        catch (Exception e) when (e is NotLeaderException or RaftProtocolException or InvalidOperationException)
        {
            ConsensusLog.VoterChangeFailed(_logger, _identity.SelfId, e.GetType().Name + ": " + e.Message);
            return false;
        }
    }

    /// <summary>
    /// At the leader, right after the library committed a configuration: one more replication round, answered by every
    /// member it reaches, so that they learn the commit and apply the configuration before the leader goes on (or is
    /// lost). The library commits a configuration at the leader when a majority stored it, but its followers apply it
    /// only when a later round tells them it is committed: a leader lost in between left them on the previous
    /// configuration, which a dead voter can keep from ever electing again (remove a dead voter from {0,1,2,3}: the
    /// two survivors of {0,1,3} still count four members). The round narrows that window to one round trip
    /// (docs/replication.md, "Voting group changes").
    /// </summary>
    private static ValueTask ConfirmConfigurationAsync(RaftCluster raft, CancellationToken cancellationToken) =>
        raft.ForceReplicationAsync(cancellationToken);

    /// <summary>
    /// At the leader, with the configuration in step with the state: the first voter it has had no peer link to for the
    /// voter timeout (counted from when it began leading at the earliest) is replaced by the first live learner.
    /// </summary>
    private async Task ReplaceSilentVoterAsync(ClusterState state, long now, CancellationToken stopping)
    {
        var timeoutMs = (long)_settings.VoterTimeout.TotalMilliseconds;
        if (timeoutMs <= 0)
            return;
        var leadingSince = Volatile.Read(ref _leadingSince);
        foreach (var voter in state.Voters)
        {
            if (voter == _identity.SelfId)
                continue;
            long seen;
            lock (_lastSeen)
            {
                if (_peers.IsUp(voter))
                    _lastSeen[voter] = now;
                seen = _lastSeen.TryGetValue(voter, out var at) ? at : leadingSince;
            }
            if (now - seen < timeoutMs)
                continue;
            if (VoterSets.FirstLiveLearner(state.Voters, voter, state.Members, IsLive) is not { } learner)
                continue; // nobody to take its place: it stays a voter (the group still decides while a majority lives)
            var silent = voter;
            var committed = await ProposeAsync(s => s.IsVoter(silent) && !s.IsVoter(learner) && s.Members.TryGet(learner, out _)
                ? s.Next(voters: VoterSets.Replaced(s.Voters, silent, s.Members, id => id == learner))
                : null, stopping).ConfigureAwait(false);
            if (committed is not null)
                ConsensusLog.VoterReplaced(_logger, _identity.SelfId, silent, (now - seen) / 1000.0, learner, committed.Epoch);
            return; // one change at a time: the configuration follows before the next
        }
    }

    private bool IsLive(ushort nodeId) => nodeId == _identity.SelfId || _peers.IsUp(nodeId);

    /// <summary>Whether the library's configuration lists the member <paramref name="nodeId"/>.</summary>
    private bool InConfiguration(RaftCluster raft, ushort nodeId)
    {
        if (!_cluster.Current.Members.TryGet(nodeId, out var member))
            return false;
        var endPoint = ConsensusTransport.EndPointOf(member);
        foreach (var configured in raft.Members)
        {
            if (configured.EndPoint.Equals(endPoint))
                return true;
        }
        return false;
    }

    /// <summary>A voter of <paramref name="state"/> other than this node to ask, in turn; this node when it is the only one.</summary>
    private ushort AnyOtherVoter(ClusterState state, int attempt)
    {
        var voters = state.Voters;
        for (var i = 0; i < voters.Count; i++)
        {
            var id = voters[(attempt + i) % voters.Count];
            if (id != _identity.SelfId)
                return id;
        }
        return voters.Count > 0 ? voters[0] : _identity.SelfId;
    }
}
