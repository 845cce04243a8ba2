using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// The uncertain participant's side: an attempt prepared here whose decision does not arrive is asked about (TxnStatus)
/// at its coordinator and at the other participants, with backoff, while its locks stay held.
/// </summary>
/// <remarks>
/// <para>
/// Who may end it (docs/transactions.md, "Who decides"), from the answers of one round:
/// - any node that applied the commit: commit (only a commit decision makes a node say Committed);
/// - the coordinator in the incarnation that prepared this attempt: its Committed/Aborted, or NotPrepared (it keeps
///   every attempt it decides in flight until all participants acknowledged, so "no record" means never decided
///   commit): abort;
/// - another participant, in the incarnation the prepare listed, that aborted or never prepared (it now refuses the
///   prepare for good): abort;
/// - the coordinator restarted (another incarnation: it lost what was in flight and can never deliver a commit it did
///   not log) and every other participant answered Prepared (in any incarnation: a restarted one answers Prepared
///   only for a part it installed again from its log): nobody applied a commit and nobody ever will: abort. The
///   client was not told Ok either: that needs a remote participant to have applied the commit. (A coordinator with a
///   log answers Committed after a restart for every commit it decided: the decision is logged before it leaves.)
/// Anything else (the coordinator silent, a participant unreachable, restarted or unsure) keeps the attempt prepared.
/// </para>
/// <para>A node that restarted answers from an empty memory, so its "aborted" or "never prepared" is not believed.</para>
/// </remarks>
internal sealed partial class TransactionCoordinator
{
    private readonly Locking.BackoffPolicy _deliveryBackoff = new(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1), Locking.BackoffJitter.Equal);
    private Task _resolver = Task.CompletedTask;

    /// <summary>Starts the loop that resolves uncertain prepared attempts; it ends when the node stops.</summary>
    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
            _resolver = ResolveLoopAsync();
    }

    /// <summary>Waits for the resolver loop to end (after the node's stopping token fired).</summary>
    public Task StopAsync() => _resolver;

    private async Task ResolveLoopAsync()
    {
        // A quarter of the peer timeout (20 ms to 1 s): an attempt is first asked about one peer timeout after its
        // prepare, so the scan adds at most a quarter to that and costs nothing while nothing is prepared.
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(_settings.PeerTimeout.TotalMilliseconds / 4, 20, 1000));
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping).ConfigureAwait(false))
            {
                if (_participant.PreparedCount == 0)
                    continue;
                var now = Environment.TickCount64;
                foreach (var prepared in _participant.Prepared)
                {
                    if (prepared.NextQueryAt <= now && prepared.TryBeginResolving())
                        _ = ResolveAsync(prepared);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ResolveAsync(PreparedTxn prepared)
    {
        try
        {
            if (prepared.Queries == 0)
                TxnLog.Uncertain(_logger, prepared.Id.ToString(), prepared.Attempt);
            var (commit, source) = await AskAsync(prepared).ConfigureAwait(false);
            if (commit is { } outcome)
            {
                var step = _participant.Decide(new TxnDecision(prepared.Id, prepared.Attempt, outcome));
                if (step.IsOk)
                    TxnLog.Resolved(_logger, prepared.Id.ToString(), prepared.Attempt, source, outcome ? "commit" : "abort");
                else
                    TxnLog.Inconsistent(_logger, prepared.Id.ToString(), prepared.Attempt, step.Message ?? step.Status.ToString());
                return;
            }
            // Capped exponential: one peer timeout doubling to eight, so a long outage costs a query every few seconds.
            var peerTimeout = (long)_settings.PeerTimeout.TotalMilliseconds;
            prepared.Queries++;
            prepared.NextQueryAt = Environment.TickCount64 + Math.Min(peerTimeout << Math.Min(prepared.Queries, 3), peerTimeout * 8);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            TxnLog.Inconsistent(_logger, prepared.Id.ToString(), prepared.Attempt, $"asking about the outcome failed: {e.Message}");
        }
        finally
        {
            prepared.EndResolving();
        }
    }

    /// <summary>One query round; the decision it allows (null: keep waiting) and who it came from.</summary>
    private async Task<(bool? Commit, string Source)> AskAsync(PreparedTxn prepared)
    {
        var coordinator = prepared.Id.NodeId;
        var wire = TxnIds.ToWire(prepared.Id);
        var participants = prepared.Participants;
        var answers = new Task<(bool Answered, TxnOutcome Outcome, ulong Incarnation)>[participants.Length + 1];
        answers[0] = AskOneAsync(coordinator, wire, prepared);
        for (var i = 0; i < participants.Length; i++)
        {
            var node = participants[i].NodeId;
            answers[i + 1] = node == Self || node == coordinator
                ? Task.FromResult((false, TxnOutcome.Unknown, 0UL))
                : AskOneAsync(node, wire, prepared);
        }
        await Task.WhenAll(answers).ConfigureAwait(false);

        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i].Result is { Answered: true, Outcome: TxnOutcome.Committed })
                return (true, $"node {(i == 0 ? coordinator : participants[i - 1].NodeId)}");
        }
        var (answered, outcome, incarnation) = answers[0].Result;
        var coordinatorGone = answered && incarnation != prepared.CoordinatorIncarnation;
        if (answered && !coordinatorGone)
        {
            if (outcome is TxnOutcome.Aborted or TxnOutcome.NotPrepared)
                return (false, $"the coordinator, node {coordinator}");
        }
        var othersAllPrepared = true;
        for (var i = 0; i < participants.Length; i++)
        {
            var member = participants[i];
            if (member.NodeId == Self || member.NodeId == coordinator)
                continue;
            var answer = answers[i + 1].Result;
            var sameIncarnation = answer.Answered && answer.Incarnation == member.Incarnation;
            if (sameIncarnation && answer.Outcome is TxnOutcome.Aborted or TxnOutcome.NotPrepared)
                return (false, $"participant node {member.NodeId}");
            // Prepared in any incarnation: a restarted participant that answers so installed its part again from
            // its log and has applied no commit either.
            if (!answer.Answered || answer.Outcome != TxnOutcome.Prepared)
                othersAllPrepared = false;
        }
        if (coordinatorGone && othersAllPrepared)
            return (false, $"the restarted coordinator, node {coordinator}, and every other participant still prepared");
        return (null, "");
    }

    private async Task<(bool Answered, TxnOutcome Outcome, ulong Incarnation)> AskOneAsync(ushort node, Protocol.TxnId wire, PreparedTxn prepared)
    {
        if (node == Self)
            return (true, Status(prepared.Id, prepared.Attempt), _incarnation);
        var link = _peers.LinkTo(node);
        if (link is null)
            return (false, TxnOutcome.Unknown, 0);
        var result = await link.CallAsync(new TxnAttemptRequest(Opcode.TxnStatus, wire, prepared.Attempt), ResponseShape.Body, _settings.ForwardTimeout, node).ConfigureAwait(false);
        if (result.IsError || result.Payload is null || !ResponseDecoder.TryReadTxnStatus(result.Payload, out var outcome, out var incarnation, out _))
            return (false, TxnOutcome.Unknown, 0);
        return (true, outcome, incarnation);
    }
}
