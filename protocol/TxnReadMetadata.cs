using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>The per-key metadata after a TxnRead answer's values: each key's expiry, version and type, in request order.</summary>
public readonly ref struct TxnReadMetadata
{
    /// <summary>Bytes per key: i64 expiresAt, u64 version, u8 type.</summary>
    public const int EntrySize = 17;

    private readonly ReadOnlySpan<byte> _entries;

    private TxnReadMetadata(ReadOnlySpan<byte> entries) => _entries = entries;

    /// <summary>The expiry (unix ms, 0: none) of key <paramref name="index"/>.</summary>
    public long ExpiresAt(int index) => BinaryPrimitives.ReadInt64LittleEndian(_entries[(index * EntrySize)..]);

    /// <summary>The version (0: none) of key <paramref name="index"/>.</summary>
    public ulong Version(int index) => BinaryPrimitives.ReadUInt64LittleEndian(_entries[((index * EntrySize) + sizeof(long))..]);

    /// <summary>The data type tag (0: string) of key <paramref name="index"/>.</summary>
    public byte Type(int index) => _entries[(index * EntrySize) + sizeof(long) + sizeof(ulong)];

    internal static bool TryRead(scoped ref BodyReader reader, int count, out TxnReadMetadata metadata)
    {
        if (reader.TryReadBytes(count * EntrySize, out var entries))
        {
            metadata = new TxnReadMetadata(entries);
            return true;
        }

        metadata = default;
        return false;
    }
}
