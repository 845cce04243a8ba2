using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Resp.Internal;
using FastDht.Locking;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Benchmarks.Resp;

/// <summary>
/// The RESP server's local path: a parsed GET, SET or INCR executed on the keyspace (the lock-table gate included) and its reply written (what a
/// node does for a key it owns). GET and INCR should allocate nothing; SET allocates only the stored copy.
/// </summary>
public class RespServerBenchmarks
{
    private readonly RespCommand _get = new();
    private readonly RespCommand _set = new();
    private readonly RespCommand _incr = new();
    private readonly ArrayBufferWriter<byte> _reply = new(4096);
    private readonly ShardedStore _store = new();
    private readonly LockTable _locks = new(options: new LockTableOptions { ExpiryScanInterval = Timeout.InfiniteTimeSpan });
    private LocalKeyspace _keyspace = null!;

    [GlobalSetup]
    public void Setup()
    {
        Parse(_get, "GET", "key:000000000042");
        Parse(_set, "SET", "key:000000000042", "xxx");
        Parse(_incr, "INCR", "counter:000000042");
        _store.Put("key:000000000042"u8, "xxx"u8);
        _keyspace = new LocalKeyspace(_store, _locks);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _get.Dispose();
        _set.Dispose();
        _incr.Dispose();
        _locks.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int Get()
    {
        _reply.ResetWrittenCount();
        RespKeyCommands.Execute(_get, _reply, _keyspace, 2);
        return _reply.WrittenCount;
    }

    [Benchmark]
    public int Set()
    {
        _reply.ResetWrittenCount();
        RespKeyCommands.Execute(_set, _reply, _keyspace, 2);
        return _reply.WrittenCount;
    }

    [Benchmark]
    public int Incr()
    {
        _reply.ResetWrittenCount();
        RespKeyCommands.Execute(_incr, _reply, _keyspace, 2);
        return _reply.WrittenCount;
    }

    // The command keeps spans into this buffer, so each parsed command owns its own array for the whole run.
    private static void Parse(RespCommand command, params string[] args)
    {
        var text = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
            text.Append('$').Append(a.Length).Append("\r\n").Append(a).Append("\r\n");
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text.ToString()));
        if (!RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _))
            throw new InvalidOperationException("the benchmark command did not parse");
    }
}
