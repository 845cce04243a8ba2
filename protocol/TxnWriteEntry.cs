namespace FastDht.Protocol;

/// <summary>One write of a received TxnPrepare: key, value and the fencing token its lock was granted with.</summary>
public readonly ref struct TxnWriteEntry
{
    public TxnWriteEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong fenceToken)
    {
        Key = key;
        Value = value;
        FenceToken = fenceToken;
    }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }

    public ulong FenceToken { get; }
}
