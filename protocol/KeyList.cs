using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>A validated list of keys inside a received body (MultiGet, Lock, Unlock, ...), enumerated without allocating.</summary>
/// <remarks>Every entry was checked when the list was decoded, so enumeration cannot fail.</remarks>
public readonly ref struct KeyList
{
    private readonly ReadOnlySpan<byte> _entries;

    internal KeyList(ReadOnlySpan<byte> entries, int count)
    {
        _entries = entries;
        Count = count;
    }

    /// <summary>Number of keys.</summary>
    public int Count { get; }

    public Enumerator GetEnumerator() => new(_entries);

    /// <summary>Reads u16 count (at least <paramref name="minimum"/>) then that many keys.</summary>
    internal static bool TryRead(scoped ref BodyReader reader, int minimum, int maxKeySize, out KeyList list)
    {
        list = default;
        if (!reader.TryReadCount(minimum, out int count))
        {
            return false;
        }

        int start = reader.Position;
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadKey(maxKeySize, out _))
            {
                return false;
            }
        }

        list = new KeyList(reader.ConsumedSince(start), count);
        return true;
    }

    /// <summary>Walks the keys in wire order.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private ReadOnlySpan<byte> _current;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _rest = entries;
            _current = default;
        }

        public readonly ReadOnlySpan<byte> Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            _current = _rest.Slice(sizeof(ushort), length);
            _rest = _rest[(sizeof(ushort) + length)..];
            return true;
        }
    }
}
