namespace FastDht.Protocol;

/// <summary>A write to encode into a TxnPrepare request: key, value, the fencing token of its lock, and what it does (put with an optional expiry, or delete).</summary>
public readonly struct TxnWrite
{
    public TxnWrite(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong fenceToken, TxnWriteKind kind = TxnWriteKind.Put, long expiresAt = 0)
    {
        Key = key;
        Value = value;
        FenceToken = fenceToken;
        Kind = kind;
        ExpiresAt = expiresAt;
    }

    public ReadOnlyMemory<byte> Key { get; }

    public ReadOnlyMemory<byte> Value { get; }

    public ulong FenceToken { get; }

    public TxnWriteKind Kind { get; }

    /// <summary>For a put: when the value expires (unix ms); 0 for never.</summary>
    public long ExpiresAt { get; }
}
