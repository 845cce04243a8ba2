namespace FastDht.Protocol;

/// <summary>One result of a received MultiGet response: whether the key was present, and its value.</summary>
public readonly ref struct LookupEntry
{
    public LookupEntry(bool present, ReadOnlySpan<byte> value)
    {
        Present = present;
        Value = value;
    }

    public bool Present { get; }

    /// <summary>The value; empty when absent.</summary>
    public ReadOnlySpan<byte> Value { get; }
}
