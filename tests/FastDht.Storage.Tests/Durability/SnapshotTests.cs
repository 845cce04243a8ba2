using System.Text;
using FastDht.Storage.Durability;
using FastDht.TestUtilities;

namespace FastDht.Storage.Tests.Durability;

/// <summary>Snapshots of the log's store: written while writes go on, loaded before the log after them, and damage handled as documented.</summary>
public sealed class SnapshotTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "durability-snap-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Get(ShardedStore store, string key) =>
        store.TryGet(B(key), out var value) ? Encoding.UTF8.GetString(value.Span) : null;

    private WriteAheadLog Open(
        ShardedStore store,
        out LogRecoveryReport report,
        long snapshotLogSize = 0,
        Func<IReadOnlyList<byte[]>>? carried = null,
        ApplicationRecordHandler? application = null,
        Action? barrier = null,
        bool truncate = false) =>
        WriteAheadLog.Open(
            new WriteAheadLogOptions
            {
                Directory = _dir,
                Fsync = FsyncPolicy.EverySec,
                SegmentSize = 64 * 1024,
                SnapshotLogSize = snapshotLogSize,
                SnapshotApplicationState = carried,
                ApplicationRecord = application,
                SnapshotBarrier = barrier,
                TruncateAtCorruption = truncate,
            },
            store,
            out report);

    /// <summary>Applied to the store, then logged: what the keyspace does for every write.</summary>
    private static void Put(WriteAheadLog log, ShardedStore store, string key, string value)
    {
        store.Put(B(key), B(value));
        log.AppendPut(B(key), B(value));
    }

    private string[] Files(string pattern)
    {
        var files = Directory.GetFiles(_dir, pattern);
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    private static async Task<SnapshotReport> SnapshotAsync(WriteAheadLog log)
    {
        Assert.True(log.TryStartSnapshot(out var completion));
        return await completion.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_snapshot_taken_while_writers_run_plus_the_log_after_it_restores_every_last_value()
    {
        var store = new ShardedStore();
        const int Writers = 4, Keys = 500, Rounds = 20;
        Task<SnapshotReport>? during = null;
        using (var log = Open(store, out _))
        {
            using var go = new ManualResetEventSlim();
            var threads = new Thread[Writers];
            for (var w = 0; w < Writers; w++)
            {
                var writer = w;
                threads[w] = new Thread(() =>
                {
                    go.Wait();
                    for (var round = 0; round < Rounds; round++)
                    {
                        for (var k = 0; k < Keys; k++)
                        {
                            // Each writer owns its keys: the last value of each is known. Every other key is deleted in odd rounds.
                            var key = $"w{writer}-k{k}";
                            if (round % 2 == 1 && k % 2 == 0)
                            {
                                store.Delete(B(key));
                                log.AppendDelete(B(key));
                            }
                            else
                            {
                                Put(log, store, key, $"r{round}");
                            }
                        }
                        if (writer == 0 && round == Rounds / 2)
                            Assert.True(log.TryStartSnapshot(out during));
                    }
                });
                threads[w].Start();
            }
            go.Set();
            foreach (var thread in threads)
                Assert.True(thread.Join(Bound));
            var report = await during!.WaitAsync(Bound);
            Assert.True(report.LogPosition > 0);
            Assert.True(File.Exists(report.File));
        }

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.NotNull(recovery.Snapshot);
        Assert.True(recovery.SnapshotKeys > 0);
        Assert.Equal(store.Count, restored.Count);
        for (var w = 0; w < Writers; w++)
        {
            for (var k = 0; k < Keys; k++)
                Assert.Equal(Get(store, $"w{w}-k{k}"), Get(restored, $"w{w}-k{k}"));
        }
    }

    [Fact]
    public async Task The_log_before_the_older_of_the_two_newest_snapshots_is_dropped_and_recovery_replays_only_after_the_newest()
    {
        var store = new ShardedStore();
        SnapshotReport first, second;
        long positionBeforeSecond;
        using (var log = Open(store, out _))
        {
            for (var i = 0; i < 3000; i++)
                Put(log, store, $"a{i}", "x");
            first = await SnapshotAsync(log);
            for (var i = 0; i < 3000; i++)
                Put(log, store, $"b{i}", "y");
            positionBeforeSecond = log.AppendedPosition;
            second = await SnapshotAsync(log);
            Assert.Equal(second.LogPosition, log.SnapshotPosition);
            for (var i = 0; i < 10; i++)
                Put(log, store, $"c{i}", "z");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }

        Assert.Equal(6000, second.Keys);
        Assert.Equal(positionBeforeSecond, second.LogPosition);
        // Two snapshots stay; every segment still there ends after the older one's position.
        Assert.Equal([first.File, second.File], Files("*.snap"));
        var segments = Files("*.wal");
        Assert.True(long.Parse(Path.GetFileNameWithoutExtension(segments[0])) <= first.LogPosition);
        Assert.True(segments.Length < 2 || long.Parse(Path.GetFileNameWithoutExtension(segments[1])) > first.LogPosition);
        Assert.Contains(segments, s => long.Parse(Path.GetFileNameWithoutExtension(s)) == second.LogPosition);

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.Equal(second.File, recovery.Snapshot);
        Assert.Equal(6000, recovery.SnapshotKeys);
        Assert.Equal(10, recovery.Records);
        Assert.Equal(6010, restored.Count);
        Assert.Equal("z", Get(restored, "c9"));
    }

    [Fact]
    public async Task A_truncated_newest_snapshot_is_set_aside_and_recovery_falls_back_on_the_older_one_and_its_log()
    {
        var store = new ShardedStore();
        SnapshotReport second;
        using (var log = Open(store, out _))
        {
            Put(log, store, "before-first", "1");
            await SnapshotAsync(log);
            Put(log, store, "before-second", "2");
            second = await SnapshotAsync(log);
            Put(log, store, "after-second", "3");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        using (var file = File.Open(second.File, FileMode.Open))
            file.SetLength(file.Length - 5);

        var restored = new ShardedStore();
        using (Open(restored, out var recovery))
        {
            Assert.NotEqual(second.File, recovery.Snapshot);
            Assert.NotNull(recovery.Snapshot);
            Assert.StartsWith(second.File, recovery.DamagedSnapshot);
            Assert.Equal("1", Get(restored, "before-first"));
            Assert.Equal("2", Get(restored, "before-second"));
            Assert.Equal("3", Get(restored, "after-second"));
        }
        Assert.False(File.Exists(second.File));
        Assert.True(File.Exists(Path.ChangeExtension(second.File, null) + ".snap.damaged"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_damaged_newest_snapshot_whose_segment_is_gone_too_stops_recovery_instead_of_falling_back_on_a_log_that_looks_whole(bool olderSnapshot)
    {
        var store = new ShardedStore();
        SnapshotReport newest;
        using (var log = Open(store, out _))
        {
            Put(log, store, "before-first", "1");
            if (olderSnapshot)
                await SnapshotAsync(log);
            Put(log, store, "before-newest", "2");
            newest = await SnapshotAsync(log);
            for (var i = 0; i < 100; i++)
                Put(log, store, $"after{i}", "3");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        // The fallback's log (the older snapshot's, or the whole log) ends exactly where the newest snapshot's segment began.
        var segment = Path.Combine(_dir, $"{newest.LogPosition:D20}.wal");
        File.Delete(segment);
        using (var file = File.Open(newest.File, FileMode.Open))
            file.SetLength(file.Length - 5);

        var refused = Assert.Throws<LogCorruptionException>(() => Open(new ShardedStore(), out _));
        Assert.Equal(segment, refused.File);
        Assert.Contains(newest.File, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.True(File.Exists(newest.File)); // not set aside: the next start refuses the same way

        var restored = new ShardedStore();
        using (var log = Open(restored, out var recovery, truncate: true))
        {
            Assert.Contains(segment, recovery.TruncatedAt);
            Assert.StartsWith(newest.File, recovery.DamagedSnapshot);
            Assert.Equal("2", Get(restored, "before-newest"));
            Assert.Null(Get(restored, "after0"));
            Put(log, restored, "later", "4");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        var again = new ShardedStore();
        using var third = Open(again, out var thirdRecovery);
        Assert.Null(thirdRecovery.TruncatedAt);
        Assert.Equal("4", Get(again, "later"));
        Assert.Equal(3, again.Count);
    }

    [Fact]
    public async Task A_damaged_snapshot_with_nothing_to_fall_back_on_stops_recovery_naming_the_file()
    {
        var store = new ShardedStore();
        SnapshotReport second;
        using (var log = Open(store, out _))
        {
            Put(log, store, "a", "1");
            var first = await SnapshotAsync(log);
            Put(log, store, "b", "2");
            second = await SnapshotAsync(log);
            File.Delete(first.File); // as if it were gone: the log before the second snapshot no longer starts at 0 either
        }
        Assert.DoesNotContain(Files("*.wal"), s => long.Parse(Path.GetFileNameWithoutExtension(s)) == 0);
        var bytes = File.ReadAllBytes(second.File);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(second.File, bytes);

        var e = Assert.Throws<SnapshotCorruptionException>(() => Open(new ShardedStore(), out _));
        Assert.Equal(second.File, e.File);
        Assert.Contains(second.File, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(File.Exists(second.File)); // left as it was, for the operator
    }

    [Fact]
    public async Task A_snapshot_whose_log_segment_is_gone_stops_recovery_naming_the_segment_unless_truncation_is_allowed()
    {
        var store = new ShardedStore();
        SnapshotReport snapshot;
        using (var log = Open(store, out _))
        {
            for (var i = 0; i < 100; i++)
                Put(log, store, $"before{i}", "1");
            snapshot = await SnapshotAsync(log);
            for (var i = 0; i < 100; i++)
                Put(log, store, $"after{i}", "2");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        // The older segments end exactly at the snapshot's position: only the missing segment's name tells the loss.
        var segment = Path.Combine(_dir, $"{snapshot.LogPosition:D20}.wal");
        File.Delete(segment);

        var refused = Assert.Throws<LogCorruptionException>(() => Open(new ShardedStore(), out _));
        Assert.Equal(segment, refused.File);
        Assert.Equal(0, refused.Offset);
        Assert.Contains(snapshot.File, refused.Message);
        Assert.DoesNotContain('\n', refused.Message);

        var restored = new ShardedStore();
        using (var log = Open(restored, out var recovery, truncate: true))
        {
            Assert.Equal(snapshot.File, recovery.Snapshot);
            Assert.Contains(segment, recovery.TruncatedAt);
            Assert.Equal("1", Get(restored, "before99"));
            Assert.Null(Get(restored, "after0"));
            Put(log, restored, "later", "3");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        var again = new ShardedStore();
        using var third = Open(again, out var thirdRecovery);
        Assert.Null(thirdRecovery.TruncatedAt);
        Assert.Equal("3", Get(again, "later"));
        Assert.Equal(101, again.Count);
    }

    [Fact]
    public async Task A_damaged_first_snapshot_falls_back_on_the_whole_log_which_is_still_there()
    {
        var store = new ShardedStore();
        SnapshotReport only;
        using (var log = Open(store, out _))
        {
            for (var i = 0; i < 100; i++)
                Put(log, store, $"k{i}", $"v{i}");
            only = await SnapshotAsync(log);
            Put(log, store, "after", "x");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        using (var file = File.Open(only.File, FileMode.Open))
            file.SetLength(30);

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.Null(recovery.Snapshot);
        Assert.NotNull(recovery.DamagedSnapshot);
        Assert.Equal(101, restored.Count);
        Assert.Equal("v99", Get(restored, "k99"));
    }

    [Fact]
    public async Task The_log_growing_past_the_configured_size_starts_a_snapshot_by_itself()
    {
        var store = new ShardedStore();
        using var log = Open(store, out _, snapshotLogSize: 32 * 1024);
        var value = new string('v', 100);
        for (var i = 0; i < 1000; i++)
            Put(log, store, $"k{i}", value);
        var deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (log.LastSnapshot is null)
        {
            Assert.True(Environment.TickCount64 < deadline, "no snapshot started by itself");
            await Task.Delay(20);
        }
        Assert.True(log.SnapshotPosition > 0);
        Assert.NotEmpty(Files("*.snap"));
    }

    [Fact]
    public async Task A_second_request_while_one_runs_is_refused_and_a_scheduled_one_runs_after_it()
    {
        using var hold = new ManualResetEventSlim();
        using var reached = new ManualResetEventSlim();
        var store = new ShardedStore();
        using var log = Open(store, out _, barrier: () =>
        {
            reached.Set();
            hold.Wait(Bound);
        });
        Put(log, store, "a", "1");
        Assert.True(log.TryStartSnapshot(out var first));
        Assert.True(reached.Wait(Bound));
        Assert.True(log.IsSnapshotting);
        Assert.False(log.TryStartSnapshot(out var same));
        Assert.Same(first, same);
        Assert.False(log.ScheduleSnapshot());
        reached.Reset();
        hold.Set();
        var report = await first.WaitAsync(Bound);
        Assert.True(reached.Wait(Bound)); // the scheduled one began
        var deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (log.IsSnapshotting || ReferenceEquals(log.LastSnapshot, report))
        {
            Assert.True(Environment.TickCount64 < deadline, "the scheduled snapshot did not complete");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Expiry_times_and_carried_records_come_back_from_a_snapshot()
    {
        var store = new ShardedStore();
        var expiresAt = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        SnapshotReport report;
        using (var log = Open(store, out _, carried: () => [B("decision-1"), B("decision-2")]))
        {
            store.Put(B("ttl"), B("v"), EntryMetadata.Expiring(expiresAt));
            log.AppendPut(B("ttl"), B("v"), expiresAt);
            report = await SnapshotAsync(log);
        }
        // Only the snapshot is needed: no log record after it.
        var seen = new List<string>();
        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery, application: body =>
        {
            seen.Add(Encoding.UTF8.GetString(body));
            return true;
        });
        Assert.Equal(report.File, recovery.Snapshot);
        Assert.True(restored.TryGet(B("ttl"), out _, out var metadata));
        Assert.Equal(expiresAt, metadata.ExpiresAt);
        Assert.Equal(["decision-1", "decision-2"], seen);
    }

    [Fact]
    public async Task Loading_a_snapshot_sizes_the_store_for_its_keys_first_so_no_table_grows_during_the_load()
    {
        // Why it matters: the snapshot lists keys in the order of the store it was read from; in the same process
        // (same hash seed) that order fed to a table still too small piles keys into one probe run (quadratic).
        const int Keys = 20_000;
        var source = new ShardedStore(new StoreOptions { ShardCount = 8 });
        using (var log = Open(source, out _))
        {
            for (var i = 0; i < Keys; i++)
                Put(log, source, $"key-{i}", "v");
            await SnapshotAsync(log);
        }

        var restored = new ShardedStore(new StoreOptions { ShardCount = 8 });
        var presized = new ShardedStore(new StoreOptions { ShardCount = 8 });
        presized.EnsureCapacity(Keys);
        using (Open(restored, out var report))
        {
            Assert.Equal(Keys, report.SnapshotKeys);
            Assert.Equal(0, report.Records);
        }
        Assert.Equal(Keys, restored.Count);
        Assert.Equal(presized.GetStats().IndexSlots, restored.GetStats().IndexSlots);
        Assert.Equal("v", Get(restored, "key-0"));
        Assert.Equal("v", Get(restored, $"key-{Keys - 1}"));
    }

    [SmallDiskTheory]
    [InlineData(FsyncPolicy.Always)]
    [InlineData(FsyncPolicy.EverySec)]
    public async Task On_a_full_disk_a_snapshot_fails_keeping_the_old_snapshot_and_the_log_whole_and_succeeds_once_space_returns(FsyncPolicy fsync)
    {
        using var disk = SmallDisk.Mount(1024);
        var options = new WriteAheadLogOptions { Directory = Path.Combine(disk.Path, "wal"), Fsync = fsync, SegmentSize = 64 * 1024, RetryInterval = TimeSpan.FromMilliseconds(50) };
        const int Keys = 2000;
        var store = new ShardedStore();
        using (var log = WriteAheadLog.Open(options, store, out _))
        {
            for (var i = 0; i < Keys / 2; i++)
                Put(log, store, $"key-{i}", $"value-{i}");
            var old = await SnapshotAsync(log);
            for (var i = Keys / 2; i < Keys; i++)
                Put(log, store, $"key-{i}", $"value-{i}");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
            var segments = Directory.GetFiles(options.Directory, "*.wal");
            disk.Fill();

            Assert.True(log.TryStartSnapshot(out var failing));
            await Assert.ThrowsAnyAsync<IOException>(() => failing.WaitAsync(Bound));
            // Neither a new snapshot nor its temporary file; the old one is kept, and so is every segment after it.
            Assert.Equal([old.File], Directory.GetFiles(options.Directory, "*.snap*"));
            Assert.Equal(old.LogPosition, log.SnapshotPosition);
            Assert.All(segments, segment => Assert.True(File.Exists(segment), $"{segment} dropped by a failed snapshot"));

            disk.Free();
            // The failed rotation may have left the log failing for a moment: the snapshot waits for nothing else.
            await Bounded.UntilAsync(() => log.IsWritable, "the log writes again");
            var report = await SnapshotAsync(log);
            Assert.Equal(Keys, report.Keys);
            Put(log, store, "after", "1");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }

        var restored = new ShardedStore();
        using var reopened = WriteAheadLog.Open(options, restored, out var recovery);
        Assert.Equal(Keys, recovery.SnapshotKeys);
        Assert.Equal(Keys + 1, restored.Count);
        Assert.Equal("value-1999", Get(restored, "key-1999"));
        Assert.Equal("1", Get(restored, "after"));
    }

    [Fact]
    public async Task A_snapshot_left_half_written_by_a_crash_is_ignored_and_deleted()
    {
        var store = new ShardedStore();
        using (var log = Open(store, out _))
        {
            Put(log, store, "a", "1");
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }
        var leftover = Path.Combine(_dir, "00000000000000000017.snap.tmp");
        File.WriteAllBytes(leftover, [1, 2, 3]);

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.Null(recovery.Snapshot);
        Assert.Equal("1", Get(restored, "a"));
        Assert.False(File.Exists(leftover));
    }
}
