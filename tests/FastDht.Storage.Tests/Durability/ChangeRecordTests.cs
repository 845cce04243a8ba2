using System.Buffers.Binary;
using System.Text;
using FastDht.Storage.Durability;

namespace FastDht.Storage.Tests.Durability;

/// <summary>
/// Change records (a value's delta naming the version it applies to): replayed once, never twice, also when a snapshot
/// read while writes went on already holds them; a torn change record at the end is cut like any other.
/// </summary>
public sealed class ChangeRecordTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "durability-change-" + Guid.NewGuid().ToString("N"));
    private ulong _version = 1;

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Get(ShardedStore store, string key) =>
        store.TryGet(B(key), out var value) ? Encoding.UTF8.GetString(value.Span) : null;

    private WriteAheadLog Open(ShardedStore store, out LogRecoveryReport report, Action? barrier = null, int segmentSize = 64 * 1024) =>
        WriteAheadLog.Open(
            new WriteAheadLogOptions { Directory = _dir, Fsync = FsyncPolicy.EverySec, SegmentSize = segmentSize, SnapshotBarrier = barrier },
            store,
            out report);

    /// <summary>A value stored with a new version and logged whole: the base of the changes after it.</summary>
    private void PutVersioned(WriteAheadLog log, ShardedStore store, string key, string value)
    {
        _version += 2;
        store.Put(B(key), B(value), new EntryMetadata(0, _version));
        log.AppendPutVersioned(B(key), B(value), EntryType.String, 0, _version);
    }

    /// <summary>
    /// Appends <paramref name="suffix"/> to the key's value in the store (a new version) and returns the change record to
    /// log for it, as the keyspace does for APPEND: applied first, logged second.
    /// </summary>
    private Action<WriteAheadLog> Append(ShardedStore store, string key, string suffix)
    {
        Assert.True(store.TryGet(B(key), out var current, out var metadata));
        var next = current.ToArray().Concat(B(suffix)).ToArray();
        Assert.True(ValueDelta.TryPlan(current.Span, next, out var plan));
        _version += 2;
        var version = _version;
        store.Put(B(key), next, metadata.WithVersion(version));
        return log => log.AppendChange(B(key), metadata.Version, version, plan, next);
    }

    private static string Long(char c) => new(c, 200); // long enough that an append is logged as a delta

    [Fact]
    public async Task A_change_the_snapshot_already_holds_is_skipped_at_replay_and_the_ones_after_it_are_applied_once()
    {
        var store = new ShardedStore();
        var expected = Long('a');
        Action<WriteAheadLog>? pending = null;
        WriteAheadLog? opened = null;
        using (var log = Open(store, out _, barrier: () => Interlocked.Exchange(ref pending, null)?.Invoke(opened!)))
        {
            opened = log;
            PutVersioned(log, store, "k", expected);
            Append(store, "k", "1")(log);
            expected += "1";
            // Applied, not logged yet when the snapshot begins: its record lands after the snapshot's position while the
            // snapshot reads the value with it (the barrier is where a snapshot waits for such a write to be logged).
            pending = Append(store, "k", "2");
            expected += "2";
            Assert.True(log.TryStartSnapshot(out var snapshot));
            var report = await snapshot.WaitAsync(Bound);
            Assert.Equal(1, report.Keys);
            Append(store, "k", "3")(log);
            Append(store, "k", "4")(log);
            expected += "34";
            Assert.Equal(expected, Get(store, "k"));
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.NotNull(recovery.Snapshot);
        Assert.Equal(3, recovery.Records); // the change logged during the snapshot, then "3" and "4"
        Assert.Equal(1, recovery.SkippedChanges); // "2": already in the snapshot; applied again it would read ...1223 4
        Assert.Equal(expected, Get(restored, "k"));
        Assert.True(restored.TryGet(B("k"), out _, out var metadata));
        Assert.Equal(_version, metadata.Version);
        Assert.Equal(_version, recovery.HighestVersion);
    }

    [Fact]
    public async Task An_expiry_change_the_snapshot_already_holds_is_skipped_and_the_change_named_after_it_applies()
    {
        var store = new ShardedStore();
        Action<WriteAheadLog>? pending = null;
        WriteAheadLog? opened = null;
        const long ExpiresAt = 4_000_000_000_000; // far ahead
        using (var log = Open(store, out _, barrier: () => Interlocked.Exchange(ref pending, null)?.Invoke(opened!)))
        {
            opened = log;
            PutVersioned(log, store, "k", Long('a'));
            // EXPIRE of a versioned value: a new version, logged only once the snapshot began (as in the first test).
            Assert.True(store.TryGet(B("k"), out var current, out var metadata));
            var baseVersion = metadata.Version;
            _version += 2;
            var expiring = _version;
            Assert.True(store.TryReplaceMetadata(B("k"), current, new EntryMetadata(ExpiresAt, expiring)));
            pending = l => l.AppendExpireChange(B("k"), ExpiresAt, baseVersion, expiring);
            Assert.True(log.TryStartSnapshot(out var snapshot));
            await snapshot.WaitAsync(Bound);
            Append(store, "k", "after")(log); // names the expiry change's version
            Assert.True(await log.WhenDurableAsync(log.AppendedPosition).AsTask().WaitAsync(Bound));
        }

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.NotNull(recovery.Snapshot);
        Assert.Equal(1, recovery.SkippedChanges);
        Assert.Equal(Long('a') + "after", Get(restored, "k"));
        Assert.True(restored.TryGet(B("k"), out _, out var restoredMetadata));
        Assert.Equal(ExpiresAt, restoredMetadata.ExpiresAt);
        Assert.Equal(_version, restoredMetadata.Version);
    }

    [Fact]
    public void Changes_replay_in_order_from_the_whole_log_and_a_change_whose_base_was_replaced_is_skipped()
    {
        var store = new ShardedStore();
        using (var log = Open(store, out _))
        {
            PutVersioned(log, store, "k", Long('a'));
            for (var i = 0; i < 50; i++)
                Append(store, "k", $"{i},")(log);
            // A change of an older version (never made by the keyspace, which reads and writes under the key's gate) is skipped.
            log.AppendChange(B("k"), 1, 2, Plan(Long('a'), Long('a') + "x", out var next), next);
            store.Put(B("other"), B("v"));
            log.AppendPut(B("other"), B("v"));
        }
        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery);
        Assert.Null(recovery.Snapshot);
        Assert.Equal(1, recovery.SkippedChanges);
        Assert.Equal(Get(store, "k"), Get(restored, "k"));
        Assert.Equal("v", Get(restored, "other"));
    }

    private static DeltaPlan Plan(string old, string next, out byte[] nextBytes)
    {
        nextBytes = B(next);
        Assert.True(ValueDelta.TryPlan(B(old), nextBytes, out var plan));
        return plan;
    }

    [Fact]
    public void A_torn_change_record_at_the_end_is_cut_and_the_value_stays_as_the_last_whole_record_left_it()
    {
        const int Size = 64 * 1024;
        var store = new ShardedStore();
        string beforeLast;
        using (var log = Open(store, out _, segmentSize: Size))
        {
            PutVersioned(log, store, "k", Long('a'));
            Append(store, "k", "1")(log);
            beforeLast = Get(store, "k")!;
            Append(store, "k", "2")(log);
        }
        var segment = Directory.GetFiles(_dir, "*.wal").Order(StringComparer.Ordinal).Last();
        var bytes = File.ReadAllBytes(segment);
        Array.Clear(bytes, RecordsEnd(bytes) - 3, 3); // the last record loses its last bytes, as a crash mid-write leaves it
        File.WriteAllBytes(segment, bytes);

        var restored = new ShardedStore();
        using var reopened = Open(restored, out var recovery, segmentSize: Size);
        Assert.True(recovery.TornTailBytes > 0);
        Assert.Equal(2, recovery.Records);
        Assert.Equal(beforeLast, Get(restored, "k"));
    }

    /// <summary>Where a segment's records end: the first zeroed record header after its 16-byte segment header.</summary>
    private static int RecordsEnd(byte[] segment)
    {
        var at = 16;
        while (at + 8 <= segment.Length && BinaryPrimitives.ReadUInt32LittleEndian(segment.AsSpan(at)) is var length and > 0)
            at += 8 + (int)length;
        return at;
    }
}
