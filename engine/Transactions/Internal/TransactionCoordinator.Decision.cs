using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Two-phase commit of an attempt whose locks are all taken: prepare (every participant votes and keeps its writes),
/// one decision, and its delivery to every participant until each has acknowledged it (docs/transactions.md).
/// </summary>
/// <remarks>
/// The coordinator decides commit only when every participant prepared. A commit decision is appended to the node's
/// write-ahead log and durable (when the node has one) before it is recorded in <see cref="TxnDecisions"/>, then
/// delivered in the background, across link loss and reconnection, until every participant acknowledged it or the
/// node stops. The client hears Ok only once every participant applied the commit (durably, when the node has a log),
/// so an acknowledged MultiPut survives the crash of any one node. With a data directory a participant's prepare is
/// durable before its vote (<see cref="TxnPrepareRecord"/>): one killed between its prepare and the commit installs its
/// part again at restart, and the delivery, which goes on across the restart, applies it. Without one, a participant
/// that restarts there has lost its part (it answers NotOwner) and the client is told so (InternalError).
/// </remarks>
internal sealed partial class TransactionCoordinator
{
    public int DecidingCount => _decisions.InFlightCount;

    /// <summary>Prepares every group, decides, delivers. Returns the attempt's step and whether a retry is safe (every abort acknowledged).</summary>
    private async Task<(TxnStep Step, bool MayRetry)> PrepareAndDecideAsync(CoordinatedTxn txn)
    {
        var attempt = AttemptOf(txn);
        var members = Members(txn);
        var incarnation = _incarnation;
        bool begun;
        lock (_decisions.SyncFor(txn.Id))
            begun = _decisions.TryBeginDeciding(txn.Id, attempt);
        var outcome = begun
            ? TxnStep.Ok
            : new TxnStep(StatusCode.Aborted, $"transaction {txn.Id} attempt {attempt} was presumed aborted by a participant's status query before it prepared");

        Task<ResponseResult>?[]? calls = null;
        var localPrepare = 0L; // the replication stream's position after this node's own prepare record (0: none)
        if (begun)
        {
            var firstQueryAt = FirstQueryAt();
            for (var i = 0; i < txn.Groups.Length; i++)
            {
                var g = txn.Groups[i];
                if (g.Node == Self)
                {
                    var step = _participant.Prepare(txn.Id, attempt, incarnation, members, g.BuildWrites(), firstQueryAt);
                    if (!step.IsOk && outcome.IsOk)
                        outcome = Unprepared(txn, g.Node, step);
                    else if (step.IsOk && _keyspace.Replication is { } stream)
                        localPrepare = stream.AppendedPosition;
                }
                else
                {
                    calls ??= new Task<ResponseResult>?[txn.Groups.Length];
                    calls[i] = CallAsync(g.Node, new TxnPrepareRequest(txn.WireId, attempt, incarnation, members, g.BuildWrites()));
                }
            }
        }
        if (calls is not null)
        {
            for (var i = 0; i < calls.Length; i++)
            {
                if (calls[i] is not { } call)
                    continue;
                var result = await call.ConfigureAwait(false);
                if (result.IsError && outcome.IsOk)
                    outcome = Unprepared(txn, txn.Groups[i].Node, new TxnStep(result.Status, result.ErrorMessage));
            }
        }

        // This node's own vote counts once its replicas have the prepare record, like a remote participant's: a replica
        // promoted after a commit was decided here then holds this part and installs it (ReplicatedPrepares).
        if (outcome.IsOk && localPrepare != 0 && !await ReplicatedWithinAsync(localPrepare).ConfigureAwait(false))
            outcome = new TxnStep(StatusCode.Timeout, $"transaction {txn.Id} could not be prepared at node {Self}: its replicas did not acknowledge the prepare within {_settings.TxnTimeout.TotalSeconds:0.###} s; nothing was written");
        // A coordinator whose log refuses writes (disk full, I/O error) cannot make a commit durable: it aborts, which
        // needs no record (an attempt without a commit decision is aborted, after a crash too).
        if (outcome.IsOk && _keyspace.Log is { IsWritable: false } failing)
            outcome = new TxnStep(StatusCode.LogUnavailable, $"transaction {txn.Id} cannot commit: node {Self}, its coordinator, cannot write its log ({failing.Failure?.Message ?? "closing"}); nothing was written");
        if (outcome.IsOk && !await LogCommitDecisionAsync(txn.Id, attempt).ConfigureAwait(false))
            outcome = new TxnStep(StatusCode.ShuttingDown, $"transaction {txn.Id}: the node stopped before its commit decision was on disk; nothing was committed");
        var decision = new TxnDecision(txn.Id, attempt, Commit: outcome.IsOk);
        lock (_decisions.SyncFor(txn.Id))
            _decisions.Decide(decision);
        var delivery = Deliver(txn, decision, members);
        if (decision.Commit)
            return (await ConfirmCommitAsync(txn, delivery).ConfigureAwait(false), false);
        var acknowledged = await WithinAsync(delivery.AllAcknowledged, _settings.ForwardTimeout).ConfigureAwait(false);
        return (outcome, acknowledged);
    }

    /// <summary>
    /// With a log, makes a commit decision durable before anyone can learn it (this node's status answers, the
    /// TxnCommits it sends): a coordinator that crashes after that still answers "committed" once restarted, so a
    /// participant never aborts what another already committed. False when the log closed first (the attempt aborts).
    /// </summary>
    private ValueTask<bool> LogCommitDecisionAsync(TxnId txn, ushort attempt)
    {
        if (_keyspace.Log is not { } log)
            return new ValueTask<bool>(true);
        Span<byte> record = stackalloc byte[TxnDecisionRecord.Size];
        TxnDecisionRecord.Write(record, new TxnDecision(txn, attempt, Commit: true));
        return log.WhenDurableAsync(log.AppendApplication(record));
    }

    /// <summary>Whether every in-sync replica acknowledged the stream up to <paramref name="position"/> within TxnTimeout (false: not, or the node stops).</summary>
    private async Task<bool> ReplicatedWithinAsync(long position)
    {
        var acknowledged = _keyspace.Replication!.WaitAsync(position);
        if (acknowledged.IsCompleted)
            return acknowledged.Result;
        var wait = acknowledged.AsTask();
        return await WithinAsync(wait, _settings.TxnTimeout).ConfigureAwait(false) && await wait.ConfigureAwait(false);
    }

    /// <summary>The participant list every TxnPrepare carries: each owner with the incarnation this node's link to it has now.</summary>
    private TxnMember[] Members(CoordinatedTxn txn)
    {
        var members = new TxnMember[txn.Groups.Length];
        for (var i = 0; i < members.Length; i++)
        {
            var node = txn.Groups[i].Node;
            var incarnation = node == Self ? _incarnation : _peers.IncarnationOf(node);
            members[i] = new TxnMember(node, incarnation);
        }
        return members;
    }

    private static TxnStep Unprepared(CoordinatedTxn txn, ushort node, TxnStep refusal) =>
        refusal.Status is StatusCode.Wounded or StatusCode.Aborted
            ? new TxnStep(refusal.Status, $"transaction {txn.Id} could not be prepared at node {node}: {refusal.Message}")
            : new TxnStep(refusal.Status, $"transaction {txn.Id} could not be prepared at node {node}; nothing was written: {refusal.Message}");

    /// <summary>Applies the decision to this node's own part at once and starts its delivery to every remote participant.</summary>
    private DecisionDelivery Deliver(CoordinatedTxn txn, TxnDecision decision, TxnMember[] members)
    {
        var remote = 0;
        foreach (var g in txn.Groups)
        {
            if (g.Node != Self)
                remote++;
        }
        var delivery = new DecisionDelivery(decision, remote);
        for (var i = 0; i < txn.Groups.Length; i++)
        {
            var g = txn.Groups[i];
            if (g.Node == Self)
            {
                var step = _participant.Decide(decision);
                if (!step.IsOk)
                {
                    TxnLog.Inconsistent(_logger, txn.Id.ToString(), decision.Attempt, step.Message ?? step.Status.ToString());
                    if (decision.Commit)
                        delivery.Refuse(Self, step.Message ?? step.Status.ToString());
                }
            }
            else
            {
                _ = DeliverToAsync(delivery, members[i], g.Keys);
            }
        }
        if (remote == 0)
            _decisions.EndInFlight(decision.Txn, decision.Attempt);
        return delivery;
    }

    /// <summary>
    /// Sends the decision to one participant until it acknowledges it, across link loss and reconnection; ends when the
    /// node stops. While the participant is unreachable and another node now serves every key of its part (a replica
    /// promoted in its place, which installed the part it had prepared), the decision goes to that node instead.
    /// </summary>
    private async Task DeliverToAsync(DecisionDelivery delivery, TxnMember member, ReadOnlyMemory<byte>[] keys)
    {
        var node = member.NodeId;
        var decision = delivery.Decision;
        var request = new TxnAttemptRequest(decision.Commit ? Opcode.TxnCommit : Opcode.TxnAbort, TxnIds.ToWire(decision.Txn), decision.Attempt);
        var stopping = _stopping;
        for (var tries = 0; ; tries++)
        {
            // A participant that restarted since it prepared gets the decision too: with a data directory it installed
            // its prepared part again from its log and applies it now; without one it answers NotOwner (lost).
            var link = _peers.LinkTo(node);
            var target = node;
            if (link is null && SuccessorOf(keys, node) is { } successor)
            {
                target = successor;
                link = successor == Self ? null : _peers.LinkTo(successor);
            }
            var result = target == Self
                ? DecideHere(decision)
                : link is null
                    ? new ResponseResult(StatusCode.NodeUnavailable, null, _peers.UnavailableMessage(target))
                    : await link.CallAsync(request, ResponseShape.Status, _settings.ForwardTimeout, target).ConfigureAwait(false);
            if (target != node && result.Status == StatusCode.NotOwner)
            {
                // The successor has not installed the part yet (the promotion reaches it after it reached this node):
                // it will, or its resolver asks this node; either way the decision is applied there. Ask again later.
                result = new ResponseResult(StatusCode.NodeUnavailable, null, $"node {target} does not hold the part of node {node} yet: {result.ErrorMessage}");
            }
            else if (decision.Commit && result.Status == StatusCode.NotOwner)
            {
                TxnLog.Inconsistent(_logger, decision.Txn.ToString(), decision.Attempt, $"node {node} lost its prepared part of a committed transaction: {result.ErrorMessage}");
                if (delivery.Lose(node))
                    _decisions.EndInFlight(decision.Txn, decision.Attempt);
                return;
            }
            if (!result.IsError || result.Status == StatusCode.InternalError)
            {
                // InternalError: the participant holds the opposite decision or lost a prepared lock. Retrying cannot
                // change that; it is logged there and here, and a refused commit is never reported to the client as Ok.
                if (result.IsError)
                {
                    TxnLog.Inconsistent(_logger, decision.Txn.ToString(), decision.Attempt, $"node {node} refused the {(decision.Commit ? "commit" : "abort")}: {result.ErrorMessage}");
                    if (decision.Commit)
                        delivery.Refuse(node, result.ErrorMessage);
                }
                if (delivery.Acknowledge())
                    _decisions.EndInFlight(decision.Txn, decision.Attempt);
                return;
            }
            if (stopping.IsCancellationRequested)
                return;
            TxnLog.DeliveryRetry(_logger, decision.Txn.ToString(), decision.Attempt, decision.Commit ? "commit" : "abort", node, result.ErrorMessage ?? result.Status.ToString());
            try
            {
                await Task.Delay(_deliveryBackoff.Delay(tries), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The one node other than <paramref name="participant"/> that serves every key of its part now (null: none, or several).</summary>
    private ushort? SuccessorOf(ReadOnlyMemory<byte>[] keys, ushort participant)
    {
        var state = _cluster.Current;
        var owner = state.OwnerOf(keys[0].Span);
        for (var i = 1; i < keys.Length; i++)
        {
            if (state.OwnerOf(keys[i].Span) != owner)
                return null;
        }
        return owner == participant ? null : owner;
    }

    /// <summary>Applies a decision to a part this node installed as a promoted replica; its step as a response.</summary>
    private ResponseResult DecideHere(in TxnDecision decision)
    {
        var step = _participant.Decide(decision);
        return step.IsOk ? new ResponseResult(StatusCode.Ok, null, null) : new ResponseResult(step.Status, null, step.Message);
    }

    /// <summary>Waits until every participant applied the commit; bounded by TxnTimeout, then an in-doubt Timeout.</summary>
    private async Task<TxnStep> ConfirmCommitAsync(CoordinatedTxn txn, DecisionDelivery delivery)
    {
        if (!await WithinAsync(delivery.AllAcknowledged, _settings.TxnTimeout).ConfigureAwait(false))
        {
            return TxnStep.AfterCommit(StatusCode.Timeout,
                $"transaction {txn.Id} is in doubt: it is decided commit and every participant prepared it, but not every node confirmed it within {_settings.TxnTimeout.TotalSeconds:0.###} s (the node's TxnTimeout); it will be applied everywhere once they are reachable (a participant with a data directory keeps its part across a restart)");
        }
        if (delivery.Refused is { } refused)
        {
            return TxnStep.AfterCommit(StatusCode.InternalError,
                $"transaction {txn.Id} is decided commit and applied, except where it was refused: {refused}");
        }
        if (delivery.Lost is { } lost)
        {
            return TxnStep.AfterCommit(StatusCode.InternalError,
                $"transaction {txn.Id} is decided commit and applied, except at {lost}: it restarted without a data directory after it prepared and before it applied its part, which was only in memory");
        }
        return TxnStep.Ok;
    }

    private static async Task<bool> WithinAsync(Task task, TimeSpan limit)
    {
        if (task.IsCompleted)
            return true;
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>What this node knows of an attempt: as its coordinator (in flight here), else as a participant (TxnStatus).</summary>
    public TxnOutcome Status(TxnId txn, ushort attempt)
    {
        lock (_decisions.SyncFor(txn))
        {
            if (txn.NodeId == Self)
            {
                if (_decisions.TryGetInFlight(txn, out var current, out var commit))
                {
                    if (current == attempt)
                        return commit is null ? TxnOutcome.Prepared : commit.Value ? TxnOutcome.Committed : TxnOutcome.Aborted;
                    if (current > attempt)
                        return TxnOutcome.Aborted; // a later attempt began: this one was decided abort first
                }
                if (_active.TryGetValue(txn, out var active) && active.Attempt > attempt)
                    return TxnOutcome.Aborted;
            }
            return _participant.StatusLocked(txn, attempt);
        }
    }

    /// <summary>A remote coordinator's TxnPrepare: copies the writes and the participant list out of the frame and votes.</summary>
    public TxnStep OnPrepare(TxnId txn, ushort attempt, ulong coordinatorIncarnation, in TxnMemberList participants, in TxnWriteList writes)
    {
        var members = new TxnMember[participants.Count];
        for (var i = 0; i < members.Length; i++)
            members[i] = participants[i];
        var copies = new TxnWrite[writes.Count];
        var k = 0;
        foreach (var w in writes)
        {
            if (_cluster.Current.OwnerOf(w.Key) != Self)
                return new TxnStep(StatusCode.WrongNode, $"node {Self} does not own every key of this TxnPrepare (node {_cluster.Current.OwnerOf(w.Key)} does)");
            copies[k++] = new TxnWrite(w.Key.ToArray(), w.Value.ToArray(), w.FenceToken, w.Kind, w.ExpiresAt, w.Type);
        }
        return _participant.Prepare(txn, attempt, coordinatorIncarnation, members, copies, FirstQueryAt());
    }

    private static ushort AttemptOf(CoordinatedTxn txn) => (ushort)Math.Min(txn.Attempt, ushort.MaxValue);

    private long FirstQueryAt() => Environment.TickCount64 + (long)_settings.PeerTimeout.TotalMilliseconds;
}
