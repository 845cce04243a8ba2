namespace FastDht.Locking;

/// <summary>Every key's write gate held at once (<see cref="LockTable.EnterAllWriteGates"/>); dispose to release them all.</summary>
public readonly ref struct AllKeysWriteGate
{
    private readonly LockTable _table;

    internal AllKeysWriteGate(LockTable table)
    {
        _table = table;
    }

    /// <summary>
    /// Whether some key that <paramref name="matches"/> is held or waited for by a transaction. Exact: every shard is
    /// held, so no grant, release or wait can happen while it looks (a slot move checks that its slots' locks have
    /// drained before it hands them over). Costs one predicate call per key in the table.
    /// </summary>
    public bool AnyLockOn(KeyPredicate matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        return _table.AnyLockOnWhileAllGatesHeld(matches);
    }

    /// <summary>Releases every shard, in reverse order.</summary>
    public void Dispose() => _table.ExitAllWriteGates();
}
