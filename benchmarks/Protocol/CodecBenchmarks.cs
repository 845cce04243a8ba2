using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastDht.Protocol;

namespace FastDht.Benchmarks.Protocol;

/// <summary>Encode and decode of Get and Put requests and their responses, per key/value size; must show 0 B allocated.</summary>
public class CodecBenchmarks
{
    // 64 frames per invoke: a single encode or decode is tens of nanoseconds, below the timer's useful resolution.
    private const int Ops = 64;

    private readonly ArrayBufferWriter<byte> _writer = new(1 << 20);
    private byte[] _key = [];
    private byte[] _value = [];
    private ReadOnlySequence<byte> _getRequest;
    private ReadOnlySequence<byte> _putRequest;
    private ReadOnlySequence<byte> _valueResponse;
    private ReadOnlySequence<byte> _statusResponse;

    /// <summary>Key size / value size in bytes.</summary>
    [Params("16/16", "16/1024", "64/16384")]
    public string Size { get; set; } = "16/16";

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Size.Split('/');
        _key = new byte[int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture)];
        _value = new byte[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)];
        Random.Shared.NextBytes(_key);
        Random.Shared.NextBytes(_value);
        _getRequest = Encode(w => FrameWriter.WriteGet(w, 1, _key));
        _putRequest = Encode(w => FrameWriter.WritePut(w, 1, _key, _value));
        _valueResponse = Encode(w => FrameWriter.WriteValueResponse(w, 1, Opcode.Get, _value));
        _statusResponse = Encode(w => FrameWriter.WriteStatusResponse(w, 1, Opcode.Put, StatusCode.Ok));
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int EncodeGet()
    {
        for (uint i = 0; i < Ops; i++)
        {
            _writer.ResetWrittenCount();
            FrameWriter.WriteGet(_writer, i, _key);
        }

        return _writer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int EncodePut()
    {
        for (uint i = 0; i < Ops; i++)
        {
            _writer.ResetWrittenCount();
            FrameWriter.WritePut(_writer, i, _key, _value);
        }

        return _writer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int EncodeValueResponse()
    {
        for (uint i = 0; i < Ops; i++)
        {
            _writer.ResetWrittenCount();
            FrameWriter.WriteValueResponse(_writer, i, Opcode.Get, _value);
        }

        return _writer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int EncodeStatusResponse()
    {
        for (uint i = 0; i < Ops; i++)
        {
            _writer.ResetWrittenCount();
            FrameWriter.WriteStatusResponse(_writer, i, Opcode.Put, StatusCode.Ok);
        }

        return _writer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int DecodeGet()
    {
        int sum = 0;
        for (int i = 0; i < Ops; i++)
        {
            ReadOnlySequence<byte> buffer = _getRequest;
            if (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out _)
                && RequestDecoder.TryReadGet(frame.Body.FirstSpan, ProtocolLimits.Default, out ReadOnlySpan<byte> key, out _))
            {
                sum += key.Length;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int DecodePut()
    {
        int sum = 0;
        for (int i = 0; i < Ops; i++)
        {
            ReadOnlySequence<byte> buffer = _putRequest;
            if (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out _)
                && RequestDecoder.TryReadPut(frame.Body.FirstSpan, frame.Header.Flags, ProtocolLimits.Default, out _, out ReadOnlySpan<byte> value, out _, out _))
            {
                sum += value.Length;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int DecodeValueResponse()
    {
        int sum = 0;
        for (int i = 0; i < Ops; i++)
        {
            ReadOnlySequence<byte> buffer = _valueResponse;
            if (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out _)
                && ResponseDecoder.TryReadValue(frame.Body.FirstSpan, out ReadOnlySpan<byte> value, out _))
            {
                sum += value.Length;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int DecodeStatusResponse()
    {
        int sum = 0;
        for (int i = 0; i < Ops; i++)
        {
            ReadOnlySequence<byte> buffer = _statusResponse;
            if (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out _))
            {
                sum += (int)frame.Header.Status + frame.Header.BodyLength;
            }
        }

        return sum;
    }

    private static ReadOnlySequence<byte> Encode(Action<ArrayBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return new ReadOnlySequence<byte>(writer.WrittenMemory.ToArray());
    }
}
