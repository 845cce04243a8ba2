using System.Buffers;
using System.Buffers.Binary;
using FastDht.Protocol;
using FastDht.Storage.Durability;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// A participant's prepared attempt as a write-ahead log record (an application record of the log), durable before
/// the participant votes yes: a participant killed between its prepare and the decision installs the attempt again
/// at restart (locks held) and learns the outcome, instead of losing its part.
/// </summary>
/// <remarks>
/// Layout: u8 'P' | TxnId (14 bytes) | u16 attempt | u64 coordinator incarnation | u16 participant count |
/// (u16 node, u64 incarnation) per participant | u32 write count | (u32 key length, key, u32 value length, value, u8
/// kind (0 put, 1 delete; the type tag in the high 4 bits, as on the wire), i64 expiresAt (unix ms, 0: none)) per write. Fencing tokens are not kept: they belong to the lock table of one process; a restart takes the locks anew.
/// A later <see cref="TxnDecisionRecord"/> with the 'E' tag closes it.
/// </remarks>
internal static class TxnPrepareRecord
{
    private const byte Tag = (byte)'P';
    private const int FixedSize = 1 + Locking.TxnId.EncodedSize + 2 + 8 + 2 + 4;
    private const int MemberSize = 2 + 8;
    // Two length prefixes, the kind and the expiry.
    private const int MinWriteSize = 4 + 4 + 1 + 8;

    /// <summary>Appends the record of a prepared attempt to <paramref name="log"/>; returns the log position after it.</summary>
    public static long Append(WriteAheadLog log, TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, TxnWrite[] writes)
    {
        var size = SizeOf(participants, writes);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan(0, size);
            Write(span, txn, attempt, coordinatorIncarnation, participants, writes);
            return log.AppendApplication(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Appends the record of a prepared attempt to this node's replication stream; returns the stream position after it.</summary>
    public static long AppendTo(Keyspace.Internal.ReplicationStream stream, TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, TxnWrite[] writes)
    {
        var size = SizeOf(participants, writes);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan(0, size);
            Write(span, txn, attempt, coordinatorIncarnation, participants, writes);
            return stream.AppendTxn(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The record of an attempt prepared here, for a snapshot to carry (the same bytes <see cref="Append"/> logs).</summary>
    public static byte[] Encode(PreparedTxn prepared)
    {
        var record = new byte[SizeOf(prepared.Participants, prepared.Writes)];
        Write(record, prepared.Id, prepared.Attempt, prepared.CoordinatorIncarnation, prepared.Participants, prepared.Writes);
        return record;
    }

    private static int SizeOf(TxnMember[] participants, TxnWrite[] writes)
    {
        var size = FixedSize + participants.Length * MemberSize;
        foreach (var w in writes)
            size += MinWriteSize + w.Key.Length + w.Value.Length;
        return size;
    }

    private static void Write(Span<byte> span, TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, TxnWrite[] writes)
    {
        span[0] = Tag;
        txn.WriteTo(span[1..]);
        var at = 1 + Locking.TxnId.EncodedSize;
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], attempt);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 2)..], coordinatorIncarnation);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 10)..], (ushort)participants.Length);
        at += 12;
        foreach (var member in participants)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], member.NodeId);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 2)..], member.Incarnation);
            at += MemberSize;
        }
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], writes.Length);
        at += 4;
        foreach (var w in writes)
        {
            at = WriteBytes(span, at, w.Key.Span);
            at = WriteBytes(span, at, w.Value.Span);
            span[at] = w.KindAndType;
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 1)..], w.ExpiresAt);
            at += 9;
        }
    }

    /// <summary>Reads a prepare record into an attempt to install again (tokens zero, asked about at once); false when the bytes are not one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out PreparedTxn? prepared)
    {
        prepared = null;
        if (source.Length < FixedSize || source[0] != Tag)
            return false;
        var txn = Locking.TxnId.ReadFrom(source[1..]);
        var at = 1 + Locking.TxnId.EncodedSize;
        var attempt = BinaryPrimitives.ReadUInt16LittleEndian(source[at..]);
        var coordinatorIncarnation = BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 2)..]);
        int memberCount = BinaryPrimitives.ReadUInt16LittleEndian(source[(at + 10)..]);
        at += 12;
        if (source.Length - at < memberCount * MemberSize + 4)
            return false;
        var members = new TxnMember[memberCount];
        for (var i = 0; i < memberCount; i++)
        {
            members[i] = new TxnMember(BinaryPrimitives.ReadUInt16LittleEndian(source[at..]), BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 2)..]));
            at += MemberSize;
        }
        var writeCount = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
        at += 4;
        // Each write takes at least MinWriteSize bytes: a count the record cannot hold is damage, not an allocation to try.
        if (writeCount < 0 || writeCount > (source.Length - at) / MinWriteSize)
            return false;
        var writes = new TxnWrite[writeCount];
        for (var i = 0; i < writeCount; i++)
        {
            if (!TryReadBytes(source, ref at, out var key) || !TryReadBytes(source, ref at, out var value) || source.Length - at < 9 || !TxnWrite.TrySplitKindAndType(source[at], out var kind, out var type))
                return false;
            writes[i] = new TxnWrite(key, value, 0, kind, BinaryPrimitives.ReadInt64LittleEndian(source[(at + 1)..]), type);
            at += 9;
        }
        if (at != source.Length)
            return false;
        prepared = new PreparedTxn(txn, attempt, coordinatorIncarnation, members, writes, firstQueryAt: 0);
        return true;
    }

    private static int WriteBytes(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], bytes.Length);
        bytes.CopyTo(span[(at + 4)..]);
        return at + 4 + bytes.Length;
    }

    private static bool TryReadBytes(ReadOnlySpan<byte> source, ref int at, out ReadOnlyMemory<byte> bytes)
    {
        bytes = default;
        if (source.Length - at < 4)
            return false;
        var length = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
        if (length < 0 || length > source.Length - at - 4)
            return false;
        bytes = source.Slice(at + 4, length).ToArray();
        at += 4 + length;
        return true;
    }
}
