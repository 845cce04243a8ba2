using System.Buffers.Binary;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Transport;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The node's part in deciding the cluster state: on a voter, a member of the Raft group (DotNext.Net.Cluster) whose
/// state machine is the <see cref="ClusterState"/>; on every node, the way to propose a change
/// (<see cref="IClusterChanges"/>) and to learn committed states.
/// </summary>
/// <remarks>
/// Voters (<see cref="ClusterState.Voters"/>, part of the committed state) run Raft over authenticated
/// connections on the native port (<see cref="ConsensusTransport"/>); their log and snapshots live in
/// <c>DataDir/raft</c> (a temporary folder, removed at stop, without a data directory). A node that the committed
/// state makes a voter starts its Raft member (outside the library's configuration, so it waits to be added), and one
/// it makes a learner stops it and deletes its log; the leader makes the library's configuration follow the state's
/// voters one member at a time, and replaces a voter it has not heard from for the voter timeout by the first live
/// learner (the partial class in RaftGroup.Voters.cs). Every voter installs each
/// applied state into the node's <see cref="ClusterStateHolder"/>; the leader also pushes it (ClusterPush) to every
/// other member, and any node pushes its state to a peer whose link comes up (PeerMesh), so learners converge without
/// running Raft. A proposal goes to the leader (locally, or as ClusterPropose over the peer link); the leader takes
/// proposals one at a time, so its epoch check before replicating cannot be overtaken by its own next proposal.
/// </remarks>
internal sealed partial class RaftGroup : IClusterChanges, IClusterProposals, IAsyncDisposable
{
    private const ushort NoLeader = 0xFFFF;
    private const int MaxAttempts = 16;

    private readonly NodeIdentity _identity;
    private readonly ClusterStateHolder _cluster;
    private readonly IPeerLinks _peers;
    private readonly ConsensusSettings _settings;
    private readonly ILogger _logger;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ConsensusTransport _transport;
    private readonly SemaphoreSlim _leaderTurn = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private string? _folder;
    private bool _ownsFolder;
    private ClusterStateMachine? _machine;
    private WriteAheadLog? _log;
    private RaftCluster? _raft;

    public RaftGroup(NodeIdentity identity, ClusterStateHolder cluster, IPeerLinks peers, ConnectionOptions connectionOptions, ConsensusSettings settings, ILogger logger, ILoggerFactory? loggerFactory)
    {
        _identity = identity;
        _cluster = cluster;
        _peers = peers;
        _settings = settings;
        _logger = logger;
        _loggerFactory = loggerFactory;
        _transport = new ConsensusTransport(identity, cluster, connectionOptions, settings.RequestTimeout);
        _stateChanges = cluster.Subscribe(OnStateChanged);
    }

    public bool IsEnabled => true;

    /// <summary>Whether this node runs a Raft member now (it votes, or was made a voter and waits to be added; else it learns committed states from pushes).</summary>
    public bool IsVoter => Volatile.Read(ref _raft) is not null;

    /// <summary>The voting members of the newest state this node has, in id order.</summary>
    public IReadOnlyList<ushort> Voters => _cluster.Current.Voters;

    /// <summary>
    /// Whether this node is the Raft leader and a majority of the voters answered it within the election timeout (its
    /// leader lease): the library's lease token, bounded by this node's own clock (<see cref="LeaderLeaseBound"/>: a late
    /// timer does not keep it).
    /// </summary>
    public bool HoldsLeaderLease => _raft is { } raft && raft.TryGetLeaseToken(out var token) && _leaseBound.Holds(token, Environment.TickCount64);

    private readonly LeaderLeaseBound _leaseBound = new();

    /// <summary>This node's own bound on its leader lease (tests withhold it to make the lease lapse within a term).</summary>
    internal LeaderLeaseBound LeaseBound => _leaseBound;
    private readonly SemaphoreSlim _confirmWake = new(0);
    private Task _confirming = Task.CompletedTask;

    /// <summary>
    /// While this node leads: asks the library for a heartbeat round every fifth of the lower election timeout and, once
    /// a majority answered it, moves the lease's own bound to the clock read before the request plus the lower election
    /// timeout. Until the node stops.
    /// </summary>
    private async Task ConfirmLeaseAsync()
    {
        var interval = _settings.LowerElectionTimeout / 5;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                // Also right after an election, before the library took its own lease: the first confirmed round then
                // comes one round trip after the election, not a fifth of a timeout later (a new leader promotes nothing
                // before it holds the lease, its predecessor's ranges included).
                if (Volatile.Read(ref _raft) is { } raft && (raft.TryGetLeaseToken(out var token) ? !token.IsCancellationRequested : LeaderId == _identity.SelfId))
                {
                    var before = Environment.TickCount64;
                    using var bounded = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, token);
                    bounded.CancelAfter(_settings.LowerElectionTimeout);
                    await raft.ForceReplicationAsync(bounded.Token).ConfigureAwait(false);
                    _leaseBound.Confirmed(before, _settings.LowerElectionTimeout);
                }
                // A leader change wakes it at once: a new leader's first lease is not a fifth of a timeout late.
                await _confirmWake.WaitAsync(interval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Not confirmed (leadership lost, no majority in time, the member stopping): the bound runs out by itself.
                try
                {
                    await Task.Delay(interval, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Leases and failure detection (with replicas); null without.</summary>
    public FailoverMonitor? Monitor { get; set; }

    public byte[] AnswerLeaseRenewal(ushort nodeId, ulong epoch, bool trustworthy, LeaderReport report)
    {
        if (Monitor is { } monitor)
            return monitor.AnswerRenewal(nodeId, epoch, trustworthy, report);
        var answer = new byte[3];
        BinaryPrimitives.WriteUInt16LittleEndian(answer.AsSpan(1), LeaderId);
        return answer;
    }

    /// <summary>The group's timing.</summary>
    internal ConsensusSettings Settings => _settings;

    /// <summary>The election timeout the library drew for this voter (in the slot of its rank); zero on a learner.</summary>
    internal TimeSpan ElectionTimeout => _raft?.ElectionTimeout ?? TimeSpan.Zero;

    /// <summary>The Raft term this voter is in (0 on a learner or before it started).</summary>
    public long Term => _raft?.Term ?? 0;

    /// <summary>Whether this node is the Raft leader now.</summary>
    public bool IsLeader => _raft is { } raft && !raft.LeadershipToken.IsCancellationRequested;

    /// <summary>The leader this node knows of; 0xFFFF when none (or when this node is no voter).</summary>
    public ushort LeaderId => _raft?.Leader?.EndPoint is { } endPoint ? IdOf(endPoint) : NoLeader;

    /// <summary>
    /// Starts the Raft member on a voter (replaying its log: the node then holds the newest state it committed), and on
    /// every node the loop that follows the state's voters (<see cref="FollowVotersAsync"/>).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _memberTurn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cluster.Current.IsVoter(_identity.SelfId))
                await StartMemberAsync(added: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _memberTurn.Release();
        }
        using (ExecutionContext.SuppressFlow())
        {
            _following = Task.Run(FollowVotersAsync);
            _confirming = Task.Run(ConfirmLeaseAsync);
        }
    }

    /// <summary>
    /// Starts this node's Raft member. <paramref name="added"/> false (the node starts as a voter): its configuration is
    /// the state's voters, itself included, as on every voter of a new cluster. True (a learner the state just made a
    /// voter): the configuration leaves it out, so the library starts it frozen, neither standing for election nor
    /// voting, until the leader's <c>AddMemberAsync</c> has caught it up (from the leader's snapshot and log) and
    /// committed the configuration that lists it.
    /// </summary>
    private async Task StartMemberAsync(bool added, CancellationToken cancellationToken)
    {
        if (_settings.DataDir is { } dataDir)
        {
            _folder = Path.Combine(dataDir, "raft");
        }
        else
        {
            _folder = Path.Combine(Path.GetTempPath(), $"fastdht-raft-{_identity.SelfId}-{Guid.NewGuid():N}");
            _ownsFolder = true;
        }
        if (added && Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true); // what a former voter left: the leader sends what it needs
        var snapshots = Directory.CreateDirectory(Path.Combine(_folder, "snapshots"));
        _machine = new ClusterStateMachine(snapshots, _cluster.Current, OnApplied);
        await _machine.RestoreAsync(cancellationToken).ConfigureAwait(false);
        _log = new WriteAheadLog(new WriteAheadLog.Options { Location = Path.Combine(_folder, "log") }, _machine);
        var state = _cluster.Current;
        var members = state.Members;
        var self = ConsensusTransport.EndPointOf(members.Get(_identity.SelfId));
        var storage = new VoterConfigurationStorage();
        var builder = storage.CreateInitialConfigurationBuilder();
        foreach (var id in state.Voters)
        {
            if (!added || id != _identity.SelfId)
                builder.Add(ConsensusTransport.EndPointOf(members.Get(id)));
        }
        builder.Build();
        // This voter's own election timeout, by its rank among the voters (ConsensusSettings.RankedElectionTimeout): no two
        // survivors of a leader stand at the same moment. The library derives its heartbeat period (lower bound times the
        // threshold) and its leader lease (the lower bound) from it: the heartbeat is kept at half the group's lower
        // timeout, and the lease the node relies on is bounded by the group's lower timeout (LeaderLeaseBound), not this one.
        var rank = RankOf(state.Voters, _identity.SelfId);
        var (lower, upper) = _settings.RankedElectionTimeout(rank);
        var configuration = new RaftCluster.CustomTransportConfiguration(self, _transport, _transport)
        {
            LowerElectionTimeout = (int)lower.TotalMilliseconds,
            UpperElectionTimeout = (int)upper.TotalMilliseconds,
            HeartbeatThreshold = _settings.LowerElectionTimeout / 2 / lower,
            RequestTimeout = _settings.RaftCallTimeout,
            ConnectTimeout = _settings.RaftCallTimeout,
            ConfigurationStorage = storage,
            ColdStart = false,
            IsLeaderLeaseEnabled = true,
            LoggerFactory = _loggerFactory,
        };
        var raft = new RaftCluster(configuration) { AuditTrail = _log };
        raft.LeaderChanged += OnLeaderChanged;
        // Read before the member can accept anything: what it accepted in an earlier run is not in _transport.Contacts.
        Volatile.Write(ref _memberStartedMs, Environment.TickCount64);
        await raft.StartAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _raft, raft);
        ConsensusLog.Started(_logger, _identity.SelfId, string.Join(",", state.Voters), _folder);
        ConsensusLog.ElectionTimeout(_logger, _identity.SelfId, rank, (int)lower.TotalMilliseconds, (int)upper.TotalMilliseconds);
    }

    /// <summary>A voter's rank: its place among <paramref name="voters"/> in id order (the count of voters below it).</summary>
    internal static int RankOf(IReadOnlyList<ushort> voters, ushort selfId)
    {
        var rank = 0;
        foreach (var id in voters)
        {
            if (id < selfId)
                rank++;
        }
        return rank;
    }

    public async ValueTask<ClusterState?> ProposeAsync(Func<ClusterState, ClusterState?> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_stopping.IsCancellationRequested)
            throw new ClusterChangeException("the node is stopping");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        deadline.CancelAfter(_settings.ProposeTimeout);
        var leaderHint = NoLeader;
        var lastProblem = "no voter answered";
        try
        {
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var current = _cluster.Current;
                if (change(current) is not { } next)
                    return null;
                if (next.Epoch != current.Epoch + 1)
                    throw new ArgumentException($"a change must make the state one epoch above the current one ({current.Epoch + 1}), not {next.Epoch}", nameof(change));
                var proposed = ClusterStateCodec.Encode(next);
                var target = leaderHint != NoLeader ? leaderHint : LeaderId;
                var answer = target == _identity.SelfId || (target == NoLeader && IsLeader)
                    ? await AnswerLocallyAsync(proposed, deadline.Token).ConfigureAwait(false)
                    : await AskAsync(target != NoLeader ? target : AnyOtherVoter(current, attempt), proposed, deadline.Token).ConfigureAwait(false);
                if (answer is null)
                {
                    lastProblem = "the voter asked was unreachable";
                    leaderHint = NoLeader;
                    await Task.Delay(_settings.LowerElectionTimeout / 2, deadline.Token).ConfigureAwait(false);
                    continue;
                }
                var (outcome, leader, state) = answer.Value;
                if (state is not null)
                    _cluster.TryInstall(state);
                switch (outcome)
                {
                    case ProposalOutcome.Committed:
                        return state;
                    case ProposalOutcome.Conflict:
                        lastProblem = "another change was committed first";
                        leaderHint = leader;
                        continue;
                    default:
                        lastProblem = "no leader was elected yet";
                        leaderHint = leader == target ? NoLeader : leader;
                        if (leaderHint == NoLeader)
                            await Task.Delay(_settings.LowerElectionTimeout / 2, deadline.Token).ConfigureAwait(false);
                        continue;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClusterChangeException(_stopping.IsCancellationRequested
                ? "the node is stopping"
                : $"the change was not committed within {_settings.ProposeTimeout.TotalSeconds:0.#} s: {lastProblem}");
        }
        throw new ClusterChangeException($"the change was not committed after {MaxAttempts} attempts: {lastProblem}");
    }

    /// <summary>Sends a proposal to a node over the peer link; null when it could not be asked or answered nonsense.</summary>
    private async ValueTask<(ProposalOutcome, ushort, ClusterState?)?> AskAsync(ushort nodeId, byte[] proposed, CancellationToken cancellationToken)
    {
        if (_peers.LinkTo(nodeId) is not { } link)
            return null;
        var result = await link.CallAsync(new ClusterStateRequest(Opcode.ClusterPropose, proposed), ResponseShape.Body, _settings.ProposeTimeout, nodeId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.IsError || result.Payload is not { } body ? null : Decode(body);
    }

    private async ValueTask<(ProposalOutcome, ushort, ClusterState?)?> AnswerLocallyAsync(byte[] proposed, CancellationToken cancellationToken) =>
        Decode(await AnswerAsync(proposed, cancellationToken).ConfigureAwait(false));

    public async ValueTask<byte[]> AnswerAsync(byte[] proposed, CancellationToken cancellationToken)
    {
        if (_raft is not { } raft || _machine is not { } machine)
            return Encode(ProposalOutcome.NotLeader, LeaderId, null);
        var leadership = raft.LeadershipToken;
        if (leadership.IsCancellationRequested)
        {
            // Elected but its first entry (the write barrier) not committed yet: for about one heartbeat after an
            // election. Waiting here beats answering NotLeader, which makes the proposer sleep half an election timeout
            // (a promotion right after an election, as when the leader itself failed, lost that much).
            if (LeaderId != _identity.SelfId)
                return Encode(ProposalOutcome.NotLeader, LeaderId, null);
            try
            {
                leadership = await raft.WaitForLeadershipAsync(cancellationToken).WaitAsync(_settings.LowerElectionTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
            {
                return Encode(ProposalOutcome.NotLeader, LeaderId, null); // not committed in time, or leadership lost meanwhile
            }
        }
        if (!ClusterStateCodec.TryDecode(proposed, out var next, out var error))
            throw new InvalidDataException($"the proposed cluster state is malformed: {error}");
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, leadership, _stopping.Token);
        bounded.CancelAfter(_settings.ProposeTimeout);
        await _leaderTurn.WaitAsync(bounded.Token).ConfigureAwait(false);
        try
        {
            // Every entry committed by earlier leaders is applied before the epoch is compared.
            await raft.ApplyReadBarrierAsync(bounded.Token).ConfigureAwait(false);
            var current = machine.Current;
            if (next.Epoch != current.Epoch + 1)
                return Encode(ProposalOutcome.Conflict, _identity.SelfId, current);
            // Completes once the entry is committed by a majority of the voters; throws when leadership is lost first.
            await RaftClusterExtensions.ReplicateAsync(raft, proposed, null, bounded.Token).ConfigureAwait(false);
            await raft.ApplyReadBarrierAsync(bounded.Token).ConfigureAwait(false);
            current = machine.Current;
            return Encode(current.Epoch == next.Epoch ? ProposalOutcome.Committed : ProposalOutcome.Conflict, _identity.SelfId, current);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Encode(ProposalOutcome.NotLeader, LeaderId, null);
        }
        catch (Exception e) when (e is NotLeaderException or QuorumUnreachableException or LeaderOperationException)
        {
            return Encode(ProposalOutcome.NotLeader, LeaderId, null);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // Whatever else the library throws while leadership changes: the proposer asks again.
            ConsensusLog.ProposalFailed(_logger, _identity.SelfId, e.GetType().Name + ": " + e.Message);
            return Encode(ProposalOutcome.NotLeader, NoLeader, null);
        }
        finally
        {
            _leaderTurn.Release();
        }
    }

    /// <summary>
    /// Takes a consensus connection from a voter of the newest state, or from a member the library's configuration still
    /// lists (a voter being replaced); anyone else (a replaced voter that came back and still thinks it votes) is
    /// refused, so it cannot disturb the group's elections.
    /// </summary>
    public bool TryAcceptConnection(SocketConnection connection, ushort peerId) =>
        Volatile.Read(ref _raft) is { } raft && (_cluster.Current.IsVoter(peerId) || InConfiguration(raft, peerId))
        && _transport.Listener is { } listener && listener.TryOffer(new ConsensusConnection(connection, peerId, _transport.Contacts));

    private static byte[] Encode(ProposalOutcome outcome, ushort leader, ClusterState? state)
    {
        var encoded = state is null ? [] : ClusterStateCodec.Encode(state);
        var body = new byte[3 + encoded.Length];
        body[0] = (byte)outcome;
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(1), leader);
        encoded.CopyTo(body.AsSpan(3));
        return body;
    }

    private static (ProposalOutcome, ushort, ClusterState?)? Decode(byte[] body)
    {
        if (body.Length < 3 || body[0] > (byte)ProposalOutcome.NotLeader)
            return null;
        var outcome = (ProposalOutcome)body[0];
        var leader = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(1));
        if (body.Length == 3)
            return outcome == ProposalOutcome.NotLeader ? (outcome, leader, null) : null;
        return ClusterStateCodec.TryDecode(body.AsSpan(3), out var state, out _) ? (outcome, leader, state) : null;
    }

    /// <summary>A state this voter applied: in force here at once; the leader tells every other member.</summary>
    /// <summary>The epoch of the newest state this voter applied from its own Raft log (0: none yet), as opposed to one it was pushed.</summary>
    internal ulong AppliedEpoch => Volatile.Read(ref _appliedEpoch);

    private ulong _appliedEpoch;

    private void OnApplied(ClusterState state)
    {
        Volatile.Write(ref _appliedEpoch, state.Epoch);
        if (_cluster.TryInstall(state))
            ConsensusLog.Installed(_logger, _identity.SelfId, state.Epoch, state.ToString());
        if (IsLeader)
            Push(state);
    }

    private void OnLeaderChanged(DotNext.Net.Cluster.ICluster cluster, DotNext.Net.Cluster.IClusterMember? leader)
    {
        var id = leader?.EndPoint is { } endPoint ? IdOf(endPoint) : NoLeader;
        // The clock is read here, at or after the moment the change happened: for another leader, a refused dial that
        // began later is a sign its process is gone; for this node, its votes were granted before (FailoverMonitor).
        // The library runs this handler while it sets the leader, under its own transition lock (every term change
        // takes that lock too), so the term read here is the change's own.
        var now = Environment.TickCount64;
        var term = Term;
        if (id != NoLeader)
            _leaders.Add(id, term, now);
        else
            Volatile.Write(ref _leaderlessSinceMs, now);
        // The library clears the leader before it stands for election (before any vote request leaves), so the moment this
        // node last saw no leader comes before every vote it won: what its predecessor granted it is capped from there
        // (docs/replication.md, "The leader's own ranges", point 1). A node elected without such a moment (the first
        // election after it started) was granted nothing by another leader.
        if (id == _identity.SelfId)
            Monitor?.OnElected(now, Math.Min(now, Volatile.Read(ref _leaderlessSinceMs)));
        ConsensusLog.LeaderChanged(_logger, _identity.SelfId, id == NoLeader ? "none" : id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Monitor?.OnLeaderChanged();
        if (_confirmWake.CurrentCount == 0)
            _confirmWake.Release();
        WakeVoterLoop();
    }

    private readonly LeaderHistory _leaders = new();
    private long _leaderlessSinceMs = long.MaxValue;
    private long _memberStartedMs = long.MaxValue;

    /// <summary>
    /// The newest moment this voter can have accepted a Raft message from <paramref name="peerId"/> (Environment.TickCount64):
    /// its last read from that voter on the Raft connections, or when its own Raft member started if that is later (it
    /// keeps no reads of an earlier run); long.MinValue on a learner.
    /// </summary>
    public long LastContactMs(ushort peerId) =>
        _raft is null ? long.MinValue : Math.Max(_transport.Contacts.LastReadMs(peerId), Volatile.Read(ref _memberStartedMs));

    /// <summary>
    /// On the leader: the leader it saw last before its own term (its predecessor, never itself) and the times the
    /// successor rule needs; false when this node is not the leader, saw no leader before, or led itself last.
    /// </summary>
    /// <param name="leaderId">The predecessor: the last other node this voter saw lead before its own term.</param>
    /// <param name="leaderTerm">The term this voter saw it lead in (the first of a row of terms it led in, as seen here).</param>
    /// <param name="firstHeardMs">When this voter learned it led (Environment.TickCount64).</param>
    /// <param name="term">This node's own term.</param>
    /// <param name="electedMs">When this voter learned it was elected in that term: after every vote it won.</param>
    /// <remarks>
    /// When <paramref name="term"/> is <paramref name="leaderTerm"/> + 1 nobody can have led between; otherwise the
    /// successor asks the other voters what they saw (<see cref="CurrentLeaderReport"/>; docs/replication.md, "The
    /// leader's own ranges").
    /// </remarks>
    public bool TryGetPredecessor(out ushort leaderId, out long leaderTerm, out long firstHeardMs, out long term, out long electedMs)
    {
        leaderId = NoLeader;
        leaderTerm = 0;
        firstHeardMs = 0;
        electedMs = 0;
        term = Term;
        if (_raft is null || LeaderId != _identity.SelfId || !_leaders.TryGetSince(_identity.SelfId, term, out electedMs)
            || !_leaders.TryGetLastBefore(term, out leaderId, out leaderTerm, out firstHeardMs) || leaderId == _identity.SelfId)
        {
            leaderId = NoLeader;
            return false;
        }
        return true;
    }

    /// <summary>
    /// What this voter tells the leader with each lease renewal: its current term, the last leader it saw before that term
    /// with that leader's term, and how long ago it last read from that leader; <see cref="LeaderReport.None"/>
    /// on a learner or before it saw any leader.
    /// </summary>
    /// <remarks>
    /// The term is read first: from then on this voter refuses every message of an older term, so no leader of a term
    /// below it can be seen later, and the answer is complete for every term below the one sent. The silence is read
    /// last: every message of that leader this voter accepted (all of an older term) was read before, so it is covered.
    /// </remarks>
    public LeaderReport CurrentLeaderReport()
    {
        var term = Term;
        if (term <= 0 || !_leaders.TryGetLastBefore(term, out var lastLeader, out var lastLeaderTerm, out _))
            return LeaderReport.None;
        var silent = Environment.TickCount64 - LastContactMs(lastLeader);
        return new LeaderReport(term, lastLeader, lastLeaderTerm, (uint)Math.Clamp(silent, 0, LeaderReport.SilenceUnknown - 1));
    }

    /// <summary>Sends a committed state to every other member, without waiting for the answers.</summary>
    private void Push(ClusterState state)
    {
        var bytes = ClusterStateCodec.Encode(state);
        foreach (var member in state.Members.Members)
        {
            if (member.NodeId != _identity.SelfId && _peers.LinkTo(member.NodeId) is { } link)
                _ = PushAsync(link, member.NodeId, bytes);
        }
    }

    private async Task PushAsync(FrameSession link, ushort nodeId, byte[] bytes)
    {
        var result = await link.CallAsync(new ClusterStateRequest(Opcode.ClusterPush, bytes), ResponseShape.Status, _settings.RequestTimeout, nodeId).ConfigureAwait(false);
        if (result.IsError)
            ConsensusLog.PushFailed(_logger, _identity.SelfId, nodeId, result.ErrorMessage ?? result.Status.ToString());
    }

    private ushort IdOf(EndPoint endPoint)
    {
        foreach (var m in _cluster.Current.Members.Members)
        {
            if (ConsensusTransport.EndPointOf(m).Equals(endPoint))
                return m.NodeId;
        }
        return NoLeader;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _stateChanges.Dispose();
        WakeVoterLoop();
        await _following.ConfigureAwait(false);
        await _confirming.ConfigureAwait(false);
        await _memberTurn.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await StopMemberAsync(deleteLog: false).ConfigureAwait(false);
        }
        finally
        {
            _memberTurn.Release();
        }
        // _stopping is cancelled, not disposed: parts still stopping (the replication senders) may propose once more and
        // must hear "stopping", not ObjectDisposedException.
    }

    /// <summary>
    /// Stops and disposes this node's Raft member, if it runs one; its log folder is deleted when it was temporary or
    /// <paramref name="deleteLog"/> (a voter made a learner: its log is of no further use, and if it is made a voter
    /// again it starts from the leader's snapshot).
    /// </summary>
    private async Task StopMemberAsync(bool deleteLog)
    {
        if (Interlocked.Exchange(ref _raft, null) is { } raft)
        {
            raft.LeaderChanged -= OnLeaderChanged;
            try
            {
                await raft.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
            }
            await raft.DisposeAsync().ConfigureAwait(false);
        }
        if (_log is not null)
            await _log.DisposeAsync().ConfigureAwait(false);
        _log = null;
        if (_machine is not null)
            await _machine.DisposeAsync().ConfigureAwait(false);
        _machine = null;
        if (_transport.Listener is { } listener)
            await listener.DisposeAsync().ConfigureAwait(false);
        if ((_ownsFolder || deleteLog) && _folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        _folder = null;
    }
}
