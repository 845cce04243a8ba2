using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>The outcome of one request of a <see cref="DhtBatch"/>: its status, a Get's value, or the error the node or the connection gave.</summary>
/// <param name="Status">Ok, NotFound (a Get or Delete of an absent key), Exists (a PutIfAbsent that found one), or an error status.</param>
/// <param name="Value">A Get's value when <paramref name="Status"/> is Ok; null otherwise.</param>
/// <param name="Error">The error's message when <paramref name="Status"/> is an error; null otherwise.</param>
public readonly record struct DhtBatchResult(StatusCode Status, byte[]? Value, string? Error)
{
    /// <summary>Whether the request failed (an error status: the node refused it, it timed out, or its connection was lost).</summary>
    public bool IsError => (ushort)Status >= 0x100;
}
