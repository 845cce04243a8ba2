using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastDht.Protocol.Resp;

namespace FastDht.Benchmarks.Resp;

/// <summary>Writing Redis replies: a bulk string (GET's hit), an integer, and +OK. Expect 0 B allocated.</summary>
public class RespWriteBenchmarks
{
    // 64 KiB, reset every call: room for the largest reply measured here without growth.
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private byte[] _value = [];

    /// <summary>Bulk payload size: 16 bytes and 1 KiB.</summary>
    [Params(16, 1024)]
    public int ValueSize { get; set; }

    [GlobalSetup]
    public void Setup() => _value = new byte[ValueSize];

    [Benchmark(Baseline = true)]
    public int WriteBulk()
    {
        _output.ResetWrittenCount();
        RespWriter.WriteBulkString(_output, _value);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int WriteInteger()
    {
        _output.ResetWrittenCount();
        RespWriter.WriteInteger(_output, 1_234_567);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int WriteOk()
    {
        _output.ResetWrittenCount();
        RespWriter.WriteRaw(_output, RespReplies.Ok);
        return _output.WrittenCount;
    }
}
