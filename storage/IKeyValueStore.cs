namespace FastDht.Storage;

/// <summary>A concurrent map from byte keys to byte values: the storage abstraction the engine uses.</summary>
/// <remarks>
/// <para>
/// Every method is safe to call from many threads at once, and every single-key operation is
/// linearizable: it takes effect at one instant between its call and its return.
/// </para>
/// <para>
/// A value handed out (by <see cref="TryGet"/>, <see cref="TryGetAndPut"/>) is an immutable
/// snapshot: it stays valid and unchanged after any later overwrite or delete of its key, and it
/// is never recycled. Callers may hold it as long as they like; it is ordinary GC memory.
/// </para>
/// </remarks>
public interface IKeyValueStore
{
    /// <summary>The number of keys held (a sum over independent parts; exact when no write is in flight).</summary>
    long Count { get; }

    /// <summary>Looks a key up without allocating.</summary>
    /// <returns><see langword="true"/> and the value's snapshot if the key is present.</returns>
    bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any previous value (upsert).</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Stores the value only if the key is absent.</summary>
    /// <returns><see langword="true"/> if and only if this call stored the value.</returns>
    bool PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes a key.</summary>
    /// <returns><see langword="true"/> if and only if this call removed a key that was present.</returns>
    bool Delete(ReadOnlySpan<byte> key);

    /// <summary>Compare-and-swap: replaces the value only if the key still holds the very snapshot <paramref name="expected"/>.</summary>
    /// <remarks>
    /// The comparison is by identity, not by content: <paramref name="expected"/> must be a snapshot
    /// this store returned for the key, and the swap succeeds only if no write to the key has
    /// published another value since (even one with equal bytes). Identity has no ABA problem because
    /// snapshots are never reused. Returns <see langword="false"/> when the key is absent or when
    /// <paramref name="expected"/> did not come from this store.
    /// </remarks>
    bool TryReplace(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, ReadOnlySpan<byte> value);

    /// <summary>Upsert that returns the value it replaced, atomically (Redis GETSET / SET ... GET).</summary>
    /// <returns><see langword="true"/> and the previous snapshot if the key was present; otherwise <see langword="false"/>.</returns>
    bool TryGetAndPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous);

    /// <summary>Counts keys and bytes, including an estimate of the memory the store holds.</summary>
    StoreStats GetStats();

    /// <summary>Removes every key.</summary>
    void Clear();
}
