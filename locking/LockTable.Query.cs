using FastDht.Locking.Internal;

namespace FastDht.Locking;

public sealed partial class LockTable
{
    /// <summary>True when <paramref name="txn"/> holds <paramref name="key"/> in any mode. Allocates nothing.</summary>
    /// <remarks>A participant checks it before serving a transactional read, so only a holder reads under its lock.</remarks>
    public bool IsHeldBy(ReadOnlySpan<byte> key, TxnId txn)
    {
        LockShard shard = ShardFor(key);
        lock (shard.Sync)
        {
            return shard.Lookup.TryGetValue(key, out LockEntry? entry) && entry.FindHolder(txn) >= 0;
        }
    }
}
