namespace FastDht.Protocol;

/// <summary>Maps a key to one of 16384 hash slots: CRC16-XMODEM of the key (or its hash tag) mod 16384, as Redis Cluster does.</summary>
/// <remarks>
/// Sharing Redis Cluster's function lets cluster-aware Redis clients route straight to the owner,
/// and lets users co-locate keys with a hash tag: when a key contains '{' followed later by '}' with
/// at least one byte between them, only the bytes between the first '{' and the first '}' after it
/// are hashed, so "{user1000}.following" and "{user1000}.followers" share a slot.
/// </remarks>
public static class KeySlot
{
    /// <summary>16384 slots: Redis Cluster's count (2^14, the low 14 bits of the CRC).</summary>
    public const int SlotCount = 16384;

    /// <summary>The slot of <paramref name="key"/>, honouring hash tags.</summary>
    public static int Of(ReadOnlySpan<byte> key) => Crc16(HashPart(key)) & (SlotCount - 1);

    /// <summary>The bytes that are hashed: the hash tag when the key has a non-empty one, else the whole key.</summary>
    public static ReadOnlySpan<byte> HashPart(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0)
            {
                return key.Slice(open + 1, close);
            }
        }

        return key;
    }

    /// <summary>CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection, no final xor).</summary>
    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort[] table = Table;
        uint crc = 0;
        foreach (byte b in data)
        {
            // Only the low 16 bits of crc matter; the bits shifted above them are discarded at the end.
            crc = (crc << 8) ^ table[(byte)((crc >> 8) ^ b)];
        }

        return (ushort)crc;
    }

    // Byte-at-a-time table for polynomial 0x1021: entry i is the CRC register after shifting the byte
    // i through 8 rounds. Built once (512 bytes); a static readonly array lets the JIT treat it as a
    // constant reference.
    private static readonly ushort[] Table = BuildTable();

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < table.Length; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            table[i] = (ushort)crc;
        }

        return table;
    }
}
