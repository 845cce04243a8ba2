namespace FastDht.Protocol;

/// <summary>One (key, value) entry of a received MultiPut, as slices of the body.</summary>
public readonly ref struct KeyValueEntry
{
    public KeyValueEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Key = key;
        Value = value;
    }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }
}
