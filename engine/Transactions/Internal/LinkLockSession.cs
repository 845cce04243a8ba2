using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// The lock-table session of one peer link: the locks a peer's coordinator takes here through the link end with it.
/// <see cref="Close"/> marks the session closed and only then releases what it holds and ends its waits; a lock batch
/// still running on it (a wait granted, or a key taken, after the close's release passed) sees the mark and releases
/// again (<see cref="TxnParticipant.LockAsync(TxnId, LockMode, TimeSpan, int, LinkLockSession, ReadOnlyMemory{byte}[], long[])"/>),
/// so nothing taken through a closed link outlives it.
/// </summary>
/// <remarks>
/// Why one of the two always sees the other: the release takes each shard's lock after the mark is set, and a batch
/// takes a key or queues its wait under that shard's lock before it reads the mark. If the release reached the shard
/// first, the batch's lock section comes after it, and so does its read of the mark.
/// </remarks>
internal sealed class LinkLockSession
{
    private readonly LockTable _table;
    private int _closed;

    public LinkLockSession(LockTable table, long id)
    {
        _table = table;
        Id = id;
    }

    /// <summary>The session id the link's locks are taken under (the link's own).</summary>
    public long Id { get; }

    /// <summary>Whether <see cref="Close"/> has begun.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The link closed: marks the session, then releases its locks and ends its waits (prepared holds stay). Returns how many locks it released.</summary>
    public int Close()
    {
        // A full fence: the mark is visible before the release takes its first shard lock.
        Interlocked.Exchange(ref _closed, 1);
        return _table.ReleaseSession(Id);
    }

    /// <summary>A batch took a key or queued a wait after the mark: releases again what the close's release may have passed.</summary>
    public int ReleaseLate() => _table.ReleaseSession(Id);
}
