using System.Buffers;
using System.Buffers.Binary;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Loads one snapshot file into a store, checking it whole: every record's checksum, the end record's counts, and that
/// nothing follows it. The engine's records are collected and handed over only once the file proved valid.
/// </summary>
internal static class SnapshotFileReader
{
    /// <summary>What loading found: on success the log position to replay from; on damage where and why.</summary>
    public readonly record struct Result(bool Valid, long LogPosition, long CreatedAt, long Keys, List<byte[]> ApplicationRecords, long DamageOffset, string? Damage);

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="store"/>. When the file is damaged the store may hold part of
    /// it: the caller clears it before trying another snapshot.
    /// </summary>
    public static Result Load(string path, IKeyValueStore store, ReplayTally? tally = null)
    {
        var applicationRecords = new List<byte[]>();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            // 1 MiB of read-ahead: the file is read once, front to back.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            var length = stream.Length;
            Span<byte> header = stackalloc byte[SnapshotFormat.HeaderSize];
            if (length < SnapshotFormat.HeaderSize)
                return Damaged(0, "the snapshot header is incomplete (the file is cut short)");
            stream.ReadExactly(header);
            if (!header[..8].SequenceEqual(SnapshotFormat.Magic))
                return Damaged(0, "this is not a FastDht snapshot (bad magic)");
            var logPosition = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
            var createdAt = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
            if (TryReadKeyCount(stream, length, out var expectedKeys))
                store.EnsureCapacity(store.Count + expectedKeys);
            Span<byte> recordHeader = stackalloc byte[LogFormat.RecordHeaderSize];
            long offset = SnapshotFormat.HeaderSize, keys = 0;
            while (offset < length)
            {
                if (length - offset < LogFormat.RecordHeaderSize)
                    return Damaged(offset, "the file ends inside a record header (it is cut short)");
                stream.ReadExactly(recordHeader);
                var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader);
                var checksum = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader[4..]);
                var recordEnd = offset + LogFormat.RecordHeaderSize + payloadLength;
                if (payloadLength == 0 || payloadLength > LogFormat.MaxPayload)
                    return Damaged(offset, $"impossible record length {payloadLength}");
                if (recordEnd > length)
                    return Damaged(offset, "the record runs past the end of the file (it is cut short)");
                if (buffer.Length < payloadLength)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent((int)payloadLength);
                }
                var payload = buffer.AsSpan(0, (int)payloadLength);
                stream.ReadExactly(payload);
                if (LogFormat.Checksum(payload) != checksum)
                    return Damaged(offset, "the record's checksum does not match");
                switch (payload[0])
                {
                    case LogFormat.KindPut:
                    case LogFormat.KindPutExpiring:
                    case LogFormat.KindPutTyped:
                    case LogFormat.KindPutVersioned:
                        if (!LogReplay.TryApply(payload, store, application: null, tally))
                            return Damaged(offset, "the record's checksum matches but its content does not parse");
                        keys++;
                        break;
                    case LogFormat.KindApplication:
                        applicationRecords.Add(payload[1..].ToArray());
                        break;
                    case SnapshotFormat.KindEnd:
                        if (payloadLength != SnapshotFormat.EndPayloadSize)
                            return Damaged(offset, "the end record has the wrong length");
                        if (BinaryPrimitives.ReadInt64LittleEndian(payload[1..]) != keys
                            || BinaryPrimitives.ReadInt64LittleEndian(payload[9..]) != applicationRecords.Count)
                            return Damaged(offset, "the end record's counts differ from the records read");
                        if (recordEnd != length)
                            return Damaged(recordEnd, "bytes follow the end record");
                        return new Result(true, logPosition, createdAt, keys, applicationRecords, 0, null);
                    default:
                        return Damaged(offset, $"unknown record kind {payload[0]}");
                }
                offset = recordEnd;
            }
            return Damaged(offset, "the file ends before its end record (it is cut short)");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Result Damaged(long offset, string reason) => new(false, 0, 0, 0, applicationRecords, offset, reason);
    }

    /// <summary>
    /// The key count of the end record, read ahead from the end of the file so that the store can be sized before the
    /// load (see <see cref="IKeyValueStore.EnsureCapacity"/>); leaves the stream where it was. False when the file does
    /// not end with a well-formed end record: the load finds and reports that damage itself.
    /// </summary>
    private static bool TryReadKeyCount(FileStream stream, long length, out long keys)
    {
        keys = 0;
        const int endSize = LogFormat.RecordHeaderSize + SnapshotFormat.EndPayloadSize;
        if (length - SnapshotFormat.HeaderSize < endSize)
            return false;
        Span<byte> end = stackalloc byte[endSize];
        var resume = stream.Position;
        stream.Position = length - endSize;
        stream.ReadExactly(end);
        stream.Position = resume;
        var payload = end[LogFormat.RecordHeaderSize..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(end) != SnapshotFormat.EndPayloadSize
            || BinaryPrimitives.ReadUInt32LittleEndian(end[4..]) != LogFormat.Checksum(payload)
            || payload[0] != SnapshotFormat.KindEnd)
            return false;
        keys = BinaryPrimitives.ReadInt64LittleEndian(payload[1..]);
        return keys > 0;
    }
}
