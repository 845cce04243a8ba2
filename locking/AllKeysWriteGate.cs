namespace FastDht.Locking;

/// <summary>Every key's write gate held at once (<see cref="LockTable.EnterAllWriteGates"/>); dispose to release them all.</summary>
public readonly ref struct AllKeysWriteGate
{
    private readonly LockTable _table;

    internal AllKeysWriteGate(LockTable table)
    {
        _table = table;
    }

    /// <summary>Releases every shard, in reverse order.</summary>
    public void Dispose() => _table.ExitAllWriteGates();
}
