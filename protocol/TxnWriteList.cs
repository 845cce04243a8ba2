using System.Buffers.Binary;

using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>A validated list of (key, value, token, kind, expiry) writes inside a received TxnPrepare body, enumerated without allocating.</summary>
public readonly ref struct TxnWriteList
{
    private readonly ReadOnlySpan<byte> _entries;

    internal TxnWriteList(ReadOnlySpan<byte> entries, int count)
    {
        _entries = entries;
        Count = count;
    }

    /// <summary>Number of writes; 0 when the participant only held locks.</summary>
    public int Count { get; }

    public Enumerator GetEnumerator() => new(_entries);

    internal static bool TryRead(scoped ref BodyReader reader, int maxKeySize, out TxnWriteList list)
    {
        list = default;
        if (!reader.TryReadCount(0, out int count))
        {
            return false;
        }

        int start = reader.Position;
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadKey(maxKeySize, out _) || !reader.TryReadValue(out _) || !reader.TryReadU64(out _)
                || !reader.TryReadU8(out byte kindAndType) || !TxnWrite.TrySplitKindAndType(kindAndType, out _, out _) || !reader.TryReadU64(out _))
            {
                return false;
            }
        }

        list = new TxnWriteList(reader.ConsumedSince(start), count);
        return true;
    }

    /// <summary>Walks the writes in wire order.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;
        private TxnWriteEntry _current;

        internal Enumerator(ReadOnlySpan<byte> entries)
        {
            _rest = entries;
            _current = default;
        }

        public readonly TxnWriteEntry Current => _current;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            _rest = _rest[WireSpans.ReadKeyValue(_rest, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)..];
            ulong token = BinaryPrimitives.ReadUInt64LittleEndian(_rest);
            TxnWrite.TrySplitKindAndType(_rest[sizeof(ulong)], out TxnWriteKind kind, out byte type);
            long expiresAt = BinaryPrimitives.ReadInt64LittleEndian(_rest[(sizeof(ulong) + 1)..]);
            _rest = _rest[(sizeof(ulong) + 1 + sizeof(long))..];
            _current = new TxnWriteEntry(key, value, token, kind, expiresAt, type);
            return true;
        }
    }
}
