using BenchmarkDotNet.Attributes;
using FASTER.core;
using FastDht.Storage;
using FastDht.Storage.Durability;

namespace FastDht.Benchmarks.Durability;

/// <summary>
/// A durable append, the write-ahead log's whole job: every writer appends a put record (16-byte key, 16-byte value)
/// and waits until it is committed to disk before appending the next, as a client waits for its reply under
/// <c>--fsync always</c>. FastDht's own log against Microsoft.FASTER.Core's FasterLog (auto-commit, the way to have
/// every enqueued record committed without a caller driving commits), on the same disk, in the same run.
/// </summary>
/// <remarks>
/// With one writer every append pays a whole commit; with many, a log with group commit covers all the writers that
/// arrived during one fsync, so the time per append falls. Times are per append (wall time / appends of all writers).
/// </remarks>
public class LogAppendBenchmarks
{
    /// <summary>512 appends per invoke: long enough to amortise the tasks' start, short enough on a slow disk.</summary>
    private const int Appends = 512;

    private readonly byte[] _key = "key-0123456789ab"u8.ToArray();
    private readonly byte[] _value = "value-0123456789"u8.ToArray();
    private byte[] _record = [];
    private string _dir = "";
    private WriteAheadLog? _own;
    private IDevice? _device;
    private FasterLog? _faster;

    [Params("fastdht", "faster")]
    public string Log { get; set; } = "fastdht";

    [Params(1, 16)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "fastdht-logbench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        // The same bytes FastDht's log writes for this put (header, kind, lengths, key, value): equal work per record.
        _record = new byte[8 + 1 + 4 + _key.Length + 4 + _value.Length];
        if (Log == "fastdht")
        {
            _own = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = _dir, Fsync = FsyncPolicy.Always }, new ShardedStore(), out _);
        }
        else
        {
            _device = Devices.CreateLogDevice(Path.Combine(_dir, "faster.log"));
            _faster = new FasterLog(new FasterLogSettings
            {
                LogDevice = _device,
                LogCommitDir = _dir,
                AutoCommit = true,
                LogChecksum = LogChecksumType.PerEntry,
            });
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _own?.Dispose();
        _faster?.Dispose();
        _device?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Appends)]
    public Task DurableAppend()
    {
        var tasks = new Task[Writers];
        for (var w = 0; w < Writers; w++)
            tasks[w] = Log == "fastdht" ? OwnWriterAsync(Appends / Writers) : FasterWriterAsync(Appends / Writers);
        return Task.WhenAll(tasks);
    }

    private async Task OwnWriterAsync(int count)
    {
        await Task.Yield();
        for (var i = 0; i < count; i++)
        {
            var end = _own!.AppendPut(_key, _value);
            await _own.WhenDurableAsync(end).ConfigureAwait(false);
        }
    }

    private async Task FasterWriterAsync(int count)
    {
        await Task.Yield();
        for (var i = 0; i < count; i++)
            await _faster!.EnqueueAndWaitForCommitAsync(_record).ConfigureAwait(false);
    }
}
