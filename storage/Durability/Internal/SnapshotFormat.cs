using System.Buffers.Binary;
using System.Globalization;

namespace FastDht.Storage.Durability.Internal;

/// <summary>The byte layout and file names of snapshots, in one place (little-endian throughout).</summary>
/// <remarks>
/// <code>
/// snapshot = header record* end
/// header   = magic "FDHTSNP1" (8) | u64 logPosition | i64 createdAt (unix ms)
///            -- logPosition: where replay of the log begins after loading this snapshot
/// record   = the log's framing and checksum (LogFormat): u32 payloadLength | u32 checksum | payload
/// payload  = put (1), put-expiring (5) or put-typed (9), one per key; app (7), one per record the engine asked to carry
/// end      = a record of kind 8: u64 keys | u64 applicationRecords   -- the file ends right after it
/// </code>
/// The same framing as the log so that one checksum rule and one replay routine serve both. A snapshot is valid only
/// when every record checks, the end record is there with the counts seen, and nothing follows it: a file cut short
/// anywhere (a crash while writing, a copy that stopped) fails the last test even if it was cut between records.
/// </remarks>
internal static class SnapshotFormat
{
    public const int HeaderSize = 24;
    public const byte KindEnd = 8;
    public const int EndPayloadSize = 1 + 8 + 8;
    public const string Extension = ".snap";
    public const string TemporaryExtension = ".snap.tmp";
    public const string DamagedExtension = ".snap.damaged";

    public static ReadOnlySpan<byte> Magic => "FDHTSNP1"u8;

    public static void WriteHeader(Span<byte> destination, long logPosition, long createdAt)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], logPosition);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], createdAt);
    }

    /// <summary>Writes the whole end record (header and payload).</summary>
    public static void WriteEnd(Span<byte> destination, long keys, long applicationRecords)
    {
        var payload = destination[LogFormat.RecordHeaderSize..];
        payload[0] = KindEnd;
        BinaryPrimitives.WriteInt64LittleEndian(payload[1..], keys);
        BinaryPrimitives.WriteInt64LittleEndian(payload[9..], applicationRecords);
        LogFormat.WriteHeader(destination, payload[..EndPayloadSize]);
    }

    /// <summary>The file name of the snapshot whose log replay begins at <paramref name="logPosition"/>: zero-padded, so names sort as positions do.</summary>
    public static string Name(long logPosition) => $"{logPosition:D20}{Extension}";

    /// <summary>The log position in a snapshot's or segment's file name; false for a name this log did not write.</summary>
    public static bool TryParsePosition(string path, string extension, out long position)
    {
        var name = Path.GetFileName(path);
        position = 0;
        return name.Length == 20 + extension.Length
            && name.EndsWith(extension, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out position);
    }
}
