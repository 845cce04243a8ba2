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
/// (u16 node, u64 incarnation) per participant | u32 write count | (u32 key length, key, u32 value length, value) per
/// write. Fencing tokens are not kept: they belong to the lock table of one process; a restart takes the locks anew.
/// A later <see cref="TxnDecisionRecord"/> with the 'E' tag closes it.
/// </remarks>
internal static class TxnPrepareRecord
{
    private const byte Tag = (byte)'P';
    private const int FixedSize = 1 + Locking.TxnId.EncodedSize + 2 + 8 + 2 + 4;
    private const int MemberSize = 2 + 8;

    /// <summary>Appends the record of a prepared attempt to <paramref name="log"/>; returns the log position after it.</summary>
    public static long Append(WriteAheadLog log, TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values)
    {
        var size = SizeOf(participants, keys, values);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var span = buffer.AsSpan(0, size);
            Write(span, txn, attempt, coordinatorIncarnation, participants, keys, values);
            return log.AppendApplication(span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The record of an attempt prepared here, for a snapshot to carry (the same bytes <see cref="Append"/> logs).</summary>
    public static byte[] Encode(PreparedTxn prepared)
    {
        var record = new byte[SizeOf(prepared.Participants, prepared.Keys, prepared.Values)];
        Write(record, prepared.Id, prepared.Attempt, prepared.CoordinatorIncarnation, prepared.Participants, prepared.Keys, prepared.Values);
        return record;
    }

    private static int SizeOf(TxnMember[] participants, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values)
    {
        var size = FixedSize + participants.Length * MemberSize;
        for (var i = 0; i < keys.Length; i++)
            size += 8 + keys[i].Length + values[i].Length;
        return size;
    }

    private static void Write(Span<byte> span, TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values)
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
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], keys.Length);
        at += 4;
        for (var i = 0; i < keys.Length; i++)
        {
            at = WriteBytes(span, at, keys[i].Span);
            at = WriteBytes(span, at, values[i].Span);
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
        // Each write takes at least 8 bytes: a count the record cannot hold is damage, not an allocation to try.
        if (writeCount < 0 || writeCount > (source.Length - at) / 8)
            return false;
        var keys = new ReadOnlyMemory<byte>[writeCount];
        var values = new ReadOnlyMemory<byte>[writeCount];
        for (var i = 0; i < writeCount; i++)
        {
            if (!TryReadBytes(source, ref at, out keys[i]) || !TryReadBytes(source, ref at, out values[i]))
                return false;
        }
        if (at != source.Length)
            return false;
        prepared = new PreparedTxn(txn, attempt, coordinatorIncarnation, members, keys, values, new long[writeCount], firstQueryAt: 0);
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
