namespace FastDht.Storage;

/// <summary>A store's key and byte counts at one moment, with an estimate of the memory it holds.</summary>
/// <param name="Keys">Keys held.</param>
/// <param name="KeyBytes">Sum of the keys' lengths.</param>
/// <param name="ValueBytes">Sum of the values' lengths.</param>
/// <param name="EstimatedBytes">
/// Managed memory the store holds, overhead included: entry objects (array header, length prefix,
/// alignment), index slots and tags, and per-shard objects. Does not count snapshots that callers
/// still hold after the store dropped them.
/// </param>
/// <param name="IndexSlots">Slots in all index tables (capacity, not keys).</param>
/// <param name="Tombstones">Slots that mark a deleted key until the next rehash.</param>
/// <param name="KeysWithExpiry">Keys whose entry carries an expiry time (Redis INFO keyspace's <c>expires</c>).</param>
public readonly record struct StoreStats(
    long Keys,
    long KeyBytes,
    long ValueBytes,
    long EstimatedBytes,
    long IndexSlots,
    long Tombstones,
    long KeysWithExpiry = 0);
