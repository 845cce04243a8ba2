using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>The participant list of a received TxnPrepare: fixed 10-byte entries (u16 node id, u64 incarnation), read in place.</summary>
public readonly ref struct TxnMemberList
{
    internal const int EntrySize = sizeof(ushort) + sizeof(ulong);

    private readonly ReadOnlySpan<byte> _entries;

    internal TxnMemberList(ReadOnlySpan<byte> entries)
    {
        _entries = entries;
    }

    /// <summary>Number of participants (at least 1).</summary>
    public int Count => _entries.Length / EntrySize;

    /// <summary>The participant at <paramref name="index"/>, in wire order.</summary>
    public TxnMember this[int index]
    {
        get
        {
            ReadOnlySpan<byte> entry = _entries.Slice(index * EntrySize, EntrySize);
            return new TxnMember(BinaryPrimitives.ReadUInt16LittleEndian(entry), BinaryPrimitives.ReadUInt64LittleEndian(entry[sizeof(ushort)..]));
        }
    }

    internal static bool TryRead(scoped ref BodyReader reader, out TxnMemberList list)
    {
        list = default;
        if (!reader.TryReadCount(1, out int count) || !reader.TryReadBytes(count * EntrySize, out ReadOnlySpan<byte> entries))
        {
            return false;
        }

        list = new TxnMemberList(entries);
        return true;
    }
}
