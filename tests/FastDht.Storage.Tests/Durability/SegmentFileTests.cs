using FastDht.Storage.Durability;
using FastDht.Storage.Durability.Internal;

namespace FastDht.Storage.Tests.Durability;

/// <summary>
/// How a log segment's space is reserved: zeros written under <c>always</c>, blocks only allocated under
/// <c>everysec</c> and <c>no</c> (no second write of the whole log), the file reading as zeros either way.
/// </summary>
public sealed class SegmentFileTests : IDisposable
{
    private const long Size = 1L << 20;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fastdht-segfile-" + Guid.NewGuid().ToString("N"));

    public SegmentFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Bytes this thread has dirtied in the page cache so far (/proc/thread-self/io write_bytes: counted when a page is
    /// dirtied, so a write counts at once, whatever the disk does); null where the system does not say.
    /// </summary>
    private static long? ThreadWriteBytes()
    {
        const string path = "/proc/thread-self/io";
        if (!File.Exists(path))
            return null;
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan("write_bytes:".Length).Trim());
        }
        return null;
    }

    /// <summary>Reserves a new file of <see cref="Size"/> bytes on this thread; the bytes this thread dirtied doing it.</summary>
    private long? ReserveNew(string name, bool writeZeros, out byte[] content)
    {
        var path = Path.Combine(_dir, name);
        long? dirtied;
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            var before = ThreadWriteBytes();
            Assert.True(SegmentFile.Reserve(handle, 0, Size, writeZeros));
            var after = ThreadWriteBytes();
            dirtied = after - before;
            Assert.Equal(Size, RandomAccess.GetLength(handle));
        }
        content = File.ReadAllBytes(path);
        return dirtied;
    }

    /// <summary>Opens the log on this thread (which reserves its first segment here); the bytes this thread dirtied doing it.</summary>
    private static WriteAheadLog OpenCountingThisThread(WriteAheadLogOptions options, out long? dirtied)
    {
        var before = ThreadWriteBytes();
        var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        dirtied = ThreadWriteBytes() - before;
        return log;
    }

    [Fact]
    public void A_segment_reserved_with_zeros_writes_them_and_one_only_allocated_writes_nothing_both_reading_as_zeros()
    {
        var zeroed = ReserveNew("zeroed", writeZeros: true, out var zeroedContent);
        var allocated = ReserveNew("allocated", writeZeros: false, out var allocatedContent);

        Assert.False(zeroedContent.AsSpan().ContainsAnyExcept((byte)0));
        Assert.False(allocatedContent.AsSpan().ContainsAnyExcept((byte)0));
        // Where the system counts a thread's dirtied bytes (Linux, on a disk file system: tmpfs counts none) the zeros
        // show as the whole size, and the allocation, where the file system can allocate without writing, as nothing.
        if (zeroed is not > 0)
            return;
        Assert.True(zeroed >= Size, $"zeros written: {zeroed} bytes dirtied");
        var fallocated = OperatingSystem.IsLinux();
        if (fallocated)
            Assert.True(allocated < Size / 16, $"allocated only: {allocated} bytes dirtied, expected none");
    }

    [Fact]
    public void Records_copied_into_a_mapped_allocated_segment_dirty_their_own_pages_not_large_folios()
    {
        // 64 MiB segments (the default) and 24 MiB of records: on Linux 6.18 with an 8 MiB read-ahead, faults into an
        // allocated-only mapping read around with folios growing to 2 MiB, each dirtied whole by its first write.
        var options = new WriteAheadLogOptions { Directory = Path.Combine(_dir, "wal-map"), Fsync = FsyncPolicy.EverySec };
        using var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        var value = new byte[64 << 10];
        long dirtied = 0, end = 0;
        for (var i = 0; i < 384; i++)
        {
            end = log.AppendPut(System.Text.Encoding.UTF8.GetBytes($"key-{i:D8}"), value);
            // Under everysec the caller copies its round into the mapped segment itself, on this thread (a round the
            // flush thread wrote first is not counted here: that only makes the count smaller).
            var before = ThreadWriteBytes();
            log.TryMakeDurable(end);
            if (before is null || ThreadWriteBytes() is not { } after)
                return;
            dirtied += after - before.Value;
        }
        // One page a fault: the records' bytes and a page or so at each once-a-second fsync's tail; a large folio a
        // fault dirties up to 2 MiB past the last record.
        Assert.True(dirtied < end + (64 << 10), $"{dirtied} bytes dirtied for {end} bytes of records");
    }

    [Theory]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task A_log_under_everysec_or_no_reserves_its_first_segment_without_writing_zeros_and_recovers_its_records(FsyncPolicy fsync)
    {
        var dir = Path.Combine(_dir, "wal");
        var options = new WriteAheadLogOptions { Directory = dir, Fsync = fsync, SegmentSize = Size };
        var log = OpenCountingThisThread(options, out var dirtied);
        using (log)
        {
            if (OperatingSystem.IsLinux() && dirtied is not null)
                Assert.True(dirtied < Size / 16, $"opening dirtied {dirtied} bytes: the segment's zeros were written");
            var end = log.AppendPut("k"u8.ToArray(), "v"u8.ToArray());
            Assert.True(await log.WhenDurableAsync(end).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
        }
        var segment = Directory.GetFiles(dir, "*.wal").Single();
        Assert.Equal(Size, new FileInfo(segment).Length);
        var store = new ShardedStore();
        using (WriteAheadLog.Open(options, store, out var report))
            Assert.Equal(1, report.Records);
        Assert.True(store.TryGet("k"u8.ToArray(), out var value));
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(value.Span));
    }
}
