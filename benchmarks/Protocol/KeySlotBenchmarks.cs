using BenchmarkDotNet.Attributes;
using FastDht.Protocol;

namespace FastDht.Benchmarks.Protocol;

/// <summary>Slot computation (CRC16 plus hash-tag scan) per key size; must show 0 B allocated.</summary>
public class KeySlotBenchmarks
{
    // 256 keys per invoke: one slot computation of a short key takes nanoseconds.
    private const int Ops = 256;

    private byte[] _key = [];
    private byte[] _taggedKey = [];

    [Params(16, 64, 1024)]
    public int KeySize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _key = new byte[KeySize];
        for (int i = 0; i < _key.Length; i++)
        {
            // Printable bytes without braces, like typical keys.
            _key[i] = (byte)('a' + (i % 26));
        }

        _taggedKey = (byte[])_key.Clone();
        _taggedKey[1] = (byte)'{';
        _taggedKey[Math.Min(9, _taggedKey.Length - 1)] = (byte)'}';
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public int Slot()
    {
        int sum = 0;
        for (int i = 0; i < Ops; i++)
        {
            sum += KeySlot.Of(_key);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public int SlotWithHashTag()
    {
        int sum = 0;
        for (int i = 0; i < Ops; i++)
        {
            sum += KeySlot.Of(_taggedKey);
        }

        return sum;
    }
}
