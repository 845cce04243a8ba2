using System.Buffers.Binary;
using FastDht.Storage;

namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// The replication stream's record format: what a primary sends its replicas for every change it applied. Each record
/// is self-delimiting, so a batch is records back to back and a reader needs no count.
/// </summary>
/// <remarks>
/// <code>
/// put     [1][u16 key length][key][i64 expires at, 0 = never][u8 type (EntryType, 0 = string)][u32 value length][value]
/// expire  [2][u16 key length][key][i64 expires at, 0 = never]
/// delete  [3][u16 key length][key]
/// clear   [4]
/// txn     [5][u32 body length][body: a transaction record, TxnPrepareRecord or an 'E' TxnDecisionRecord]
/// put-versioned [6][u16 key length][key][i64 expires at][u8 type][u32 value length][value][u64 version]
/// change  [7][u16 key length][key][u64 base version][u64 version][u32 delta length][delta: ValueDelta]
/// expire-change [8][u16 key length][key][i64 expires at][u64 base version][u64 version]
/// </code>
/// A change is applied only to the value whose version is its base (docs/storage.md, "Change records"): a resynchronizing
/// replica or a slot's new owner receives values read while writes go on, which may already hold a change that the
/// stream then brings again.
/// A txn record carries a participant's prepared part, or its end, to the replicas, so a promoted replica holds
/// every attempt its old primary had prepared and not ended (docs/replication.md, "Locks and transactions across
/// failover"). It has no key: <c>key</c> reads empty and <c>value</c> is the body.
/// Little-endian, like the write-ahead log. A key is at most 65535 bytes (the protocol's key limit), so u16 suffices.
/// </remarks>
internal static class StreamRecords
{
    public const byte KindPut = 1;
    public const byte KindExpire = 2;
    public const byte KindDelete = 3;
    public const byte KindClear = 4;
    public const byte KindTxn = 5;
    public const byte KindPutVersioned = 6;
    public const byte KindChange = 7;
    public const byte KindExpireChange = 8;

    public static int ExpireChangeSize(int keyLength) => 1 + 2 + keyLength + 24;

    public static void WriteExpireChange(Span<byte> span, ReadOnlySpan<byte> key, long expiresAt, ulong baseVersion, ulong version)
    {
        var at = WriteKey(span, KindExpireChange, key);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], expiresAt);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], baseVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 16)..], version);
    }

    public static int PutVersionedSize(int keyLength, int valueLength) => PutSize(keyLength, valueLength) + 8;

    public static int ChangeSize(int keyLength, int deltaLength) => 1 + 2 + keyLength + 16 + 4 + deltaLength;

    public static void WritePutVersioned(Span<byte> span, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt, EntryType type, ulong version)
    {
        WritePut(span, key, value, expiresAt, type);
        span[0] = KindPutVersioned;
        BinaryPrimitives.WriteUInt64LittleEndian(span[(PutSize(key.Length, value.Length))..], version);
    }

    public static void WriteChange(Span<byte> span, ReadOnlySpan<byte> key, ulong baseVersion, ulong version, in DeltaPlan plan, ReadOnlySpan<byte> next)
    {
        var at = WriteKey(span, KindChange, key);
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], baseVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], version);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], plan.EncodedSize);
        ValueDelta.Write(plan, next, span[(at + 20)..]);
    }

    public static int PutSize(int keyLength, int valueLength) => 1 + 2 + keyLength + 8 + 1 + 4 + valueLength;

    public static int ExpireSize(int keyLength) => 1 + 2 + keyLength + 8;

    public static int DeleteSize(int keyLength) => 1 + 2 + keyLength;

    public const int ClearSize = 1;

    public static int TxnSize(int bodyLength) => 1 + 4 + bodyLength;

    public static void WriteTxn(Span<byte> span, ReadOnlySpan<byte> body)
    {
        span[0] = KindTxn;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], body.Length);
        body.CopyTo(span[5..]);
    }

    public static void WritePut(Span<byte> span, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt, EntryType type = EntryType.String)
    {
        var at = WriteKey(span, KindPut, key);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], expiresAt);
        span[at + 8] = (byte)type;
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 9)..], value.Length);
        value.CopyTo(span[(at + 13)..]);
    }

    public static void WriteExpire(Span<byte> span, ReadOnlySpan<byte> key, long expiresAt)
    {
        var at = WriteKey(span, KindExpire, key);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], expiresAt);
    }

    public static void WriteDelete(Span<byte> span, ReadOnlySpan<byte> key) => WriteKey(span, KindDelete, key);

    /// <summary>
    /// Reads the record at the start of <paramref name="records"/>; false when it is malformed (a peer sent garbage:
    /// the batch is refused whole). <paramref name="size"/> is the record's length.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> records, out byte kind, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out long expiresAt, out int size) =>
        TryRead(records, out kind, out key, out value, out expiresAt, out _, out size);

    /// <summary>As the overload without <paramref name="type"/>, also reading a put's data type.</summary>
    public static bool TryRead(ReadOnlySpan<byte> records, out byte kind, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out long expiresAt, out EntryType type, out int size) =>
        TryRead(records, out kind, out key, out value, out expiresAt, out type, out _, out _, out size);

    /// <summary>
    /// As the overload without versions, also reading a versioned put's or a change's <paramref name="version"/> and a
    /// change's <paramref name="baseVersion"/> (its <paramref name="value"/> is the delta, checked well formed).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> records, out byte kind, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value, out long expiresAt, out EntryType type, out ulong version, out ulong baseVersion, out int size)
    {
        version = 0;
        baseVersion = 0;
        type = EntryType.String;
        key = default;
        value = default;
        expiresAt = 0;
        size = 0;
        kind = records.IsEmpty ? (byte)0 : records[0];
        if (kind == KindClear)
        {
            size = ClearSize;
            return true;
        }
        if (kind == KindTxn)
        {
            if (records.Length < 5)
                return false;
            var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(records[1..]);
            if (bodyLength < 0 || records.Length - 5 < bodyLength)
                return false;
            value = records.Slice(5, bodyLength);
            size = 5 + bodyLength;
            return true;
        }
        if (kind is < KindPut or > KindExpireChange || kind == KindTxn || records.Length < 3)
            return false;
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(records[1..]);
        var at = 3 + keyLength;
        if (records.Length < at)
            return false;
        key = records.Slice(3, keyLength);
        if (kind == KindDelete)
        {
            size = at;
            return true;
        }
        if (kind == KindExpireChange)
        {
            if (records.Length - at < 24)
                return false;
            expiresAt = BinaryPrimitives.ReadInt64LittleEndian(records[at..]);
            baseVersion = BinaryPrimitives.ReadUInt64LittleEndian(records[(at + 8)..]);
            version = BinaryPrimitives.ReadUInt64LittleEndian(records[(at + 16)..]);
            size = at + 24;
            return true;
        }
        if (kind == KindChange)
        {
            if (records.Length - at < 20)
                return false;
            baseVersion = BinaryPrimitives.ReadUInt64LittleEndian(records[at..]);
            version = BinaryPrimitives.ReadUInt64LittleEndian(records[(at + 8)..]);
            var deltaLength = BinaryPrimitives.ReadInt32LittleEndian(records[(at + 16)..]);
            at += 20;
            if (deltaLength < 0 || records.Length - at < deltaLength || !ValueDelta.IsWellFormed(records.Slice(at, deltaLength)))
                return false;
            value = records.Slice(at, deltaLength);
            size = at + deltaLength;
            return true;
        }
        if (records.Length < at + 8)
            return false;
        expiresAt = BinaryPrimitives.ReadInt64LittleEndian(records[at..]);
        at += 8;
        if (kind == KindExpire)
        {
            size = at;
            return true;
        }
        if (records.Length < at + 5 || records[at] > (byte)EntryType.Stream)
            return false;
        type = (EntryType)records[at];
        at += 1;
        var valueLength = BinaryPrimitives.ReadInt32LittleEndian(records[at..]);
        at += 4;
        if (valueLength < 0 || records.Length - at < valueLength)
            return false;
        value = records.Slice(at, valueLength);
        size = at + valueLength;
        if (kind == KindPutVersioned)
        {
            if (records.Length - size < 8)
                return false;
            version = BinaryPrimitives.ReadUInt64LittleEndian(records[size..]);
            size += 8;
        }
        return true;
    }

    private static int WriteKey(Span<byte> span, byte kind, ReadOnlySpan<byte> key)
    {
        span[0] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(span[1..], (ushort)key.Length);
        key.CopyTo(span[3..]);
        return 3 + key.Length;
    }
}
