using FastDht.Locking.Internal;

namespace FastDht.Locking;

// Design: why a plain write holds the key's lock-table shard while it is applied.
// Requirement: a write that does not belong to a transaction is refused while any transaction holds the key
// (docs/locking.md, "plain writes"), and the refusal must be exact: a check followed later by the write would let a
// lock be granted in between, so that a transaction that checked "absent" under its lock (MSETNX) or read under a
// shared lock (MGET) sees a value change under it. Holding the shard lock from the check to the end of the write
// makes the pair atomic against every grant of that key, because a grant takes the same shard lock.
// Cost: one uncontended lock enter and exit per write, the same as the IsLocked check it replaces.
// Rules for the holder: apply the store write and nothing else; never wait, never call back into the lock table for
// another key (that would take a second shard lock, which the table's lock order forbids).

/// <summary>One key's lock state, held still while a write to that key is decided and applied; dispose to release.</summary>
public readonly ref struct KeyWriteGate
{
    private readonly Lock.Scope _scope;
    private readonly LockEntry? _entry;

    internal KeyWriteGate(LockShard shard, ReadOnlySpan<byte> key)
    {
        _scope = shard.Sync.EnterScope();
        shard.Lookup.TryGetValue(key, out _entry);
    }

    /// <summary>True when some transaction holds the key, in any mode.</summary>
    public bool IsLocked => _entry is { HolderCount: > 0 };

    /// <summary>True when the key's exclusive holder was granted exactly <paramref name="fencingToken"/> (a fenced client write).</summary>
    public bool IsFencedBy(long fencingToken) =>
        _entry is { HolderCount: > 0 } entry
        && entry.Holders[0].Mode == LockMode.Exclusive
        && entry.Holders[0].Token == fencingToken;

    /// <summary>True when <paramref name="txn"/> holds the key exclusively under exactly <paramref name="fencingToken"/> (a transaction's commit).</summary>
    public bool IsFencedBy(TxnId txn, long fencingToken)
    {
        if (_entry is not { } entry)
            return false;
        int index = entry.FindHolder(txn);
        return index >= 0 && entry.Holders[index].Mode == LockMode.Exclusive && entry.Holders[index].Token == fencingToken;
    }

    /// <summary>Releases the key's shard: grants may proceed again.</summary>
    public void Dispose() => _scope.Dispose();
}
