namespace FastDht.Engine.Transactions.Internal;

/// <summary>Locks a client took with Lock through this node: which owners hold them, and how many keys are still held.</summary>
internal sealed class ExplicitHold(ushort[] nodes, int keyCount)
{
    private int _keys = keyCount;

    public ushort[] Nodes { get; } = nodes;

    /// <summary>Counts keys released by Unlock; true when none is left, so the hold can be forgotten.</summary>
    public bool Release(int keys) => Interlocked.Add(ref _keys, -keys) <= 0;

    public void Add(int keys) => Interlocked.Add(ref _keys, keys);
}
