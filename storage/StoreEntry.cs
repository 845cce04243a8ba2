namespace FastDht.Storage;

/// <summary>One key as an enumeration reports it: key, value snapshot, metadata and slot, all without copying.</summary>
/// <remarks>
/// <see cref="Key"/> and <see cref="Value"/> are slices of the store's immutable entry, so they can be
/// held as long as the caller likes, and <see cref="Value"/> is the snapshot that
/// <see cref="IKeyValueStore.TryReplace(ReadOnlySpan{byte}, ReadOnlyMemory{byte}, ReadOnlySpan{byte})"/> and
/// <see cref="IKeyValueStore.TryDelete(ReadOnlySpan{byte}, ReadOnlyMemory{byte})"/> compare against.
/// </remarks>
/// <param name="Key">The key bytes.</param>
/// <param name="Value">The value snapshot current when the enumeration read the key.</param>
/// <param name="Metadata">The metadata stored with that value.</param>
/// <param name="Slot">The key's hash slot.</param>
public readonly record struct StoreEntry(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value, EntryMetadata Metadata, int Slot);
