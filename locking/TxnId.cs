using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using FastDht.Locking.Internal;

namespace FastDht.Locking;

/// <summary>A transaction id, unique in the cluster, whose order is the transaction's age (smaller = older).</summary>
/// <remarks>
/// The order (Timestamp, NodeId, Sequence) is total and the same on every node, so every participant
/// agrees on who is older without talking to anyone. A retried transaction keeps its id, so it only
/// ever gets older relative to newcomers and cannot starve.
/// </remarks>
public readonly struct TxnId : IComparable<TxnId>, IEquatable<TxnId>
{
    /// <summary>Bytes of <see cref="WriteTo"/>: 8 (timestamp) + 2 (node id) + 4 (sequence).</summary>
    public const int EncodedSize = 14;

    public TxnId(long timestamp, ushort nodeId, uint sequence)
    {
        Timestamp = timestamp;
        NodeId = nodeId;
        Sequence = sequence;
    }

    /// <summary>Microseconds since the Unix epoch when the transaction began (its first attempt).</summary>
    public long Timestamp { get; }

    /// <summary>The node that created the id; breaks timestamp ties between nodes.</summary>
    public ushort NodeId { get; }

    /// <summary>Per-node counter; breaks ties between ids made in the same microsecond.</summary>
    public uint Sequence { get; }

    /// <summary>True for the default value, which no generator issues.</summary>
    public bool IsEmpty => Timestamp == 0 && NodeId == 0 && Sequence == 0;

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

    public override bool Equals([NotNullWhen(true)] object? obj) => obj is TxnId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Timestamp, NodeId, Sequence);

    public override string ToString() => $"{Timestamp}.{NodeId}.{Sequence}";

    /// <summary>Writes the id big-endian, so that byte order equals age order.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < EncodedSize)
        {
            Throw.DestinationTooSmall(EncodedSize);
        }

        BinaryPrimitives.WriteInt64BigEndian(destination, Timestamp);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], NodeId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[10..], Sequence);
    }

    /// <summary>Reads an id written by <see cref="WriteTo"/>.</summary>
    public static TxnId ReadFrom(ReadOnlySpan<byte> source)
    {
        if (source.Length < EncodedSize)
        {
            Throw.SourceTooSmall(EncodedSize);
        }

        return new TxnId(
            BinaryPrimitives.ReadInt64BigEndian(source),
            BinaryPrimitives.ReadUInt16BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[10..]));
    }

    public static bool operator ==(TxnId left, TxnId right) => left.Equals(right);

    public static bool operator !=(TxnId left, TxnId right) => !left.Equals(right);

    public static bool operator <(TxnId left, TxnId right) => left.CompareTo(right) < 0;

    public static bool operator <=(TxnId left, TxnId right) => left.CompareTo(right) <= 0;

    public static bool operator >(TxnId left, TxnId right) => left.CompareTo(right) > 0;

    public static bool operator >=(TxnId left, TxnId right) => left.CompareTo(right) >= 0;
}
