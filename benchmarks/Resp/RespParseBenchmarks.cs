using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastDht.Protocol.Resp;

namespace FastDht.Benchmarks.Resp;

/// <summary>Parsing Redis requests in place: one GET, one SET, and a pipeline of 16 GETs. Expect 0 B allocated.</summary>
public class RespParseBenchmarks
{
    private const int PipelineDepth = 16;

    private readonly RespCommand _command = new();
    private byte[] _get = [];
    private byte[] _set = [];
    private byte[] _pipeline = [];

    /// <summary>Value size for SET: 16 bytes (a counter) and 1 KiB (a small document).</summary>
    [Params(16, 1024)]
    public int ValueSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string key = "key:000000000042"; // 16 bytes, redis-benchmark's key shape
        _get = Encode("GET", key);
        _set = Encode("SET", key, new string('v', ValueSize));
        var pipeline = new List<byte>();
        for (int i = 0; i < PipelineDepth; i++)
        {
            pipeline.AddRange(Encode("GET", "key:" + i.ToString("D12", System.Globalization.CultureInfo.InvariantCulture)));
        }

        _pipeline = pipeline.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _command.Dispose();

    [Benchmark(Baseline = true)]
    public int ParseGet()
    {
        var buffer = new ReadOnlySequence<byte>(_get);
        RespRequestReader.TryRead(ref buffer, _command, RespLimits.Default, out _);
        return (int)_command.Kind + _command.GetArgument(1).Length;
    }

    [Benchmark]
    public int ParseSet()
    {
        var buffer = new ReadOnlySequence<byte>(_set);
        RespRequestReader.TryRead(ref buffer, _command, RespLimits.Default, out _);
        return (int)_command.Kind + _command.GetArgument(2).Length;
    }

    [Benchmark(OperationsPerInvoke = PipelineDepth)]
    public int ParsePipelineOf16Gets()
    {
        var buffer = new ReadOnlySequence<byte>(_pipeline);
        int total = 0;
        while (RespRequestReader.TryRead(ref buffer, _command, RespLimits.Default, out _))
        {
            total += _command.GetArgument(1).Length;
        }

        return total;
    }

    private static byte[] Encode(params string[] args)
    {
        var text = new StringBuilder();
        text.Append('*').Append(args.Length).Append("\r\n");
        foreach (string arg in args)
        {
            text.Append('$').Append(arg.Length).Append("\r\n").Append(arg).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
