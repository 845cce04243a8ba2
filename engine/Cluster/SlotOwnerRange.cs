namespace FastDht.Engine.Cluster;

/// <summary>A run of slots [FirstSlot, LastSlot] (inclusive) owned by one node.</summary>
public readonly record struct SlotOwnerRange(ushort FirstSlot, ushort LastSlot, ushort NodeId)
{
    public int Count => LastSlot - FirstSlot + 1;

    public bool Contains(int slot) => slot >= FirstSlot && slot <= LastSlot;
}
