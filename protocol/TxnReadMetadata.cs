using System.Buffers.Binary;

namespace FastDht.Protocol;

/// <summary>The per-key metadata after a TxnRead answer's values: each key's expiry and version, in request order.</summary>
public readonly ref struct TxnReadMetadata
{
    /// <summary>Bytes per key: i64 expiresAt, u64 version.</summary>
    public const int EntrySize = 16;

    private readonly ReadOnlySpan<byte> _entries;

    private TxnReadMetadata(ReadOnlySpan<byte> entries) => _entries = entries;

    /// <summary>The expiry (unix ms, 0: none) of key <paramref name="index"/>.</summary>
    public long ExpiresAt(int index) => BinaryPrimitives.ReadInt64LittleEndian(_entries[(index * EntrySize)..]);

    /// <summary>The version (0: none) of key <paramref name="index"/>.</summary>
    public ulong Version(int index) => BinaryPrimitives.ReadUInt64LittleEndian(_entries[((index * EntrySize) + sizeof(long))..]);

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
