namespace FastDht.Protocol;

/// <summary>A (key, value) pair to encode into a MultiPut request.</summary>
public readonly struct KeyValue
{
    public KeyValue(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        Key = key;
        Value = value;
    }

    public ReadOnlyMemory<byte> Key { get; }

    public ReadOnlyMemory<byte> Value { get; }
}
