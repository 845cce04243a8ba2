namespace FastDht.Protocol;

/// <summary>One key's result to encode into a MultiGet response: absent, or present with a value.</summary>
public readonly struct LookupResult
{
    public LookupResult(ReadOnlyMemory<byte> value)
    {
        Present = true;
        Value = value;
    }

    /// <summary>The result for an absent key.</summary>
    public static LookupResult Absent => default;

    public bool Present { get; }

    public ReadOnlyMemory<byte> Value { get; }
}
