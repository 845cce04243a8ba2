namespace FastDht.Storage;

/// <summary>Settings for a <see cref="ShardedStore"/>.</summary>
public sealed class StoreOptions
{
    /// <summary>The largest shard count accepted: more shards than this only waste memory.</summary>
    public const int MaxShardCount = 4096;

    /// <summary>Number of hash slots keys are grouped into: 16384, Redis Cluster's count.</summary>
    public const int SlotCount = 16384;

    /// <summary>Number of independently locked shards; 0 chooses one from the processor count.</summary>
    /// <remarks>
    /// Defaults to 0 (auto). Must be 0 or a power of two from 1 to <see cref="MaxShardCount"/>:
    /// the shard is picked from hash bits with a mask. Auto picks
    /// <c>RoundUpToPowerOf2(8 × Environment.ProcessorCount)</c>, clamped to [8, 4096] (16 on a
    /// 2-core machine). Why 8 per core: at most about one writer runs per core, so a write finds its
    /// shard's lock held with probability about (writers − 1) / shards, under 1/8; and a resize,
    /// which holds one shard's lock while it copies, stalls at most 1/shards of the key space.
    /// Readers never lock, so the count matters only for writers.
    /// </remarks>
    public int ShardCount { get; set; }

    /// <summary>Keys each shard holds before its first resize.</summary>
    /// <remarks>
    /// Defaults to 64 (about 1 KiB of index per shard). A shard never shrinks below this, so
    /// presizing for a known load (keys / shard count) avoids every resize. Must be 1 or more.
    /// </remarks>
    public int InitialCapacity { get; set; } = 64;

    /// <summary>Maps a key to its hash slot; <see langword="null"/> derives the slot from the store's own key hash.</summary>
    /// <remarks>
    /// Defaults to <see langword="null"/>: slots are then 14 bits of the store's seeded XXH3 hash,
    /// which costs nothing extra per operation but is not Redis Cluster's slot (and differs between
    /// processes). A node passes Redis Cluster's function (CRC16 of the key or its hash tag, mod
    /// 16384) so that the store's slots are the cluster's; every operation then calls it once.
    /// Shards are chosen by slot, so all keys of a slot share a shard: a workload that puts most keys
    /// into one slot (one hash tag) puts them into one shard, whose writers then share one lock. The
    /// function must return a value in [0, <see cref="SlotCount"/>) and never change its answer for a key.
    /// </remarks>
    public KeySlotFunction? SlotFunction { get; set; }

    internal int ResolveShardCount()
    {
        if (ShardCount == 0)
        {
            int wanted = Math.Clamp(8 * Environment.ProcessorCount, 8, MaxShardCount);
            return (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)wanted);
        }

        if (ShardCount < 0 || ShardCount > MaxShardCount || !int.IsPow2(ShardCount))
        {
            Internal.Throw.ArgumentOutOfRange(nameof(ShardCount), "ShardCount must be 0 (auto) or a power of two from 1 to 4096.");
        }

        return ShardCount;
    }

    internal int ResolveInitialCapacity()
    {
        if (InitialCapacity < 1)
        {
            Internal.Throw.ArgumentOutOfRange(nameof(InitialCapacity), "InitialCapacity must be 1 or more.");
        }

        return InitialCapacity;
    }
}
