using System.Buffers.Binary;
using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// A coordinator's commit decision as a write-ahead log record (an application record of the log), so that a
/// restarted coordinator still answers "committed" to a participant that asks: the decision survives the crash.
/// </summary>
/// <remarks>
/// Layout: u8 tag 'D' | TxnId (14 bytes, <see cref="TxnId.WriteTo"/>) | u16 attempt | u8 commit (0 or 1). Only commit
/// decisions are logged: an abort needs no record, since a coordinator that forgot an attempt answers "not prepared"
/// (presumed abort), which is what an abort means.
/// </remarks>
internal static class TxnDecisionRecord
{
    public const int Size = 1 + TxnId.EncodedSize + 2 + 1;
    private const byte Tag = (byte)'D';

    public static void Write(Span<byte> destination, in TxnDecision decision)
    {
        destination[0] = Tag;
        decision.Txn.WriteTo(destination[1..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[(1 + TxnId.EncodedSize)..], decision.Attempt);
        destination[Size - 1] = decision.Commit ? (byte)1 : (byte)0;
    }

    /// <summary>False when the bytes are not a decision record.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out TxnDecision decision)
    {
        decision = default;
        if (source.Length != Size || source[0] != Tag || source[Size - 1] > 1)
            return false;
        var txn = TxnId.ReadFrom(source[1..]);
        var attempt = BinaryPrimitives.ReadUInt16LittleEndian(source[(1 + TxnId.EncodedSize)..]);
        decision = new TxnDecision(txn, attempt, source[Size - 1] == 1);
        return true;
    }
}
