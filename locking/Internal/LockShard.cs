namespace FastDht.Locking.Internal;

/// <summary>One shard of the lock table: a lock, the entries whose key hashes here, and a free list of entries.</summary>
internal sealed class LockShard
{
    // 32 spare entries per shard: with 64 shards that keeps about 2k entries warm, plenty for steady churn.
    private const int MaxFreeEntries = 32;

    private readonly Stack<LockEntry> _free = new();

    public LockShard()
    {
        Entries = new Dictionary<byte[], LockEntry>(ByteKeyComparer.Instance);
        Lookup = Entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public readonly Lock Sync = new();

    public Dictionary<byte[], LockEntry> Entries { get; }

    public Dictionary<byte[], LockEntry>.AlternateLookup<ReadOnlySpan<byte>> Lookup { get; }

    /// <summary>No lease or wait in this shard ends before this timestamp (a lower bound; long.MaxValue = none).</summary>
    public long NextDeadline = long.MaxValue;

    /// <summary>Set under the lock by <see cref="LockTable.Dispose"/>.</summary>
    public bool Disposed;

    public LockEntry CreateEntry(ReadOnlySpan<byte> key)
    {
        LockEntry entry = _free.Count > 0 ? _free.Pop() : new LockEntry(this);

        // A recycled entry keeps its key array when the lengths match (fixed-size keys are common), so a
        // steady acquire/release cycle allocates nothing. Safe: the entry left the dictionary before reuse.
        if (entry.Key.Length == key.Length)
        {
            key.CopyTo(entry.Key);
        }
        else
        {
            entry.Key = key.ToArray();
        }

        Entries.Add(entry.Key, entry);
        return entry;
    }

    /// <summary>Drops an entry with no holder and no waiter, keeping it for reuse.</summary>
    public void RemoveIfIdle(LockEntry entry)
    {
        if (entry.IsIdle && Entries.Remove(entry.Key))
        {
            entry.Reset();
            if (_free.Count < MaxFreeEntries)
            {
                _free.Push(entry);
            }
        }
    }

    public void NoteDeadline(long deadline)
    {
        if (deadline < NextDeadline)
        {
            Volatile.Write(ref NextDeadline, deadline);
        }
    }
}
