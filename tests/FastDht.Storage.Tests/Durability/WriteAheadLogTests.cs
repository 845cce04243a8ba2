using System.Text;
using FastDht.Storage.Durability;
using FastDht.TestUtilities;

namespace FastDht.Storage.Tests.Durability;

/// <summary>The write-ahead log on its own: what is appended comes back on reopen, and damage gets the documented treatment.</summary>
public sealed class WriteAheadLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fastdht-wal-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Polls until <paramref name="condition"/> holds; fails after 20 s.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = Environment.TickCount64 + 20_000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
                throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    private static string? Get(ShardedStore store, string key) =>
        store.TryGet(B(key), out var value) ? Encoding.UTF8.GetString(value.Span) : null;

    private WriteAheadLog Open(ShardedStore store, out LogRecoveryReport report, FsyncPolicy fsync = FsyncPolicy.Always, long segmentSize = 64L << 20, bool truncate = false, Func<bool>? workQueued = null, bool map = true) =>
        WriteAheadLog.Open(new WriteAheadLogOptions { Directory = _dir, Fsync = fsync, SegmentSize = segmentSize, TruncateAtCorruption = truncate, WorkQueued = workQueued, MapSegments = map }, store, out report);

    /// <summary>The offset just after the last non-zero byte of <paramref name="segment"/>: where its records end.</summary>
    private static int RecordsEnd(byte[] segment) => segment.AsSpan().LastIndexOfAnyExcept((byte)0) + 1;

    /// <summary>How far the last segment holds written records (its header at least): what any reader of the file sees.</summary>
    private long WrittenLength() => Math.Max(16, RecordsEnd(File.ReadAllBytes(Segments()[^1])));

    private string[] Segments()
    {
        var files = Directory.GetFiles(_dir, "*.wal");
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    [Theory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task Appended_puts_deletes_and_batches_come_back_on_reopen(FsyncPolicy fsync)
    {
        using (var log = Open(new ShardedStore(), out var first, fsync))
        {
            Assert.Equal(0, first.Records);
            log.AppendPut(B("a"), B("1"));
            log.AppendPut(B("b"), B("2"));
            log.AppendDelete(B("a"));
            var batch = new LogBatch();
            batch.AddPut(B("c"), B("3"));
            batch.AddPut(B("d"), B("4"));
            batch.AddDelete(B("b"));
            var end = log.Append(batch);
            Assert.Equal(end, log.AppendedPosition);
            Assert.True(await log.WhenDurableAsync(end).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.True(log.IsDurable(end));
        }

        var store = new ShardedStore();
        using var reopened = Open(store, out var report, fsync);
        Assert.Equal(4, report.Records);
        Assert.Equal(0, report.TornTailBytes);
        Assert.Null(Get(store, "a"));
        Assert.Null(Get(store, "b"));
        Assert.Equal("3", Get(store, "c"));
        Assert.Equal("4", Get(store, "d"));
        Assert.Equal(report.Bytes, reopened.AppendedPosition);
    }

    [Fact]
    public async Task A_clear_record_removes_everything_before_it_and_nothing_after_it_on_replay()
    {
        using (var log = Open(new ShardedStore(), out _))
        {
            log.AppendPut(B("before"), B("1"));
            log.AppendClear();
            var end = log.AppendPut(B("after"), B("2"));
            Assert.True(await log.WhenDurableAsync(end).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        var store = new ShardedStore();
        using var reopened = Open(store, out var report);
        Assert.Equal(3, report.Records);
        Assert.Null(Get(store, "before"));
        Assert.Equal("2", Get(store, "after"));
    }

    [Fact]
    public async Task Expiry_times_are_logged_with_the_value_and_when_they_change()
    {
        using (var log = Open(new ShardedStore(), out _))
        {
            log.AppendPut(B("ttl"), B("1"), expiresAt: 4_000_000_000_000);
            log.AppendPut(B("changed"), B("2"));
            log.AppendExpire(B("changed"), 5_000_000_000_000);
            log.AppendPut(B("persisted"), B("3"), expiresAt: 6_000_000_000_000);
            var end = log.AppendExpire(B("persisted"), 0);
            Assert.True(await log.WhenDurableAsync(end).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        var store = new ShardedStore();
        using var reopened = Open(store, out var report);
        Assert.Equal(5, report.Records);
        Assert.True(store.TryGet(B("ttl"), out _, out var ttl));
        Assert.Equal(4_000_000_000_000, ttl.ExpiresAt);
        Assert.True(store.TryGet(B("changed"), out _, out var changed));
        Assert.Equal(5_000_000_000_000, changed.ExpiresAt);
        Assert.True(store.TryGet(B("persisted"), out var value, out var persisted));
        Assert.False(persisted.HasExpiry);
        Assert.Equal("3", System.Text.Encoding.UTF8.GetString(value.Span));
    }

    [Fact]
    public async Task A_collections_type_is_logged_with_its_value_in_records_and_batches_and_an_expiry_change_keeps_it()
    {
        using (var log = Open(new ShardedStore(), out _))
        {
            log.AppendPutTyped(B("list"), B("encoded"), EntryType.List, 0);
            log.AppendPutTyped(B("zset"), B("z"), EntryType.SortedSet, 4_000_000_000_000);
            log.AppendExpire(B("list"), 5_000_000_000_000);
            var batch = new LogBatch();
            batch.AddPutTyped(B("hash"), B("h"), EntryType.Hash, 0);
            batch.AddPutTyped(B("plain"), B("p"), EntryType.String, 0);
            log.Append(batch);
            var end = log.AppendPutTyped(B("set"), B("s"), EntryType.Set, 0);
            Assert.True(await log.WhenDurableAsync(end).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        }

        var store = new ShardedStore();
        using var reopened = Open(store, out _);
        Assert.True(store.TryGet(B("list"), out var list, out var listMetadata));
        Assert.Equal("encoded", System.Text.Encoding.UTF8.GetString(list.Span));
        Assert.Equal(new EntryMetadata(5_000_000_000_000, 0, EntryType.List), listMetadata);
        Assert.True(store.TryGet(B("zset"), out _, out var zset));
        Assert.Equal(new EntryMetadata(4_000_000_000_000, 0, EntryType.SortedSet), zset);
        Assert.True(store.TryGet(B("hash"), out _, out var hash));
        Assert.Equal(EntryType.Hash, hash.Type);
        Assert.True(store.TryGet(B("plain"), out _, out var plain));
        Assert.True(plain.IsNone);
        Assert.True(store.TryGet(B("set"), out _, out var set));
        Assert.Equal(EntryType.Set, set.Type);
    }

    [Theory]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task Under_everysec_and_no_a_wait_is_answered_once_the_record_is_in_the_file_without_waiting_for_the_flush_thread(FsyncPolicy fsync)
    {
        // Nothing else queued (a lone writer): the caller writes at once.
        using var log = Open(new ShardedStore(), out _, fsync, segmentSize: 64 * 1024, workQueued: static () => false);
        var before = WrittenLength();
        var end = log.AppendPut(B("a"), B("1"));

        // Written by the caller, to the operating system: the wait is over before it began, and the bytes are in the
        // file for any reader (what a killed process leaves), whether or not an fsync has run yet.
        var waiting = log.WhenDurableAsync(end);
        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(await waiting);
        Assert.True(log.IsDurable(end));
        Assert.Equal(before + end, WrittenLength());

        // The flushing thread of a connection asks the same without waiting (ReplyGuard.IsReached).
        var second = log.AppendPut(B("b"), B("2"));
        Assert.True(log.TryMakeDurable(second));
        Assert.Equal(before + second, WrittenLength());
    }

    [Theory]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task Under_everysec_and_no_with_other_work_queued_a_positional_write_is_left_to_one_round_after_it(FsyncPolicy fsync)
    {
        // A segment that is not mapped: each round is a system call, worth sharing.
        using var log = Open(new ShardedStore(), out _, fsync, segmentSize: 64 * 1024, workQueued: static () => true, map: false);
        var before = WrittenLength();

        // The caller does not write: a round queued behind the other work will, and the reply waits for it.
        var end = log.AppendPut(B("a"), B("1"));
        Assert.False(log.TryMakeDurable(end));
        Assert.True(await log.WhenDurableAsync(end).AsTask().WithinAsync("the deferred round wrote the record"));
        Assert.True(log.IsDurable(end));
        Assert.Equal(before + end, WrittenLength());

        // Several replies waiting meanwhile: one write covers them all.
        var start = log.Statistics;
        var ends = new long[8];
        for (var i = 0; i < ends.Length; i++)
            ends[i] = log.AppendPut(B($"k{i}"), B("v"));
        var waits = new Task<bool>[ends.Length];
        for (var i = 0; i < ends.Length; i++)
            waits[i] = log.WhenDurableAsync(ends[i]).AsTask();
        foreach (var wait in waits)
            Assert.True(await wait.WithinAsync("a reply's record written"));
        Assert.InRange(log.Statistics.WriteRounds - start.WriteRounds, 1, 2); // 2 only if the flush thread's once-a-second write fell between two appends
        Assert.Equal(before + ends[^1], WrittenLength());
    }

    [Theory]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task Under_everysec_and_no_a_mapped_segment_is_written_by_the_caller_even_with_other_work_queued(FsyncPolicy fsync)
    {
        // Into the mapping a round is a memory copy: deferring it behind the queued work would only add a thread hop.
        using var log = Open(new ShardedStore(), out _, fsync, segmentSize: 64 * 1024, workQueued: static () => true);
        var before = WrittenLength();
        var start = log.Statistics;
        var end = log.AppendPut(B("a"), B("1"));
        Assert.True(log.TryMakeDurable(end));
        var second = log.AppendPut(B("b"), B("2"));
        var waiting = log.WhenDurableAsync(second);
        Assert.True(waiting.IsCompletedSuccessfully);
        Assert.True(await waiting);
        Assert.Equal(0, log.Statistics.Waits - start.Waits); // no reply waited for a round
        // In the file for any reader (the shared mapping is the file's page cache): what a killed process leaves.
        Assert.Equal(before + second, WrittenLength());
    }

    [Fact]
    public async Task Under_always_a_wait_ends_only_after_the_fsync_that_covers_the_record()
    {
        using var log = Open(new ShardedStore(), out _);
        var end = log.AppendPut(B("a"), B("1"));
        // The caller never writes under always: it waits for the flush thread's group commit.
        Assert.True(await log.WhenDurableAsync(end).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(log.SyncedPosition >= end);
    }

    [Fact]
    public void The_thread_mark_is_the_last_position_this_thread_appended_and_is_taken_once()
    {
        using var log = Open(new ShardedStore(), out _);
        Assert.Equal(0, log.TakeThreadMark());
        log.AppendPut(B("a"), B("1"));
        var end = log.AppendPut(B("b"), B("2"));
        Assert.Equal(end, log.TakeThreadMark());
        Assert.Equal(0, log.TakeThreadMark());
    }

    [Theory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task Many_concurrent_appenders_are_all_durable_and_all_replayed(FsyncPolicy fsync)
    {
        const int writers = 8, each = 500;
        using (var log = Open(new ShardedStore(), out _, fsync))
        {
            var tasks = new Task[writers];
            for (var w = 0; w < writers; w++)
            {
                var id = w;
                tasks[w] = Task.Run(async () =>
                {
                    for (var i = 0; i < each; i++)
                    {
                        var end = log.AppendPut(B($"k{id}-{i}"), B($"v{i}"));
                        Assert.True(await log.WhenDurableAsync(end));
                        if (fsync == FsyncPolicy.Always)
                            Assert.True(log.SyncedPosition >= end); // the reply leaves after the fsync
                    }
                });
            }
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        }
        var store = new ShardedStore();
        using var reopened = Open(store, out var report);
        Assert.Equal(writers * each, report.Records);
        Assert.Equal("v499", Get(store, "k7-499"));
    }

    [Theory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    public async Task Segments_rotate_and_are_all_replayed_in_order(FsyncPolicy fsync)
    {
        using (var log = Open(new ShardedStore(), out _, fsync, segmentSize: 4096))
        {
            for (var i = 0; i < 2000; i++)
            {
                var end = log.AppendPut(B($"key{i % 50}"), B($"value{i}"));
                // Rotation happens between flush rounds: wait now and then so there are many rounds.
                if (i % 50 == 49)
                    Assert.True(await log.WhenDurableAsync(end));
            }
        }
        Assert.True(Segments().Length > 3, $"expected several segments, found {Segments().Length}");
        var store = new ShardedStore();
        using var reopened = Open(store, out var report, segmentSize: 4096);
        Assert.Equal(2000, report.Records);
        Assert.Equal("value1999", Get(store, "key49"));
        Assert.Equal("value1950", Get(store, "key0"));
    }


    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_torn_tail_is_cut_and_appending_continues_after_the_last_whole_record(bool inReservedSegment)
    {
        const int Size = 64 * 1024;
        using (var log = Open(new ShardedStore(), out _, segmentSize: Size))
        {
            log.AppendPut(B("a"), B("1"));
            log.AppendPut(B("b"), B("2"));
            var batch = new LogBatch();
            batch.AddPut(B("c"), B("3"));
            batch.AddPut(B("d"), B("4"));
            log.Append(batch);
        }
        var segment = Segments()[^1];
        var bytes = File.ReadAllBytes(segment);
        // The segment was reserved whole, with zeros after its records.
        Assert.Equal(Size, bytes.Length);
        var end = RecordsEnd(bytes);
        // The batch record loses its last 5 bytes, as a crash during its write would leave it: zeros in a reserved segment
        // (the write stopped short of them), or the file's end in a segment that grew as records came (an older version's).
        if (inReservedSegment)
            Array.Clear(bytes, end - 5, 5);
        else
            Array.Resize(ref bytes, end - 5);
        File.WriteAllBytes(segment, bytes);

        var store = new ShardedStore();
        using (var log = Open(store, out var report, segmentSize: Size))
        {
            Assert.Equal(2, report.Records);
            Assert.True(report.TornTailBytes > 0);
            Assert.Equal("2", Get(store, "b"));
            Assert.Null(Get(store, "c")); // the batch is gone whole, not half
            Assert.Null(Get(store, "d"));
            log.AppendPut(B("e"), B("5"));
        }
        Assert.Equal(Size, new FileInfo(segment).Length); // reserved again after the cut
        var again = new ShardedStore();
        using var third = Open(again, out var thirdReport, segmentSize: Size);
        Assert.Equal(3, thirdReport.Records);
        Assert.Equal(0, thirdReport.TornTailBytes);
        Assert.Equal("5", Get(again, "e"));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0)]
    public void A_flipped_byte_in_the_middle_stops_recovery_naming_file_and_offset_unless_truncation_is_allowed(int flip)
    {
        const int Size = 64 * 1024;
        using (var log = Open(new ShardedStore(), out _, segmentSize: Size))
        {
            for (var i = 0; i < 10; i++)
                log.AppendPut(B($"k{i}"), B($"v{i}"));
        }
        var segment = Segments()[^1];
        var bytes = File.ReadAllBytes(segment);
        var recordSize = (RecordsEnd(bytes) - 16) / 10;
        var thirdRecord = 16 + (2 * recordSize);
        if (flip != 0)
            bytes[thirdRecord + 12] ^= (byte)flip; // inside the third record's key
        else
            Array.Clear(bytes, thirdRecord, recordSize); // the third record lost whole (zeros), records after it intact
        File.WriteAllBytes(segment, bytes);

        var refused = Assert.Throws<LogCorruptionException>(() => Open(new ShardedStore(), out _, segmentSize: Size));
        Assert.Equal(segment, refused.File);
        Assert.Equal(thirdRecord, refused.Offset);
        Assert.Contains(segment, refused.Message);
        Assert.Contains($"offset {thirdRecord}", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);

        var store = new ShardedStore();
        using (var log2 = Open(store, out var report, segmentSize: Size, truncate: true))
        {
            Assert.Equal(2, report.Records);
            Assert.Contains(segment, report.TruncatedAt);
            Assert.Equal("v1", Get(store, "k1"));
            Assert.Null(Get(store, "k2"));
            Assert.Null(Get(store, "k9"));
            log2.AppendPut(B("k2"), B("again"));
        }
        // The cut zeroed what followed it: the next start finds a clean log.
        var store3 = new ShardedStore();
        using var log3 = Open(store3, out var report3, segmentSize: Size);
        Assert.Equal(3, report3.Records);
        Assert.Equal("again", Get(store3, "k2"));
        Assert.Null(Get(store3, "k9"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_crash_right_after_a_rotation_recovers_every_record_and_appends_in_the_new_segment(bool newHeaderLost)
    {
        const int Size = 8 * 1024;
        var copy = _dir + "-crash";
        try
        {
            long end, before = 0;
            var count = 0;
            using (var log = Open(new ShardedStore(), out _, segmentSize: Size))
            {
                while (true)
                {
                    end = log.AppendPut(B($"k{count}"), B($"value{count}"));
                    count++;
                    Assert.True(await log.WhenDurableAsync(end));
                    if (Segments().Length > 1)
                        break;
                    before = end;
                }
                // The crash: the folder as the disk holds it right after the rotation, the new segment holding one record.
                Directory.CreateDirectory(copy);
                foreach (var file in Segments())
                    File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
            var segments = Directory.GetFiles(copy, "*.wal");
            Array.Sort(segments, StringComparer.Ordinal);
            Assert.Equal(2, segments.Length);
            // The old segment as it is before the preparer cuts it back: its unused zeros still there.
            using (var old = new FileStream(segments[0], FileMode.Open))
                old.SetLength(Size);
            var newest = File.ReadAllBytes(segments[1]);
            Assert.Equal(Size, newest.Length); // reserved whole before it was named
            if (newHeaderLost)
            {
                // Renamed into place before its header and record reached the disk (fsync no allows it): zeros only.
                File.WriteAllBytes(segments[1], new byte[Size]);
            }

            var store = new ShardedStore();
            using (var reopened = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = copy, SegmentSize = Size }, store, out var report))
            {
                Assert.Equal(0, report.TornTailBytes);
                Assert.Null(report.TruncatedAt);
                Assert.Equal(newHeaderLost ? count - 1 : count, report.Records);
                Assert.Equal(newHeaderLost ? before : end, reopened.AppendedPosition);
                Assert.Equal("value0", Get(store, "k0"));
                Assert.Equal(newHeaderLost ? null : $"value{count - 1}", Get(store, $"k{count - 1}"));
                Assert.True(await reopened.WhenDurableAsync(reopened.AppendPut(B("after"), B("crash"))));
            }
            var again = new ShardedStore();
            using var third = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = copy, SegmentSize = Size }, again, out var thirdReport);
            Assert.Equal("crash", Get(again, "after"));
            Assert.Equal(0, thirdReport.TornTailBytes);
        }
        finally
        {
            if (Directory.Exists(copy))
                Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task A_log_whose_first_segments_are_gone_without_a_snapshot_stops_recovery_unless_truncation_is_allowed()
    {
        using (var log = Open(new ShardedStore(), out _, segmentSize: 4096))
        {
            for (var i = 0; i < 400; i++)
            {
                var end = log.AppendPut(B($"k{i}"), B($"v{i}"));
                if (i % 50 == 49)
                    Assert.True(await log.WhenDurableAsync(end));
            }
        }
        var segments = Segments();
        Assert.True(segments.Length > 2, $"expected several segments, found {segments.Length}");
        File.Delete(segments[0]); // no snapshot holds its records: the log as left no longer starts at 0

        var refused = Assert.Throws<LogCorruptionException>(() => Open(new ShardedStore(), out _, segmentSize: 4096));
        Assert.Equal(segments[1], refused.File);
        Assert.Equal(0, refused.Offset);
        Assert.Contains("no snapshot holds the records before it", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);

        var store = new ShardedStore();
        using var cut = Open(store, out var report, segmentSize: 4096, truncate: true);
        Assert.Contains(segments[1], report.TruncatedAt);
        Assert.Null(Get(store, "k0"));
        Assert.Equal("v399", Get(store, "k399"));
    }

    [Fact]
    public void A_second_log_on_the_same_folder_is_refused()
    {
        using var log = Open(new ShardedStore(), out _);
        var refused = Assert.Throws<IOException>(() => Open(new ShardedStore(), out _));
        Assert.Contains("in use", refused.Message);
    }

    [Fact]
    public async Task Dispose_writes_what_was_appended_and_ends_waits()
    {
        var log = Open(new ShardedStore(), out _, FsyncPolicy.EverySec);
        var end = log.AppendPut(B("a"), B("1"));
        var waiting = log.WhenDurableAsync(end + 1000); // beyond anything appended: can only end by closing
        log.Dispose();
        Assert.False(await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(log.IsDurable(end));
        Assert.False(log.IsWritable);
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task A_full_disk_refuses_writes_once_the_next_segment_cannot_be_reserved_makes_the_accepted_ones_durable_and_resumes_when_space_returns(FsyncPolicy fsync)
    {
        const int Size = 64 * 1024;
        using var disk = SmallDisk.Mount(512);
        var dir = Path.Combine(disk.Path, "wal");
        var transitions = new System.Collections.Concurrent.ConcurrentQueue<Exception?>();
        var options = new WriteAheadLogOptions { Directory = dir, Fsync = fsync, SegmentSize = Size, RetryInterval = TimeSpan.FromMilliseconds(50), HealthChanged = transitions.Enqueue };
        var value = new byte[1000];
        var count = 0;
        using (var log = WriteAheadLog.Open(options, new ShardedStore(), out _))
        {
            var before = log.AppendPut(B("before"), B("1"));
            Assert.True(await log.WhenDurableAsync(before).AsTask().WithinAsync("the first write durable"));
            disk.Fill();

            // The open segment's space was reserved when it was made: until it is half full nothing is refused, and
            // every record is durable at once, full disk or not.
            while (log.AppendedPosition < Size / 2)
            {
                Assert.True(log.IsWritable, $"refused after {count} records, before the segment was half full");
                Assert.True(await log.WhenDurableAsync(log.AppendPut(B($"k{count}"), value)).AsTask().WithinAsync($"record {count} durable"));
                count++;
            }

            // Half full: the next segment is asked for, cannot be reserved, and new writes are refused at once.
            await UntilAsync(() => !log.IsWritable, "the log refuses writes once the next segment cannot be reserved");
            Assert.IsAssignableFrom<IOException>(log.Failure);
            Assert.Contains("reserve the next log segment", log.Failure!.Message);
            Assert.Contains("refused", log.Failure.Message);

            // Writes a caller accepted just before the refusal (in flight) still go into the reserved half: durable,
            // acknowledged truthfully, not held for the disk.
            for (var i = 0; i < 20; i++)
            {
                Assert.True(await log.WhenDurableAsync(log.AppendPut(B($"k{count}"), value)).AsTask().WithinAsync($"accepted record {count} durable"));
                count++;
            }
            Assert.True(log.IsDurable(log.AppendedPosition));
            Assert.False(log.IsWritable);

            disk.Free();
            await UntilAsync(() => log.IsWritable, "writes resume once the next segment can be reserved");
            Assert.Null(log.Failure);
            // Past the old segment's end now: the round rotates into the segment made when space returned.
            for (var i = 0; i < Size / 1000; i++)
            {
                Assert.True(await log.WhenDurableAsync(log.AppendPut(B($"k{count}"), value)).AsTask().WithinAsync($"record {count} durable after the disk freed"));
                count++;
            }
            Assert.True(await log.WhenDurableAsync(log.AppendPut(B("after"), B("3"))).AsTask().WithinAsync("the last write durable"));
        }
        var reported = transitions.ToArray();
        Assert.True(reported.Length >= 2, "HealthChanged reported the refusal and the recovery");
        Assert.Contains("reserve the next log segment", reported[0]!.Message);
        Assert.Null(reported[^1]);

        var store = new ShardedStore();
        using var reopened = WriteAheadLog.Open(options, store, out var report);
        Assert.Equal(count + 2, report.Records);
        Assert.Equal("1", Get(store, "before"));
        for (var i = 0; i < count; i++)
            Assert.True(store.TryGet(B($"k{i}"), out _), $"k{i} acknowledged and lost");
        Assert.Equal("3", Get(store, "after"));
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    [InlineData(FsyncPolicy.No)]
    public async Task A_clients_wait_for_a_round_that_fails_gives_up_at_once_while_other_waits_hold_and_the_record_is_logged_when_space_returns(FsyncPolicy fsync)
    {
        using var disk = SmallDisk.Mount(512);
        // 64 KiB segments: the big record below needs a segment of its own, which the full disk cannot give it.
        var options = new WriteAheadLogOptions { Directory = Path.Combine(disk.Path, "wal"), Fsync = fsync, SegmentSize = 64 * 1024, RetryInterval = TimeSpan.FromMilliseconds(50) };
        using (var log = WriteAheadLog.Open(options, new ShardedStore(), out _))
        {
            Assert.True(await log.WhenDurableAsync(log.AppendPut(B("before"), B("1"))).AsTask().WithinAsync("the first write durable"));
            disk.Fill();
            var big = log.AppendPut(B("big"), new byte[64 * 1024]);
            var client = log.WhenDurableForSendAsync(big, giveUpOnFailure: true).AsTask();
            var peer = log.WhenDurableForSendAsync(big).AsTask();
            var decision = log.WhenDurableAsync(big).AsTask();

            // A client's reply must neither claim durability nor wait for a disk that may not come back: it gives up.
            Assert.False(await client.WithinAsync("the client's wait gives up"));
            Assert.False(log.IsWritable);
            Assert.False(log.IsDurable(big));
            Assert.False(await log.WhenDurableForSendAsync(big, giveUpOnFailure: true).AsTask().WithinAsync("a client's wait while failing"));
            Assert.False(peer.IsCompleted);
            Assert.False(decision.IsCompleted);

            // The record was kept: written once the disk takes it, and the waits that hold complete with true.
            disk.Free();
            Assert.True(await peer.WithinAsync("the held wait after the disk freed"));
            Assert.True(await decision.WithinAsync("the held wait after the disk freed"));
            await UntilAsync(() => log.IsWritable, "writes resume");
            Assert.True(await log.WhenDurableForSendAsync(log.AppendPut(B("after"), B("3")), giveUpOnFailure: true).AsTask().WithinAsync("a client's wait once healthy"));
        }
        var store = new ShardedStore();
        using var reopened = WriteAheadLog.Open(options, store, out _);
        Assert.True(store.TryGet(B("big"), out var bigValue));
        Assert.Equal(64 * 1024, bigValue.Length);
        Assert.Equal("3", Get(store, "after"));
    }

    [Theory]
    [InlineData(FsyncPolicy.Always, 64 * 1024)]
    [InlineData(FsyncPolicy.EverySec, 64 * 1024)] // the segment fills first: the rotation finds the deletion
    [InlineData(FsyncPolicy.EverySec, 64L << 20)] // the once-a-second check finds it
    public async Task A_data_directory_deleted_while_running_refuses_writes_and_once_restored_gets_a_new_log_and_a_snapshot_losing_nothing(FsyncPolicy fsync, long segmentSize)
    {
        var options = new WriteAheadLogOptions { Directory = _dir, Fsync = fsync, SegmentSize = segmentSize, RetryInterval = TimeSpan.FromMilliseconds(50) };
        var store = new ShardedStore();
        var count = 0;
        using (var log = WriteAheadLog.Open(options, store, out _))
        {
            store.Put(B("before"), B("1"));
            Assert.True(await log.WhenDurableAsync(log.AppendPut(B("before"), B("1"))));
            Directory.Delete(_dir, recursive: true);

            // Under always the next round finds its segment deleted; under everysec the once-a-second check does, and
            // what was acknowledged until then is in the store only: the snapshot below must bring it back.
            Task<bool> last;
            var deadline = Environment.TickCount64 + 20_000;
            while (true)
            {
                store.Put(B($"k{count}"), B("v"));
                last = log.WhenDurableAsync(log.AppendPut(B($"k{count}"), B("v"))).AsTask();
                count++;
                await UntilAsync(() => last.IsCompleted || !log.IsWritable, "the record is durable or the log refuses writes");
                if (!log.IsWritable)
                    break;
                Assert.True(await last);
                Assert.True(Environment.TickCount64 < deadline, $"{count} records were acknowledged into a deleted log");
            }
            Assert.IsAssignableFrom<IOException>(log.Failure);
            Assert.Contains("deleted", log.Failure!.Message, StringComparison.Ordinal);
            if (fsync == FsyncPolicy.Always)
                Assert.False(last.IsCompleted); // its round went into the deleted file: held, not acknowledged

            // The node never creates the directory itself (a lost mount would fill the wrong disk): the operator does.
            Directory.CreateDirectory(_dir);
            await UntilAsync(() => log.IsWritable, "writes resume once the directory is back and a snapshot is in it");
            Assert.True(await last.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Single(Directory.GetFiles(_dir, "*.snap"));
            store.Put(B("after"), B("3"));
            Assert.True(await log.WhenDurableAsync(log.AppendPut(B("after"), B("3"))));
        }

        var restored = new ShardedStore();
        using var reopened = WriteAheadLog.Open(options, restored, out var report);
        Assert.NotNull(report.Snapshot);
        Assert.Null(report.TruncatedAt);
        Assert.Equal("1", Get(restored, "before"));
        Assert.Equal("v", Get(restored, $"k{count - 1}"));
        Assert.Equal("3", Get(restored, "after"));
        Assert.Equal(count + 2, restored.Count);
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    public async Task The_waits_one_fsync_finishes_are_counted_as_one_wake_up_and_resumed_on_the_flush_thread(FsyncPolicy fsync)
    {
        // A full disk holds every wait deterministically: what is appended meanwhile goes out in one round, one fsync.
        using var disk = SmallDisk.Mount(512);
        // 64 KiB segments: the big record below needs the next one, which the full disk cannot reserve.
        var options = new WriteAheadLogOptions { Directory = Path.Combine(disk.Path, "wal"), Fsync = fsync, SegmentSize = 64 * 1024, RetryInterval = TimeSpan.FromMilliseconds(50) };
        using var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        Assert.True(await log.WhenDurableAsync(log.AppendPut(B("before"), B("1"))).AsTask().WithinAsync("the first write durable"));
        disk.Fill();
        var big = log.AppendPut(B("big"), new byte[64 * 1024]);
        var bigWait = log.WhenDurableAsync(big).AsTask();
        await UntilAsync(() => !log.IsWritable, "the log reports the full disk");

        const int waits = 20;
        var start = log.Statistics;
        var resumed = new Task[waits];
        for (var i = 0; i < waits; i++)
            resumed[i] = ResumeOnTheFlushThreadAsync(log, log.AppendPut(B($"k{i}"), B("v")));
        var held = log.Statistics;
        Assert.Equal(waits, held.Records - start.Records);
        Assert.Equal(waits, held.Waits - start.Waits); // none could be answered at once

        disk.Free();
        Assert.True(await bigWait.WithinAsync("the big record durable once the disk is free"));
        await Task.WhenAll(resumed).WithinAsync("the 20 waits resumed on the flush thread");
        var done = log.Statistics;
        // The retried round (the big record) and the round after it (the 20): an fsync each, one wake-up each at most.
        Assert.InRange(done.WakeBatches - start.WakeBatches, 1, 2);
        Assert.InRange(done.Fsyncs - start.Fsyncs, 1, 2);
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    public async Task A_rotation_retried_on_a_full_disk_while_the_preparer_reports_its_failures_never_deadlocks(FsyncPolicy fsync)
    {
        // The flush thread retries the rotation under its gate while the preparer retries the segment and reports each
        // failure: with a 1 ms retry the two meet often. The report once took that gate on the preparer's thread, which
        // the rotation was waiting for: both hung, and the log's Dispose with them.
        using var disk = SmallDisk.Mount(512);
        var options = new WriteAheadLogOptions { Directory = Path.Combine(disk.Path, "wal"), Fsync = fsync, SegmentSize = 64 * 1024, RetryInterval = TimeSpan.FromMilliseconds(1) };
        using var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        Assert.True(await log.WhenDurableAsync(log.AppendPut(B("before"), B("1"))).AsTask().WithinAsync("the first write durable"));
        // Two rounds (each leaves about three segments on the 512 KiB disk): in the second a segment may be ready when
        // the disk fills, so the first big record may go through; the second then needs a segment the disk cannot give.
        for (var round = 0; round < 2; round++)
        {
            disk.Fill();
            var first = log.WhenDurableAsync(log.AppendPut(B($"a{round}"), new byte[64 * 1024])).AsTask();
            await UntilAsync(() => !log.IsWritable, "the log reports the full disk");
            var second = log.WhenDurableAsync(log.AppendPut(B($"b{round}"), new byte[64 * 1024])).AsTask();
            // Many retries on both threads while the disk stays full (not a timing assertion: only room for them to meet).
            await Task.Delay(300);
            Assert.False(second.IsCompleted); // no segment for it: held, not acknowledged
            disk.Free();
            Assert.True(await first.WithinAsync($"round {round}: the first big record durable once the disk is free"));
            Assert.True(await second.WithinAsync($"round {round}: the second big record durable once the disk is free"));
            await UntilAsync(() => log.IsWritable, "writes resume once the next segment is reserved");
        }
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    public async Task A_log_closes_on_a_full_disk_with_a_rotation_pending(FsyncPolicy fsync)
    {
        // A node must never hang at shutdown: the pending round stays undurable and its waiters get false.
        using var disk = SmallDisk.Mount(512);
        var options = new WriteAheadLogOptions { Directory = Path.Combine(disk.Path, "wal"), Fsync = fsync, SegmentSize = 64 * 1024, RetryInterval = TimeSpan.FromMilliseconds(1) };
        var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        Task<bool> big;
        try
        {
            Assert.True(await log.WhenDurableAsync(log.AppendPut(B("before"), B("1"))).AsTask().WithinAsync("the first write durable"));
            disk.Fill();
            big = log.WhenDurableAsync(log.AppendPut(B("big"), new byte[64 * 1024])).AsTask();
            await UntilAsync(() => !log.IsWritable, "the log reports the full disk");
            await Task.Delay(100); // retries under way on both threads when it closes
        }
        finally
        {
            await Task.Run(log.Dispose).WithinAsync("the log closed on a full disk");
        }
        Assert.False(await big.WithinAsync("the pending wait answered at close"));
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    public async Task A_group_already_waiting_when_the_last_fsync_ended_is_not_held_for_the_writers_that_fsync_answered(FsyncPolicy fsync)
    {
        // A full disk keeps a round pending deterministically while the next group's record is appended behind it.
        using var disk = SmallDisk.Mount(512);
        // 64 KiB segments: the big record below needs the next one, which the full disk cannot reserve. A hold far
        // longer than the test may take: a round that were held would time out here.
        var options = new WriteAheadLogOptions
        {
            Directory = Path.Combine(disk.Path, "wal"), Fsync = fsync, SegmentSize = 64 * 1024,
            RetryInterval = TimeSpan.FromMilliseconds(50), GroupCommitDelay = TimeSpan.FromMinutes(10),
        };
        using var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        Assert.True(await log.WhenDurableAsync(log.AppendPut(B("before"), B("1"))).AsTask().WithinAsync("the first write durable"));
        disk.Fill();
        var big = log.AppendPut(B("big"), new byte[64 * 1024]);
        // Two writers wait for the pending round: the fsync that ends it answers both.
        var first = log.WhenDurableAsync(big).AsTask();
        var second = log.WhenDurableAsync(big).AsTask();
        await UntilAsync(() => !log.IsWritable, "the log reports the full disk");
        // The next group (one writer) appends while that round is still pending: it is waiting when the round's fsync ends.
        var start = log.Statistics;
        var next = log.WhenDurableAsync(log.AppendPut(B("next"), B("v"))).AsTask();

        disk.Free();
        Assert.True(await first.WithinAsync("the retried round durable"));
        Assert.True(await second.WithinAsync("the retried round durable"));
        // Fewer writers wait than the last fsync answered, but they were already waiting when it ended: no hold.
        Assert.True(await next.WithinAsync("the next group's write durable without a hold"));
        Assert.Equal(0, log.Statistics.Holds - start.Holds);
    }

    [Fact]
    public async Task A_lone_writer_is_never_held_for_others()
    {
        // A hold far longer than the test may take: a lone writer that were held would time out here.
        var options = new WriteAheadLogOptions { Directory = _dir, GroupCommitDelay = TimeSpan.FromMinutes(10) };
        using var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        var start = log.Statistics;
        for (var i = 0; i < 50; i++)
            Assert.True(await log.WhenDurableAsync(log.AppendPut(B($"k{i}"), B("v"))).AsTask().WithinAsync($"write {i} durable"));
        var done = log.Statistics;
        Assert.Equal(0, done.Holds - start.Holds);
        Assert.Equal(50, done.Records - start.Records);
        Assert.True(done.Fsyncs - start.Fsyncs >= 50, "each write waited for its own fsync, nobody else's");
    }

    [Fact]
    public async Task A_group_commit_waits_for_as_many_writers_as_the_last_fsync_answered()
    {
        var options = new WriteAheadLogOptions { Directory = _dir, GroupCommitDelay = TimeSpan.FromMinutes(10) };
        using var log = WriteAheadLog.Open(options, new ShardedStore(), out _);
        var first = log.AppendPut(B("k0"), B("v"));
        Assert.True(await log.WhenDurableAsync(first).AsTask().WithinAsync("the first write durable"));
        var recordSize = log.AppendPut(B("k1"), B("v")) - first;
        Assert.True(await log.WhenDurableAsync(first + recordSize).AsTask().WithinAsync("the second write durable"));

        // One fsync answers two writers: both wait for the next record's end before it is appended.
        var next = log.AppendedPosition + recordSize;
        var a = log.WhenDurableAsync(next).AsTask();
        var b = log.WhenDurableAsync(next).AsTask();
        Assert.Equal(next, log.AppendPut(B("k2"), B("v")));
        Assert.True(await a.WithinAsync("writer a durable"));
        Assert.True(await b.WithinAsync("writer b durable"));

        // One of the two writes again: its fsync is held until the other is in too, not started at once.
        var start = log.Statistics;
        var third = log.AppendPut(B("k3"), B("v"));
        var c = log.WhenDurableAsync(third).AsTask();
        await Task.WhenAny(c, Task.Delay(500));
        Assert.False(c.IsCompleted, "the fsync waited for the second writer in flight");
        var d = log.WhenDurableAsync(log.AppendPut(B("k4"), B("v"))).AsTask();
        Assert.True(await c.WithinAsync("writer c durable"));
        Assert.True(await d.WithinAsync("writer d durable"));
        var done = log.Statistics;
        Assert.Equal(1, done.Holds - start.Holds);
        Assert.Equal(1, done.Fsyncs - start.Fsyncs); // both records, one fsync
    }

    [Fact]
    public async Task Under_always_the_waits_an_fsync_finishes_are_resumed_on_the_flush_thread_with_no_hop_to_the_thread_pool()
    {
        using var log = Open(new ShardedStore(), out _);
        var start = log.AppendedPosition;
        var size = log.AppendPut(B("k0"), B("v")) - start;
        Assert.True(await log.WhenDurableAsync(start + size).AsTask().WithinAsync("the first write durable"));

        // Waits for the next record, registered before it is appended: none can be answered at once. Two are
        // connections' held flushes (the engine's ReplyGuard), one is any other caller's.
        var next = log.AppendedPosition + size;
        var sends = new[] { ThreadResumedOnAsync(log, next, forSend: true), ThreadResumedOnAsync(log, next, forSend: true) };
        var other = ThreadResumedOnAsync(log, next, forSend: false);
        Assert.Equal(next, log.AppendPut(B("k1"), B("v")));
        foreach (var wait in sends)
            Assert.Equal("FastDht WAL flush", await wait.WithinAsync("a held flush resumed"));
        // Any other caller's code (an embedder's, a test's) never runs on the flush thread.
        Assert.NotEqual("FastDht WAL flush", await other.WithinAsync("the other wait resumed"));
    }

    [Fact]
    public async Task Dispose_called_from_a_wait_the_flush_thread_resumed_closes_the_log_instead_of_waiting_for_itself()
    {
        var store = new ShardedStore();
        var log = Open(store, out _);
        var start = log.AppendedPosition;
        var size = log.AppendPut(B("k0"), B("v")) - start;
        Assert.True(await log.WhenDurableAsync(start + size).AsTask().WithinAsync("the first write durable"));

        // A connection whose code, resumed after its write is durable, closes the log: it runs on the flush thread.
        var closing = CloseWhenDurableAsync(log, log.AppendedPosition + size);
        log.AppendPut(B("k1"), B("v"));
        Assert.Equal("FastDht WAL flush", await closing.WithinAsync("Dispose returned on the flush thread"));
        Assert.False(log.IsWritable);

        // The close went on on a thread of its own: the folder's lock is released once it is done, with both records in.
        WriteAheadLog? reopened = null;
        var restored = new ShardedStore();
        await UntilAsync(() => TryOpen(restored, out reopened), "the log closed and its folder opens again");
        using (reopened)
        {
            Assert.Equal("v", Get(restored, "k0"));
            Assert.Equal("v", Get(restored, "k1"));
        }
    }

    private bool TryOpen(ShardedStore store, out WriteAheadLog? log)
    {
        try
        {
            log = Open(store, out _);
            return true;
        }
        catch (IOException)
        {
            log = null;
            return false;
        }
    }

    private static async Task<string?> CloseWhenDurableAsync(WriteAheadLog log, long position)
    {
        Assert.True(await log.WhenDurableForSendAsync(position).ConfigureAwait(false));
        var thread = Thread.CurrentThread.Name;
        log.Dispose();
        return thread;
    }

    private static async Task<string?> ThreadResumedOnAsync(WriteAheadLog log, long position, bool forSend)
    {
        Assert.True(await (forSend ? log.WhenDurableForSendAsync(position) : log.WhenDurableAsync(position)).ConfigureAwait(false));
        return Thread.CurrentThread.Name;
    }

    private static async Task ResumeOnTheFlushThreadAsync(WriteAheadLog log, long position)
    {
        // A wait that does not give up on a failure (a client's would: giveUpOnFailure), so the full disk holds it. Awaited
        // directly (its continuation must run where the log resumes it); the caller bounds it (WithinAsync on them all).
        Assert.True(await log.WhenDurableForSendAsync(position).ConfigureAwait(false));
        // Under always the flush thread sends the replies itself: no thread hop per group commit.
        Assert.Equal("FastDht WAL flush", Thread.CurrentThread.Name);
    }
}
