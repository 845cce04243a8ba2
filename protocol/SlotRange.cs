using System.Buffers.Binary;
using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>A run of hash slots [FirstSlot, LastSlot] (inclusive) owned by one node.</summary>
public readonly struct SlotRange : IEquatable<SlotRange>
{
    /// <summary>Bytes on the wire: u16 first slot, u16 last slot, u16 node id.</summary>
    public const int WireSize = 6;

    public SlotRange(ushort firstSlot, ushort lastSlot, ushort nodeId)
    {
        FirstSlot = firstSlot;
        LastSlot = lastSlot;
        NodeId = nodeId;
    }

    public ushort FirstSlot { get; }

    /// <summary>The last slot of the range, inclusive.</summary>
    public ushort LastSlot { get; }

    /// <summary>The owning node's member id.</summary>
    public ushort NodeId { get; }

    /// <summary>Number of slots in the range.</summary>
    public int Count => LastSlot - FirstSlot + 1;

    public bool Contains(int slot) => slot >= FirstSlot && slot <= LastSlot;

    /// <summary>
    /// The default table's range for the member at <paramref name="memberIndex"/> of
    /// <paramref name="memberCount"/> members sorted by node id: [i*16384/N, (i+1)*16384/N - 1].
    /// </summary>
    public static SlotRange ForMember(int memberIndex, int memberCount, ushort nodeId)
    {
        if (memberCount < 1 || memberCount > KeySlot.SlotCount)
        {
            Throw.ArgumentOutOfRange(nameof(memberCount), "must be between 1 and 16384");
        }

        if ((uint)memberIndex >= (uint)memberCount)
        {
            Throw.ArgumentOutOfRange(nameof(memberIndex), "must be below memberCount");
        }

        int first = memberIndex * KeySlot.SlotCount / memberCount;
        int last = ((memberIndex + 1) * KeySlot.SlotCount / memberCount) - 1;
        return new SlotRange((ushort)first, (ushort)last, nodeId);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the default slot table for the given node ids, which
    /// must be sorted ascending (one range per member).
    /// </summary>
    public static void DefaultTable(ReadOnlySpan<ushort> sortedNodeIds, Span<SlotRange> destination)
    {
        if (destination.Length < sortedNodeIds.Length)
        {
            Throw.ArgumentOutOfRange(nameof(destination), "must hold one range per member");
        }

        for (int i = 0; i < sortedNodeIds.Length; i++)
        {
            destination[i] = ForMember(i, sortedNodeIds.Length, sortedNodeIds[i]);
        }
    }

    public bool Equals(SlotRange other) => FirstSlot == other.FirstSlot && LastSlot == other.LastSlot && NodeId == other.NodeId;

    public override bool Equals(object? obj) => obj is SlotRange other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(FirstSlot, LastSlot, NodeId);

    public override string ToString() => $"[{FirstSlot}..{LastSlot}] -> {NodeId}";

    public static bool operator ==(SlotRange left, SlotRange right) => left.Equals(right);

    public static bool operator !=(SlotRange left, SlotRange right) => !left.Equals(right);

    internal void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, FirstSlot);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], LastSlot);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], NodeId);
    }

    internal static SlotRange ReadFrom(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(source),
        BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[4..]));
}
