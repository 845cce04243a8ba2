using System.Buffers.Binary;
using FastDht.Locking;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// A transaction outcome as a write-ahead log record (an application record of the log): a coordinator's commit
/// decision, so a restarted coordinator still answers "committed", or a participant's end of a prepared attempt, so a
/// restarted participant neither installs that prepare again nor forgets a commit it applied.
/// </summary>
/// <remarks>
/// Layout: u8 tag ('D' decided by the coordinator, 'E' ended at a participant) | TxnId (14 bytes,
/// <see cref="TxnId.WriteTo"/>) | u16 attempt | u8 commit (0 or 1). A coordinator logs only commit decisions: one
/// that forgot an attempt answers "not prepared" (presumed abort), which is what an abort means. A participant logs
/// both ends of a prepared attempt, each after the prepare record (<see cref="TxnPrepareRecord"/>) it closes.
/// </remarks>
internal static class TxnDecisionRecord
{
    public const int Size = 1 + TxnId.EncodedSize + 2 + 1;
    private const byte DecidedTag = (byte)'D';
    private const byte EndedTag = (byte)'E';

    /// <summary>Writes a decision; <paramref name="ended"/>: a participant applied or discarded its prepared part.</summary>
    public static void Write(Span<byte> destination, in TxnDecision decision, bool ended = false)
    {
        destination[0] = ended ? EndedTag : DecidedTag;
        decision.Txn.WriteTo(destination[1..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[(1 + TxnId.EncodedSize)..], decision.Attempt);
        destination[Size - 1] = decision.Commit ? (byte)1 : (byte)0;
    }

    /// <summary>False when the bytes are not a decision record.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out TxnDecision decision, out bool ended)
    {
        decision = default;
        ended = false;
        if (source.Length != Size || source[0] is not (DecidedTag or EndedTag) || source[Size - 1] > 1)
            return false;
        ended = source[0] == EndedTag;
        var txn = TxnId.ReadFrom(source[1..]);
        var attempt = BinaryPrimitives.ReadUInt16LittleEndian(source[(1 + TxnId.EncodedSize)..]);
        decision = new TxnDecision(txn, attempt, source[Size - 1] == 1);
        return true;
    }
}
