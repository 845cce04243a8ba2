namespace FastDht.Protocol;

/// <summary>A write to encode into a TxnPrepare request: key, value, the fencing token of its lock, and what it does (put with an optional expiry, or delete).</summary>
public readonly struct TxnWrite
{
    public TxnWrite(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong fenceToken, TxnWriteKind kind = TxnWriteKind.Put, long expiresAt = 0, byte type = 0)
    {
        Type = type;
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

    /// <summary>For a put: the value's data type tag (0: a plain string; the storage assembly's <c>EntryType</c> numbers).</summary>
    public byte Type { get; }

    /// <summary>The wire byte: the kind in the low 4 bits, the type tag in the high 4 (a delete has type 0).</summary>
    public byte KindAndType => (byte)((byte)Kind | (Type << 4));

    /// <summary>Splits a wire kind byte; false when the kind is unknown, the tag above 15 or a delete carries a tag.</summary>
    public static bool TrySplitKindAndType(byte wire, out TxnWriteKind kind, out byte type)
    {
        kind = (TxnWriteKind)(wire & 0x0F);
        type = (byte)(wire >> 4);
        return kind == TxnWriteKind.Put || (kind == TxnWriteKind.Delete && type == 0);
    }
}
