using FastDht.Protocol;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// At a replica: the attempts each primary it copies has prepared and not ended, as the replication stream carries
/// them (<see cref="TxnPrepareRecord"/>, then an 'E' <see cref="TxnDecisionRecord"/>), so that a promotion installs
/// them again at the new primary and a transaction whose participant failed over is applied whole or not at all.
/// </summary>
/// <remarks>
/// Requirements: the primary votes yes only once every in-sync replica has its prepare record (the vote waits for the
/// stream like any acknowledged write), so an in-sync replica, the only kind ever promoted, holds every attempt its
/// primary voted for and had not ended. Design: a dictionary under one lock, keyed by (primary, transaction); records
/// arrive on a link's read loop and promotions are rare, so nothing here is on a client's path. An entry leaves when
/// its end arrives, when the primary resynchronizes this replica (its snapshot sends what is still prepared), when a
/// promotion takes it over, or when its keys no longer belong to that primary (<see cref="DropStale"/>).
/// </remarks>
internal sealed class ReplicatedPrepares
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ushort Primary, TxnId Txn), PreparedTxn> _attempts = [];

    /// <summary>How many attempts this node holds for its primaries.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _attempts.Count;
        }
    }

    /// <summary>Whether <paramref name="body"/> is a transaction record a primary may stream: a prepare, or the end of one.</summary>
    public static bool IsValid(ReadOnlySpan<byte> body) =>
        TxnPrepareRecord.TryRead(body, out _) || (TxnDecisionRecord.TryRead(body, out _, out var ended) && ended);

    /// <summary>Takes one transaction record from <paramref name="primary"/>'s stream (checked by <see cref="IsValid"/>).</summary>
    public void Apply(ushort primary, ReadOnlySpan<byte> body)
    {
        if (TxnPrepareRecord.TryRead(body, out var prepared))
        {
            lock (_lock)
                _attempts[(primary, prepared!.Id)] = prepared; // a later attempt replaces an earlier one
            return;
        }
        if (TxnDecisionRecord.TryRead(body, out var decision, out var ended) && ended)
        {
            lock (_lock)
            {
                if (_attempts.TryGetValue((primary, decision.Txn), out var open) && open.Attempt == decision.Attempt)
                    _attempts.Remove((primary, decision.Txn));
            }
        }
    }

    /// <summary>Forgets what <paramref name="primary"/> sent: it is about to resynchronize this node, and its snapshot carries what is still prepared.</summary>
    public void Forget(ushort primary)
    {
        lock (_lock)
        {
            foreach (var key in _attempts.Keys.ToArray())
            {
                if (key.Primary == primary)
                    _attempts.Remove(key);
            }
        }
    }

    /// <summary>
    /// The attempts <paramref name="oldPrimary"/> had prepared that write a key whose slot this node now serves
    /// (<paramref name="serves"/>), each with only those writes (fresh arrays: installing sets their tokens), taken out
    /// of this table; the writes to slots it does not serve stay for whoever serves them.
    /// </summary>
    public List<PreparedTxn> TakeOver(ushort oldPrimary, Func<int, bool> serves)
    {
        var taken = new List<PreparedTxn>();
        lock (_lock)
        {
            foreach (var (key, prepared) in _attempts.ToArray())
            {
                if (key.Primary != oldPrimary)
                    continue;
                var mine = new List<TxnWrite>();
                var rest = new List<TxnWrite>();
                foreach (var w in prepared.Writes)
                    (serves(KeySlot.Of(w.Key.Span)) ? mine : rest).Add(w);
                if (mine.Count == 0)
                    continue;
                taken.Add(new PreparedTxn(prepared.Id, prepared.Attempt, prepared.CoordinatorIncarnation, prepared.Participants, [.. mine], firstQueryAt: 0));
                if (rest.Count == 0)
                    _attempts.Remove(key);
                else
                    _attempts[key] = new PreparedTxn(prepared.Id, prepared.Attempt, prepared.CoordinatorIncarnation, prepared.Participants, [.. rest], firstQueryAt: 0);
            }
        }
        return taken;
    }

    /// <summary>Drops the attempts none of whose keys <paramref name="isPrimaryOf"/> still gives to the primary that sent them (it was replaced, or its slots moved).</summary>
    public void DropStale(Func<ushort, int, bool> isPrimaryOf)
    {
        lock (_lock)
        {
            foreach (var (key, prepared) in _attempts.ToArray())
            {
                var current = false;
                foreach (var w in prepared.Writes)
                    current |= isPrimaryOf(key.Primary, KeySlot.Of(w.Key.Span));
                if (!current)
                    _attempts.Remove(key);
            }
        }
    }
}
