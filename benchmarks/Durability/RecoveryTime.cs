using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using FastDht.Storage;
using FastDht.Storage.Durability;

namespace FastDht.Benchmarks.Durability;

/// <summary>
/// How long a node takes to come back: writes N puts (16-byte keys and values, each key once) into a fresh log, then
/// times a start from the log only; then writes a snapshot of that store, overwrites a tenth of the keys (the log
/// after the snapshot), and times a start from snapshot and log. Each start is timed twice: in this process, and in a
/// new one (as a restart is: another hash seed, so the snapshot's key order means nothing to the new store).
/// <c>dotnet run -c Release -- wal-recovery 1000000 10000000</c>.
/// </summary>
internal static class RecoveryTime
{
    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length == 2 && args[0] == "--open")
            return OpenOnly(args[1]);
        foreach (var arg in args.IsEmpty ? ["1000000"] : args)
        {
            var count = long.Parse(arg, CultureInfo.InvariantCulture);
            var dir = Path.Combine(Path.GetTempPath(), "fastdht-recovery-" + Guid.NewGuid().ToString("N"));
            try
            {
                var key = new byte[16];
                var value = "value-0123456789"u8.ToArray();
                var writing = Stopwatch.StartNew();
                using (var log = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = dir, Fsync = FsyncPolicy.No }, new ShardedStore(), out _))
                {
                    for (long i = 0; i < count; i++)
                        log.AppendPut(KeyOf(key, i), value);
                }
                writing.Stop();
                var logBytes = Bytes(dir, "*.wal");
                GC.Collect();

                Console.WriteLine($"{count,11:N0} keys, log only, in a new process: {OpenInNewProcess(dir)}");

                // 1. From the log only.
                var store = new ShardedStore();
                var replay = Stopwatch.StartNew();
                SnapshotReport snapshot;
                using (var log = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = dir, Fsync = FsyncPolicy.No }, store, out var report))
                {
                    replay.Stop();
                    Console.WriteLine(FormattableString.Invariant(
                        $"{count,11:N0} keys, log only: log {logBytes / 1048576.0,7:F1} MiB in {report.Segments} segments (written in {writing.Elapsed.TotalSeconds:F1} s); replayed {report.Records:N0} records into {store.Count:N0} keys in {replay.Elapsed.TotalSeconds:F2} s ({report.Records / replay.Elapsed.TotalSeconds / 1e6:F2} M records/s)"));

                    // 2. A snapshot of that store, then a tenth of the keys rewritten after it (applied, then logged).
                    if (!log.TryStartSnapshot(out var done))
                        throw new InvalidOperationException("a snapshot was already running");
                    snapshot = done.GetAwaiter().GetResult();
                    var other = "VALUE-0123456789"u8.ToArray();
                    for (long i = 0; i < count; i += 10)
                    {
                        store.Put(KeyOf(key, i), other);
                        log.AppendPut(key, other);
                    }
                }
                var tailBytes = Bytes(dir, "*.wal") - LogBytesBefore(dir, snapshot.LogPosition);
                store = null;
                GC.Collect();
                var restored = new ShardedStore();
                var load = Stopwatch.StartNew();
                using (WriteAheadLog.Open(new WriteAheadLogOptions { Directory = dir }, restored, out var report))
                {
                    load.Stop();
                    Console.WriteLine(FormattableString.Invariant(
                        $"{count,11:N0} keys, snapshot + log: snapshot {snapshot.Bytes / 1048576.0,7:F1} MiB (written in {snapshot.Elapsed.TotalSeconds:F1} s), log after it {tailBytes / 1048576.0:F1} MiB ({report.Records:N0} records); loaded {report.SnapshotKeys:N0} keys and replayed {report.Records:N0} records into {restored.Count:N0} keys in {load.Elapsed.TotalSeconds:F2} s"));
                }
                restored = null;
                GC.Collect();
                Console.WriteLine($"{count,11:N0} keys, snapshot + log, in a new process: {OpenInNewProcess(dir)}");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        return 0;
    }

    /// <summary>The child's side: opens the log in <paramref name="dir"/> into an empty store and prints how long that took.</summary>
    private static int OpenOnly(string dir)
    {
        var store = new ShardedStore();
        var open = Stopwatch.StartNew();
        using (WriteAheadLog.Open(new WriteAheadLogOptions { Directory = dir, Fsync = FsyncPolicy.No }, store, out var report))
        {
            open.Stop();
            Console.WriteLine(FormattableString.Invariant(
                $"loaded {report.SnapshotKeys:N0} snapshot keys and replayed {report.Records:N0} log records into {store.Count:N0} keys in {open.Elapsed.TotalSeconds:F2} s"));
        }
        return 0;
    }

    /// <summary>Runs this benchmark again as a new process that only opens <paramref name="dir"/>; returns what it printed.</summary>
    private static string OpenInNewProcess(string dir)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        if (!string.Equals(Path.GetFileNameWithoutExtension(Environment.ProcessPath), Path.GetFileNameWithoutExtension(entry), StringComparison.Ordinal))
            info.ArgumentList.Add(entry); // started as "dotnet FastDht.Benchmarks.dll"
        info.ArgumentList.Add("wal-recovery");
        info.ArgumentList.Add("--open");
        info.ArgumentList.Add(dir);
        using var child = Process.Start(info)!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        return child.ExitCode == 0 ? output : $"failed (exit code {child.ExitCode}): {output}";
    }

    private static byte[] KeyOf(byte[] key, long i)
    {
        "key-"u8.CopyTo(key);
        Utf8Formatter.TryFormat(i, key.AsSpan(4), out _, new StandardFormat('D', 12));
        return key;
    }

    private static long Bytes(string dir, string pattern) => Directory.GetFiles(dir, pattern).Sum(f => new FileInfo(f).Length);

    /// <summary>The bytes of the segments wholly before <paramref name="position"/> (kept as the fallback of an older snapshot).</summary>
    private static long LogBytesBefore(string dir, long position) =>
        Directory.GetFiles(dir, "*.wal").Where(f => long.Parse(Path.GetFileNameWithoutExtension(f), CultureInfo.InvariantCulture) < position).Sum(f => new FileInfo(f).Length);
}
