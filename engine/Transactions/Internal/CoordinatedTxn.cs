using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// A transaction this node coordinates: its id (kept across retries), its keys grouped by owner, and the state a
/// wound notification races with.
/// </summary>
/// <remarks>
/// A wound (or a failed participant) during the lock phase must end the transaction's waits at every participant,
/// which only a TxnAbort does. Such an abort is started under <see cref="_sync"/> and remembered; the attempt awaits it
/// before it ends, so an abort of attempt n can never land during attempt n+1 and release locks it already prepared.
/// A wound that comes after that abort has completed, while the attempt still waits for a lock call, starts it again:
/// a wait began at a participant after the abort passed (a TxnLock the TxnAbort overtook on the link), and the wound
/// says it matters. Under "detect" the deadlock detector names a victim every round while its cycle lasts, and before
/// this the wounds were dropped: the cycle lasted until the lock call timed out at the transaction's deadline.
/// </remarks>
internal sealed class CoordinatedTxn
{
    private readonly Lock _sync = new();
    private bool _locking;
    private Task? _abort;
    private int _wounded;

    public CoordinatedTxn(TxnId id, LockMode mode, TxnGroup[] groups, int keyCount)
    {
        Id = id;
        WireId = TxnIds.ToWire(id);
        Mode = mode;
        Groups = groups;
        KeyCount = keyCount;
    }

    public TxnId Id { get; }

    public Protocol.TxnId WireId { get; }

    public LockMode Mode { get; }

    public TxnGroup[] Groups { get; }

    public int KeyCount { get; }

    public int Attempt { get; set; }

    public bool IsWounded => Volatile.Read(ref _wounded) != 0;

    public void BeginLocking()
    {
        lock (_sync)
        {
            _locking = true;
            _abort = null;
            Volatile.Write(ref _wounded, 0);
        }
    }

    /// <summary>Ends the lock phase; returns the abort a wound or a failure started during it, if any, to be awaited.</summary>
    public Task? EndLocking()
    {
        lock (_sync)
        {
            _locking = false;
            return _abort;
        }
    }

    /// <summary>
    /// Aborts the attempt everywhere if it is still taking locks: once, and again for a wound that comes after that
    /// abort completed (one abort in flight at a time). A wound also marks the attempt.
    /// </summary>
    public void TriggerAbort(Func<CoordinatedTxn, Task> abortAll, bool wound)
    {
        lock (_sync)
        {
            if (wound)
                Volatile.Write(ref _wounded, 1);
            if (_locking && (_abort is null || (wound && _abort.IsCompleted)))
                _abort = abortAll(this);
        }
    }
}
