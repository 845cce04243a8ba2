namespace FastDht.Protocol;

/// <summary>One write of a received TxnPrepare: key, value, the fencing token its lock was granted with, its kind and expiry.</summary>
public readonly ref struct TxnWriteEntry
{
    public TxnWriteEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong fenceToken, TxnWriteKind kind = TxnWriteKind.Put, long expiresAt = 0, byte type = 0)
    {
        Type = type;
        Key = key;
        Value = value;
        FenceToken = fenceToken;
        Kind = kind;
        ExpiresAt = expiresAt;
    }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }

    public ulong FenceToken { get; }

    public TxnWriteKind Kind { get; }

    /// <summary>For a put: when the value expires (unix ms); 0 for never.</summary>
    public long ExpiresAt { get; }

    /// <summary>For a put: the value's data type tag (0: a plain string).</summary>
    public byte Type { get; }
}
