using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>A transaction's identity and age: ordered by (timestamp, node id, sequence), smaller is older.</summary>
/// <remarks>
/// Wire form (16 bytes, little-endian): u64 timestamp (microseconds since the Unix epoch at the
/// coordinator), u16 node id, u16 reserved (0), u32 sequence. A retried transaction keeps its id, so
/// it grows older relative to newcomers and cannot starve under wait-die or wound-wait.
/// </remarks>
public readonly struct TxnId : IComparable<TxnId>, IEquatable<TxnId>
{
    public TxnId(ulong timestamp, ushort nodeId, uint sequence)
    {
        Timestamp = timestamp;
        NodeId = nodeId;
        Sequence = sequence;
    }

    /// <summary>Microseconds since the Unix epoch at the coordinator when the transaction began.</summary>
    public ulong Timestamp { get; }

    /// <summary>The coordinator's node id; breaks timestamp ties between coordinators.</summary>
    public ushort NodeId { get; }

    /// <summary>The coordinator's sequence number; breaks ties within one coordinator.</summary>
    public uint Sequence { get; }

    /// <summary>True when this transaction began before <paramref name="other"/>.</summary>
    public bool IsOlderThan(TxnId other) => CompareTo(other) < 0;

    public int CompareTo(TxnId other)
    {
        int c = Timestamp.CompareTo(other.Timestamp);
        if (c != 0)
        {
            return c;
        }

        c = NodeId.CompareTo(other.NodeId);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }

    public bool Equals(TxnId other) =>
        Timestamp == other.Timestamp && NodeId == other.NodeId && Sequence == other.Sequence;

    public override bool Equals(object? obj) => obj is TxnId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Timestamp, NodeId, Sequence);

    public override string ToString() => $"{Timestamp}.{NodeId}.{Sequence}";

    /// <summary>Writes the 16-byte wire form into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Timestamp);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], NodeId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[10..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Sequence);
    }

    public static bool operator ==(TxnId left, TxnId right) => left.Equals(right);

    public static bool operator !=(TxnId left, TxnId right) => !left.Equals(right);

    public static bool operator <(TxnId left, TxnId right) => left.CompareTo(right) < 0;

    public static bool operator <=(TxnId left, TxnId right) => left.CompareTo(right) <= 0;

    public static bool operator >(TxnId left, TxnId right) => left.CompareTo(right) > 0;

    public static bool operator >=(TxnId left, TxnId right) => left.CompareTo(right) >= 0;
}
