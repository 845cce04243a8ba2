using System.Buffers;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Writes one snapshot file: the header, one record per key visited, the engine's records, the end record; then
/// fsyncs it. The caller renames it into place once the log it depends on is on disk.
/// </summary>
internal sealed class SnapshotFileWriter : IDisposable
{
    // 1 MiB: large sequential writes; the file is written once, front to back.
    private const int StreamBuffer = 1 << 20;

    private readonly FileStream _stream;
    private byte[] _scratch = ArrayPool<byte>.Shared.Rent(4096);

    public SnapshotFileWriter(string path, long logPosition, long createdAt)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, StreamBuffer);
        Span<byte> header = stackalloc byte[SnapshotFormat.HeaderSize];
        SnapshotFormat.WriteHeader(header, logPosition, createdAt);
        _stream.Write(header);
    }

    public string Path { get; }

    public long Keys { get; private set; }

    public long ApplicationRecords { get; private set; }

    public long Length => _stream.Position;

    public void AddEntry(in StoreEntry entry)
    {
        var key = entry.Key.Span;
        var value = entry.Value.Span;
        var expiresAt = entry.Metadata.ExpiresAt;
        if (entry.Metadata.HasVersion)
        {
            // The version is what a change record after the snapshot's position names as its base (docs/storage.md).
            var versioned = Scratch(LogFormat.RecordHeaderSize + LogFormat.PutVersionedPayloadSize(key.Length, value.Length));
            LogFormat.WritePutVersioned(versioned, key, value, entry.Metadata.Type, expiresAt, entry.Metadata.Version);
            _stream.Write(versioned);
            Keys++;
            return;
        }
        if (entry.Metadata.HasType)
        {
            var typed = Scratch(LogFormat.RecordHeaderSize + LogFormat.PutTypedPayloadSize(key.Length, value.Length));
            LogFormat.WritePutTyped(typed, key, value, entry.Metadata.Type, expiresAt);
            _stream.Write(typed);
            Keys++;
            return;
        }
        var size = LogFormat.RecordHeaderSize + LogFormat.PutPayloadSize(key.Length, value.Length) + (expiresAt == 0 ? 0 : 8);
        var record = Scratch(size);
        if (expiresAt == 0)
            LogFormat.WritePut(record, key, value);
        else
            LogFormat.WritePutExpiring(record, key, value, expiresAt);
        _stream.Write(record);
        Keys++;
    }

    public void AddApplicationRecord(ReadOnlySpan<byte> body)
    {
        var record = Scratch(LogFormat.RecordHeaderSize + 1 + body.Length);
        var payload = record[LogFormat.RecordHeaderSize..];
        payload[0] = LogFormat.KindApplication;
        body.CopyTo(payload[1..]);
        LogFormat.WriteHeader(record, payload);
        _stream.Write(record);
        ApplicationRecords++;
    }

    /// <summary>Writes the end record and forces the file to disk.</summary>
    public void Complete()
    {
        var record = Scratch(LogFormat.RecordHeaderSize + SnapshotFormat.EndPayloadSize);
        SnapshotFormat.WriteEnd(record, Keys, ApplicationRecords);
        _stream.Write(record);
        _stream.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        _stream.Dispose();
        ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = [];
    }

    private Span<byte> Scratch(int size)
    {
        if (_scratch.Length < size)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = ArrayPool<byte>.Shared.Rent(size);
        }
        return _scratch.AsSpan(0, size);
    }

    /// <summary>Hands each entry of a store scan to the writer; a struct, so the scan allocates nothing per key.</summary>
    public readonly struct Visitor(SnapshotFileWriter writer) : IStoreEntryVisitor
    {
        public void Visit(in StoreEntry entry) => writer.AddEntry(entry);
    }
}
