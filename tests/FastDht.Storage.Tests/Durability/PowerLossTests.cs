using System.Diagnostics;
using System.Text;
using FastDht.Storage.Durability;

namespace FastDht.Storage.Tests.Durability;

/// <summary>
/// What a power loss (or kernel crash) keeps of the log: at least everything fsynced, so under <c>everysec</c> at most
/// about the last second of writes is lost, and what comes back is a prefix of the log.
/// </summary>
public sealed class PowerLossTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "durability-power-" + Guid.NewGuid().ToString("N"));
    private readonly string _copy = Path.Combine(Path.GetTempPath(), "durability-power-copy-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        foreach (var dir in new[] { _dir, _copy })
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Under_everysec_a_power_loss_loses_at_most_about_the_last_second_of_writes_and_keeps_a_prefix()
    {
        var appended = new List<(long End, long At)>();
        long synced;
        long now;
        using (var log = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = _dir, Fsync = FsyncPolicy.EverySec }, new ShardedStore(), out _))
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(4); i++)
            {
                var end = log.AppendPut(Encoding.UTF8.GetBytes($"k{i}"), "0123456789abcdef"u8);
                appended.Add((end, Stopwatch.GetTimestamp()));
                // Half of them acknowledged as a reply is (written to the operating system by this thread, no fsync):
                // acknowledging must not let the synced position claim more than the fsyncs covered.
                if (i % 2 == 0)
                    Assert.True(await log.WhenDurableAsync(end));
                await Task.Delay(2);
            }
            // The power fails now: the disk is sure to hold the log up to the synced position, and nothing after it.
            synced = log.SyncedPosition;
            now = Stopwatch.GetTimestamp();
            Assert.True(synced <= log.DurablePosition);
            // A copy holding nothing written after that position is the worst such a crash can leave (the segment's
            // header comes first): the segment was reserved with zeros, so what was not on disk reads as zeros.
            Directory.CreateDirectory(_copy);
            var segment = Directory.GetFiles(_dir, "*.wal").Single();
            var target = Path.Combine(_copy, Path.GetFileName(segment));
            using (var source = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var destination = File.Create(target))
            {
                source.CopyTo(destination);
                var length = destination.Length;
                destination.SetLength(16 + synced);
                destination.SetLength(length);
            }
        }

        // About a second: the log is fsynced once a second; 1.5 s more for a machine so busy the flush thread waits its turn.
        var bound = TimeSpan.FromSeconds(2.5);
        foreach (var (end, at) in appended)
        {
            if (Stopwatch.GetElapsedTime(at, now) > bound)
                Assert.True(end <= synced, $"a record appended {Stopwatch.GetElapsedTime(at, now).TotalSeconds:F2} s before the crash was not on disk yet");
        }
        var kept = appended.Count(r => r.End <= synced);
        Assert.True(kept > 0);

        // What comes back after such a crash is exactly the records up to that position, in order: a prefix, nothing torn.
        var store = new ShardedStore();
        using var reopened = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = _copy }, store, out var report);
        Assert.Equal(kept, report.Records);
        Assert.Equal(0, report.TornTailBytes);
        for (var i = 0; i < appended.Count; i++)
            Assert.Equal(i < kept, store.TryGet(Encoding.UTF8.GetBytes($"k{i}"), out _));
    }
}
