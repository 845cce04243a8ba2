using FastDht.Locking.Internal;

namespace FastDht.Locking;

public sealed partial class LockTable
{
    /// <summary>
    /// Releases every lock whose lease has ended (except prepared ones: see <see cref="MarkPrepared"/>) and aborts every wait past its limit (with
    /// <see cref="LockAbortReason.TimedOut"/>), then wakes the waiters that can go. The expiry timer calls
    /// this; tests call it after moving a fake clock. A shard with nothing due is skipped without taking
    /// its lock. Returns the number of locks released.
    /// </summary>
    public int ExpireLeases()
    {
        int released = 0;
        long now = _time.GetTimestamp();
        foreach (LockShard shard in _shards)
        {
            if (Volatile.Read(ref shard.NextDeadline) > now)
            {
                continue;
            }

            lock (shard.Sync)
            {
                long next = long.MaxValue;
                foreach (KeyValuePair<byte[], LockEntry> pair in shard.Entries)
                {
                    LockEntry entry = pair.Value;
                    for (LockWaiter? w = entry.Head; w is not null;)
                    {
                        LockWaiter? following = w.Next;
                        if (w.Deadline <= now)
                        {
                            entry.Unlink(w);
                            Complete(w, LockResult.Aborted(LockAbortReason.TimedOut));
                        }

                        w = following;
                    }

                    for (int i = entry.HolderCount - 1; i >= 0; i--)
                    {
                        if (entry.Holders[i].LeaseDeadline <= now && !entry.Holders[i].Record.IsPrepared)
                        {
                            RemoveHolder(entry, i);
                            released++;
                        }
                    }

                    GrantWaiters(entry, now);

                    for (int i = 0; i < entry.HolderCount; i++)
                    {
                        // A prepared hold has no deadline until its decision; counting it would rescan this shard on every tick.
                        if (!entry.Holders[i].Record.IsPrepared)
                        {
                            next = Math.Min(next, entry.Holders[i].LeaseDeadline);
                        }
                    }

                    for (LockWaiter? w = entry.Head; w is not null; w = w.Next)
                    {
                        next = Math.Min(next, w.Deadline);
                    }

                    shard.RemoveIfIdle(entry);
                }

                Volatile.Write(ref shard.NextDeadline, next);
            }
        }

        return released;
    }
}
