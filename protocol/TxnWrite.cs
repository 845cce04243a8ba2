namespace FastDht.Protocol;

/// <summary>A write to encode into a TxnPrepare request: key, value, and the fencing token of its lock.</summary>
public readonly struct TxnWrite
{
    public TxnWrite(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong fenceToken)
    {
        Key = key;
        Value = value;
        FenceToken = fenceToken;
    }

    public ReadOnlyMemory<byte> Key { get; }

    public ReadOnlyMemory<byte> Value { get; }

    public ulong FenceToken { get; }
}
