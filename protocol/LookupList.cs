using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>The validated results of a received MultiGet response, in request order, enumerated without allocating.</summary>
public readonly ref struct LookupList
{
    private readonly ReadOnlySpan<byte> _entries;

    internal LookupList(ReadOnlySpan<byte> entries, int count)
    {
        _entries = entries;
        Count = count;
    }

    /// <summary>Number of results (the request's key count).</summary>
    public int Count { get; }

    public Enumerator GetEnumerator() => new(_entries);

    internal static bool TryRead(scoped ref BodyReader reader, out LookupList list)
    {
        list = default;
        if (!reader.TryReadCount(0, out int count))
        {
            return false;
        }

        int start = reader.Position;
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadEnum(1, out byte present) || (present == 1 && !reader.TryReadValue(out _)))
            {
                return false;
            }
        }

        list = new LookupList(reader.ConsumedSince(start), count);
        return true;
    }

    /// <summary>Walks the results in request order.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private LookupEntry _current;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _rest = entries;
            _current = default;
        }

        public readonly LookupEntry Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            bool present = _rest[0] == 1;
            _rest = _rest[1..];
            if (!present)
            {
                _current = new LookupEntry(false, default);
                return true;
            }

            int valueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(_rest);
            _current = new LookupEntry(true, _rest.Slice(sizeof(uint), valueLength));
            _rest = _rest[(sizeof(uint) + valueLength)..];
            return true;
        }
    }
}
