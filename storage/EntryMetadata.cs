namespace FastDht.Storage;

/// <summary>What a key may carry besides its value: an expiry time, a version and a data type, each optional.</summary>
/// <remarks>
/// <para>Zero means "none" for both fields, so <c>default</c> is "no metadata", and an entry without
/// metadata is stored exactly as before metadata existed (same layout, same bytes). Versions therefore
/// start at 1, and an expiry is any non-zero unix time in milliseconds.</para>
/// <para>The store keeps these fields; it does not interpret them. It never expires a key by itself:
/// deciding that a key has expired (lazily on access, or in an active pass using
/// <see cref="IKeyValueStore.Scan{TVisitor}"/> with <c>onlyWithExpiry</c>) and deleting it with
/// <see cref="IKeyValueStore.TryDelete(ReadOnlySpan{byte}, ReadOnlyMemory{byte})"/> is the keyspace's job.</para>
/// </remarks>
/// <param name="ExpiresAt">Expiry as unix time in milliseconds; 0 means the key does not expire.</param>
/// <param name="Version">A caller-assigned version; 0 means none.</param>
/// <param name="Type">The value's data type; <see cref="EntryType.String"/> (0) means a plain value and stores no tag.</param>
public readonly record struct EntryMetadata(long ExpiresAt, ulong Version, EntryType Type = EntryType.String)
{
    /// <summary>No expiry and no version: the entry is stored without a metadata prefix.</summary>
    public static EntryMetadata None => default;

    /// <summary>Whether an expiry time is set.</summary>
    public bool HasExpiry => ExpiresAt != 0;

    /// <summary>Whether a version is set.</summary>
    public bool HasVersion => Version != 0;

    /// <summary>Whether a data type other than string is set.</summary>
    public bool HasType => Type != EntryType.String;

    /// <summary>Whether no field is set.</summary>
    public bool IsNone => ExpiresAt == 0 && Version == 0 && Type == EntryType.String;

    /// <summary>Only an expiry time (unix ms).</summary>
    public static EntryMetadata Expiring(long expiresAt) => new(expiresAt, 0);

    /// <summary>The same metadata with another expiry time (0 removes it, as PERSIST does).</summary>
    public EntryMetadata WithExpiry(long expiresAt) => new(expiresAt, Version, Type);

    /// <summary>The same metadata with another version (0 removes it).</summary>
    public EntryMetadata WithVersion(ulong version) => new(ExpiresAt, version, Type);

    /// <summary>A value of <paramref name="type"/> expiring at <paramref name="expiresAt"/> (0: never), without a version.</summary>
    public static EntryMetadata Typed(EntryType type, long expiresAt) => new(expiresAt, 0, type);
}
