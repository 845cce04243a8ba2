namespace FastDht.Storage.Internal;

/// <summary>Running sums that <see cref="Shard.AddStats"/> adds each shard's figures to.</summary>
internal struct StatsTotals
{
    public long Keys;
    public long KeyBytes;
    public long ValueBytes;
    public long EstimatedBytes;
    public long Slots;
    public long Tombstones;
    public long Expiring;
}
