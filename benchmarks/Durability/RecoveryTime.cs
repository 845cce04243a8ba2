using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using FastDht.Storage;
using FastDht.Storage.Durability;

namespace FastDht.Benchmarks.Durability;

/// <summary>
/// How long a node takes to come back from its log: writes N puts (16-byte keys and values, each key once) into a
/// fresh log, then times replaying it into an empty store, as a restart does. <c>dotnet run -c Release -- wal-recovery 1000000 10000000</c>.
/// </summary>
internal static class RecoveryTime
{
    public static int Run(ReadOnlySpan<string> args)
    {
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
                    {
                        "key-"u8.CopyTo(key);
                        Utf8Formatter.TryFormat(i, key.AsSpan(4), out _, new StandardFormat('D', 12));
                        log.AppendPut(key, value);
                    }
                }
                writing.Stop();
                var bytes = Directory.GetFiles(dir, "*.wal").Sum(f => new FileInfo(f).Length);
                GC.Collect();
                var store = new ShardedStore();
                var replay = Stopwatch.StartNew();
                using (WriteAheadLog.Open(new WriteAheadLogOptions { Directory = dir }, store, out var report))
                {
                    replay.Stop();
                    Console.WriteLine(FormattableString.Invariant(
                        $"{count,11:N0} keys: log {bytes / 1048576.0,7:F1} MiB in {report.Segments} segments (written in {writing.Elapsed.TotalSeconds:F1} s); replayed {report.Records:N0} records into {store.Count:N0} keys in {replay.Elapsed.TotalSeconds:F2} s ({report.Records / replay.Elapsed.TotalSeconds / 1e6:F2} M records/s)"));
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        return 0;
    }
}
