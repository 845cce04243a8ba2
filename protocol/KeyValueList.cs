
using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>A validated list of (key, value) entries inside a received MultiPut body, enumerated without allocating.</summary>
/// <remarks>Every entry was checked when the list was decoded, so an all-or-nothing write can validate before it applies.</remarks>
public readonly ref struct KeyValueList
{
    private readonly ReadOnlySpan<byte> _entries;

    internal KeyValueList(ReadOnlySpan<byte> entries, int count)
    {
        _entries = entries;
        Count = count;
    }

    /// <summary>Number of entries.</summary>
    public int Count { get; }

    public Enumerator GetEnumerator() => new(_entries);

    internal static bool TryRead(scoped ref BodyReader reader, int maxKeySize, out KeyValueList list)
    {
        list = default;
        if (!reader.TryReadCount(1, out int count))
        {
            return false;
        }

        int start = reader.Position;
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadKey(maxKeySize, out _) || !reader.TryReadValue(out _))
            {
                return false;
            }
        }

        list = new KeyValueList(reader.ConsumedSince(start), count);
        return true;
    }

    /// <summary>Walks the entries in wire order.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private KeyValueEntry _current;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _rest = entries;
            _current = default;
        }

        public readonly KeyValueEntry Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            _rest = _rest[WireSpans.ReadKeyValue(_rest, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)..];
            _current = new KeyValueEntry(key, value);
            return true;
        }
    }
}
