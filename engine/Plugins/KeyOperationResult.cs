namespace FastDht.Engine.Plugins;

/// <summary>The outcome of a routed key operation: a status, the value for a Get, the reason for a failure.</summary>
public readonly struct KeyOperationResult
{
    public KeyOperationResult(KeyOperationStatus status, ReadOnlyMemory<byte> value = default, string? error = null)
    {
        Status = status;
        Value = value;
        Error = error;
    }

    public KeyOperationStatus Status { get; }

    /// <summary>The value a successful Get found (an immutable snapshot the caller may keep).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Why the operation failed, for <see cref="KeyOperationStatus.Failed"/>.</summary>
    public string? Error { get; }
}
