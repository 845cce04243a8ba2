namespace FastDht.Storage;

/// <summary>Maps a key to its hash slot, in [0, <see cref="StoreOptions.SlotCount"/>).</summary>
/// <remarks>
/// The engine passes Redis Cluster's function (CRC16 of the key or its hash tag, mod 16384); the
/// store depends on no other assembly of ours, so it takes the function rather than knowing it.
/// It must be pure: the same key always maps to the same slot for the life of the store.
/// </remarks>
public delegate int KeySlotFunction(ReadOnlySpan<byte> key);
