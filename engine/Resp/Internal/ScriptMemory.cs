namespace FastDht.Engine.Resp.Internal;

/// <summary>What the Lua states of one node's scripts hold together, and the most they may (NodeOptions.ScriptMemoryLimit).</summary>
/// <remarks>
/// Every state's allocator adds to <see cref="Used"/> (host work included, so the count is exact) and, while script code
/// runs, refuses a growth that would pass <see cref="Limit"/>: Lua raises "not enough memory" inside that script, as it
/// does at the per-script limit. Two scripts growing at once may pass the limit by one allocation each.
/// </remarks>
internal sealed class ScriptMemory
{
    private long _used;
    private long _limit = 512L << 20;

    /// <summary>Bytes the node's Lua states hold now (INFO memory's used_memory_lua).</summary>
    public long Used => Volatile.Read(ref _used);

    /// <summary>The most the node's Lua states may hold together while scripts run.</summary>
    public long Limit
    {
        get => Volatile.Read(ref _limit);
        set => Volatile.Write(ref _limit, value);
    }

    /// <summary>Whether the states may grow by <paramref name="bytes"/> more.</summary>
    public bool Allows(long bytes) => Volatile.Read(ref _used) + bytes <= Volatile.Read(ref _limit);

    /// <summary>Counts a growth (positive) or a release (negative) of a state.</summary>
    public void Add(long bytes) => Interlocked.Add(ref _used, bytes);
}
