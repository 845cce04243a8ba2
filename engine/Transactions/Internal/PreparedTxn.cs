using FastDht.Protocol;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// An attempt this node prepared and has no decision for yet: its writes (copied, so it can apply them without the
/// coordinator), who else takes part, and when to ask about its outcome.
/// </summary>
internal sealed class PreparedTxn
{
    private int _resolving;

    public PreparedTxn(TxnId id, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, TxnWrite[] writes, long firstQueryAt)
    {
        Id = id;
        Attempt = attempt;
        CoordinatorIncarnation = coordinatorIncarnation;
        Participants = participants;
        Writes = writes;
        NextQueryAt = firstQueryAt;
    }

    public TxnId Id { get; }

    public ushort Attempt { get; }

    /// <summary>The coordinator's incarnation when it sent the prepare: a different one later means it restarted and forgot.</summary>
    public ulong CoordinatorIncarnation { get; }

    public TxnMember[] Participants { get; }

    /// <summary>This node's writes of the attempt, each with the fencing token its lock was granted.</summary>
    public TxnWrite[] Writes { get; }

    /// <summary>When (Environment.TickCount64) the resolver asks about the outcome next, unless the decision came first.</summary>
    public long NextQueryAt { get; set; }

    /// <summary>How many times the resolver asked without learning the outcome: its backoff.</summary>
    public int Queries { get; set; }

    /// <summary>Claims the resolver's turn: false when a query round for this attempt is already running.</summary>
    public bool TryBeginResolving() => Interlocked.CompareExchange(ref _resolving, 1, 0) == 0;

    public void EndResolving() => Volatile.Write(ref _resolving, 0);
}
