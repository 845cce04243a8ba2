using System.Buffers.Binary;
using System.IO.Hashing;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// The byte layout of log segments and records, in one place (little-endian throughout).
/// </summary>
/// <remarks>
/// <code>
/// segment  = header record*
/// header   = magic "FDHTWAL1" (8) | u64 basePosition   -- the log position of the segment's first record
/// record   = u32 payloadLength | u32 checksum | payload
/// checksum = low 32 bits of XxHash3(payload, seed = payloadLength)
/// payload  = u8 kind (1 put, 2 delete, 3 batch, 4 clear, 5 put-expiring, 6 expire, 7 app, 9 put-typed, 10 put-versioned, 11 change, 12 expire-change) | body
/// put      = u32 keyLength | key | u32 valueLength | value
/// delete   = u32 keyLength | key
/// clear    = (nothing)                                          -- every key removed (FLUSHALL)
/// put-expiring = put | i64 expiresAt                           -- a value with an expiry (unix ms)
/// put-typed = put | u8 type | i64 expiresAt                   -- a collection (EntryType: list, hash...), its expiry (0: none)
/// put-versioned = put-typed | u64 version                    -- a value with its version (a change record's base)
/// change   = u32 keyLength | key | u64 baseVersion | u64 version | delta   -- ValueDelta applied to the value of
///                                                                 baseVersion only; the result has version
/// expire   = u32 keyLength | key | i64 expiresAt               -- the key's expiry changed (0: persists)
/// expire-change = u32 keyLength | key | i64 expiresAt | u64 baseVersion | u64 version   -- an expiry change of the
///                                                                 value of baseVersion only; the result has version
/// batch    = u32 count | (u8 op (1 put, 2 delete, 5 put-expiring, 9 put-typed) | its body)*   -- a transaction's writes, applied whole
/// app      = bytes                                                          -- the engine's own record (a transaction
///                                                                              decision), handed back at replay
/// </code>
/// XxHash3 rather than CRC32C: System.IO.Hashing has no CRC32C, and XxHash3 is the fastest of its hashes on short
/// inputs; seeding it with the length makes a damaged length field fail the check too.
/// A log position counts record bytes only (headers excluded), so it grows by exactly the bytes a record adds.
/// </remarks>
internal static class LogFormat
{
    public const int SegmentHeaderSize = 16;
    public const string SegmentExtension = ".wal";
    public const int RecordHeaderSize = 8;
    public const byte KindPut = 1;
    public const byte KindDelete = 2;
    public const byte KindBatch = 3;
    public const byte KindClear = 4;
    public const byte KindPutExpiring = 5;
    public const byte KindExpire = 6;
    public const byte KindApplication = 7;
    public const byte KindPutTyped = 9; // 8 is the snapshot's end record (SnapshotFormat)
    public const byte KindPutVersioned = 10;
    public const byte KindChange = 11;
    public const byte KindExpireChange = 12;

    /// <summary>The largest payload a reader believes: a length above it is damage, not a record (values are bounded by the frame size, at most 1 GiB).</summary>
    public const int MaxPayload = (1 << 30) + (1 << 20);

    public static ReadOnlySpan<byte> Magic => "FDHTWAL1"u8;

    public static int PutPayloadSize(int keyLength, int valueLength) => 1 + 4 + keyLength + 4 + valueLength;

    public static int DeletePayloadSize(int keyLength) => 1 + 4 + keyLength;

    public static uint Checksum(ReadOnlySpan<byte> payload) => (uint)XxHash3.HashToUInt64(payload, payload.Length);

    /// <summary>Writes a whole put record (header and payload) into <paramref name="destination"/>.</summary>
    public static void WritePut(Span<byte> destination, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindPut;
        var at = 1 + WriteBytes(payload[1..], key);
        at += WriteBytes(payload[at..], value);
        WriteHeader(destination, payload[..at]);
    }

    /// <summary>Writes a whole put record whose value expires at <paramref name="expiresAt"/> (unix ms).</summary>
    public static void WritePutExpiring(Span<byte> destination, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindPutExpiring;
        var at = 1 + WriteBytes(payload[1..], key);
        at += WriteBytes(payload[at..], value);
        BinaryPrimitives.WriteInt64LittleEndian(payload[at..], expiresAt);
        WriteHeader(destination, payload[..(at + 8)]);
    }

    /// <summary>The payload size of a put-typed record.</summary>
    public static int PutTypedPayloadSize(int keyLength, int valueLength) => PutPayloadSize(keyLength, valueLength) + 1 + 8;

    /// <summary>Writes a whole put-typed record: a collection's encoded value with its type and expiry (0: none).</summary>
    public static void WritePutTyped(Span<byte> destination, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt)
    {
        var payload = destination[RecordHeaderSize..];
        var at = WritePutTypedBody(payload, key, value, type, expiresAt);
        WriteHeader(destination, payload[..at]);
    }

    /// <summary>Writes kind 9 and the put-typed body (a record's payload or a batch's op); returns the bytes written.</summary>
    public static int WritePutTypedBody(Span<byte> payload, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt)
    {
        payload[0] = KindPutTyped;
        var at = 1 + WriteBytes(payload[1..], key);
        at += WriteBytes(payload[at..], value);
        payload[at] = (byte)type;
        BinaryPrimitives.WriteInt64LittleEndian(payload[(at + 1)..], expiresAt);
        return at + 9;
    }

    /// <summary>The payload size of a put-versioned record.</summary>
    public static int PutVersionedPayloadSize(int keyLength, int valueLength) => PutTypedPayloadSize(keyLength, valueLength) + 8;

    /// <summary>Writes a whole put-versioned record: a value (of any type) with its expiry (0: none) and version.</summary>
    public static void WritePutVersioned(Span<byte> destination, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryType type, long expiresAt, ulong version)
    {
        var payload = destination[RecordHeaderSize..];
        var at = WritePutTypedBody(payload, key, value, type, expiresAt);
        payload[0] = KindPutVersioned;
        BinaryPrimitives.WriteUInt64LittleEndian(payload[at..], version);
        WriteHeader(destination, payload[..(at + 8)]);
    }

    /// <summary>The payload size of a change record.</summary>
    public static int ChangePayloadSize(int keyLength, int deltaLength) => 1 + 4 + keyLength + 16 + deltaLength;

    /// <summary>Writes a whole change record: <paramref name="plan"/>'s delta of the value at <paramref name="baseVersion"/>, giving <paramref name="version"/>.</summary>
    public static void WriteChange(Span<byte> destination, ReadOnlySpan<byte> key, ulong baseVersion, ulong version, in DeltaPlan plan, ReadOnlySpan<byte> next)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindChange;
        var at = 1 + WriteBytes(payload[1..], key);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[at..], baseVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[(at + 8)..], version);
        at += 16;
        ValueDelta.Write(plan, next, payload[at..]);
        WriteHeader(destination, payload[..(at + plan.EncodedSize)]);
    }

    /// <summary>The payload size of an expire-change record.</summary>
    public static int ExpireChangePayloadSize(int keyLength) => 1 + 4 + keyLength + 24;

    /// <summary>Writes a whole expire-change record: the expiry of the value at <paramref name="baseVersion"/> becomes <paramref name="expiresAt"/>, giving <paramref name="version"/>.</summary>
    public static void WriteExpireChange(Span<byte> destination, ReadOnlySpan<byte> key, long expiresAt, ulong baseVersion, ulong version)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindExpireChange;
        var at = 1 + WriteBytes(payload[1..], key);
        BinaryPrimitives.WriteInt64LittleEndian(payload[at..], expiresAt);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[(at + 8)..], baseVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[(at + 16)..], version);
        WriteHeader(destination, payload[..(at + 24)]);
    }

    /// <summary>Writes a whole expire record: the key's expiry becomes <paramref name="expiresAt"/> (0: none).</summary>
    public static void WriteExpire(Span<byte> destination, ReadOnlySpan<byte> key, long expiresAt)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindExpire;
        var at = 1 + WriteBytes(payload[1..], key);
        BinaryPrimitives.WriteInt64LittleEndian(payload[at..], expiresAt);
        WriteHeader(destination, payload[..(at + 8)]);
    }

    /// <summary>Writes a whole delete record (header and payload) into <paramref name="destination"/>.</summary>
    public static void WriteDelete(Span<byte> destination, ReadOnlySpan<byte> key)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindDelete;
        var at = 1 + WriteBytes(payload[1..], key);
        WriteHeader(destination, payload[..at]);
    }

    /// <summary>Writes a whole clear record (every key removed: FLUSHALL) into <paramref name="destination"/>.</summary>
    public static void WriteClear(Span<byte> destination)
    {
        var payload = destination[RecordHeaderSize..];
        payload[0] = KindClear;
        WriteHeader(destination, payload[..1]);
    }

    /// <summary>Writes the record header for a payload already in place right after it.</summary>
    public static void WriteHeader(Span<byte> record, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Checksum(payload));
    }

    /// <summary>Writes u32 length | bytes; returns the bytes written.</summary>
    public static int WriteBytes(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)bytes.Length);
        bytes.CopyTo(destination[4..]);
        return 4 + bytes.Length;
    }

    public static void WriteSegmentHeader(Span<byte> destination, long basePosition)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], basePosition);
    }

    /// <summary>The file name of the segment whose first record is at <paramref name="basePosition"/>: zero-padded, so names sort as positions do.</summary>
    public static string SegmentName(long basePosition) => $"{basePosition:D20}{SegmentExtension}";

    /// <summary>Reads u32 length | bytes from <paramref name="source"/> at <paramref name="at"/>; false when it does not fit.</summary>
    public static bool TryReadBytes(ReadOnlySpan<byte> source, ref int at, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (source.Length - at < 4)
            return false;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(source[at..]);
        if (length > (uint)(source.Length - at - 4))
            return false;
        bytes = source.Slice(at + 4, (int)length);
        at += 4 + (int)length;
        return true;
    }
}
