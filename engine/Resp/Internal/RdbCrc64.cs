namespace FastDht.Engine.Resp.Internal;

/// <summary>Redis's CRC-64 (Jones polynomial, reflected, initial value 0): the checksum at the end of a DUMP payload.</summary>
internal static class RdbCrc64
{
    private static readonly ulong[] Table = BuildTable();

    /// <summary>The CRC-64 of <paramref name="data"/> (of "123456789": 0xe9c6d914c4b8d9ca, Redis's own check value).</summary>
    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (var b in data)
            crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        return crc;
    }

    private static ulong[] BuildTable()
    {
        const ulong reflectedPolynomial = 0x95AC9329AC4BC9B5; // 0xad93d23594c935a9, bits reversed
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1;
            table[i] = crc;
        }
        return table;
    }
}
