using System.Buffers.Binary;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// The "forgotten up to" watermark of <see cref="TxnDecisions"/> as a log record, carried by snapshots: the decision
/// records that built it are dropped with the log before a snapshot, and without it a node would answer for a
/// forgotten attempt as if it had never seen it (a re-delivered commit misreported as lost).
/// </summary>
/// <remarks>Layout: u8 'F' | i64 the youngest forgotten transaction's timestamp.</remarks>
internal static class TxnForgottenRecord
{
    public const int Size = 1 + 8;
    private const byte Tag = (byte)'F';

    public static byte[] Encode(long forgottenUpTo)
    {
        var record = new byte[Size];
        record[0] = Tag;
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(1), forgottenUpTo);
        return record;
    }

    /// <summary>False when the bytes are not a watermark record.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out long forgottenUpTo)
    {
        forgottenUpTo = 0;
        if (source.Length != Size || source[0] != Tag)
            return false;
        forgottenUpTo = BinaryPrimitives.ReadInt64LittleEndian(source[1..]);
        return true;
    }
}
