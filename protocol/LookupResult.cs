namespace FastDht.Protocol;

/// <summary>One key's result to encode into a MultiGet or TxnRead response: absent, or present with a value (and, for TxnRead, its metadata).</summary>
public readonly struct LookupResult
{
    public LookupResult(ReadOnlyMemory<byte> value)
    {
        Present = true;
        Value = value;
    }

    /// <summary>A present key with its expiry (unix ms, 0: none) and version (0: none), as TxnRead carries them.</summary>
    public LookupResult(ReadOnlyMemory<byte> value, long expiresAt, ulong version, byte type = 0)
    {
        Type = type;
        Present = true;
        Value = value;
        ExpiresAt = expiresAt;
        Version = version;
    }

    /// <summary>The result for an absent key.</summary>
    public static LookupResult Absent => default;

    public bool Present { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>When the key expires (unix ms); 0 when it does not, or for a MultiGet answer (which does not carry it).</summary>
    public long ExpiresAt { get; }

    /// <summary>The key's version (what WATCH compares); 0 when it has none, or for a MultiGet answer.</summary>
    public ulong Version { get; }

    /// <summary>The value's data type tag (0: a plain string, and for a MultiGet answer).</summary>
    public byte Type { get; }
}
