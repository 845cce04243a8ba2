using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>The validated members of a received ClusterInfo response, enumerated without allocating.</summary>
public readonly ref struct MemberEntryList
{
    private readonly ReadOnlySpan<byte> _entries;

    internal MemberEntryList(ReadOnlySpan<byte> entries, int count)
    {
        _entries = entries;
        Count = count;
    }

    /// <summary>Number of members.</summary>
    public int Count { get; }

    public Enumerator GetEnumerator() => new(_entries);

    internal static bool TryRead(scoped ref BodyReader reader, out MemberEntryList list)
    {
        list = default;
        if (!reader.TryReadCount(0, out int count))
        {
            return false;
        }

        int start = reader.Position;
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadU16(out _) || !reader.TryReadString(out _) || !reader.TryReadEnum((byte)MemberState.Loading, out _))
            {
                return false;
            }
        }

        list = new MemberEntryList(reader.ConsumedSince(start), count);
        return true;
    }

    /// <summary>Walks the members in wire order.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private MemberEntry _current;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _rest = entries;
            _current = default;
        }

        public readonly MemberEntry Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            ushort nodeId = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            int addressLength = BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
            ReadOnlySpan<byte> address = _rest.Slice(4, addressLength);
            var state = (MemberState)_rest[4 + addressLength];
            _rest = _rest[(5 + addressLength)..];
            _current = new MemberEntry(nodeId, address, state);
            return true;
        }
    }
}
