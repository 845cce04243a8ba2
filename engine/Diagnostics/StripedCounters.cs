using System.Numerics;

namespace FastDht.Engine.Diagnostics;

/// <summary>
/// A fixed set of 64-bit counters, each counted from any thread with one uncontended interlocked add: one block of
/// them per processor, summed when read.
/// </summary>
/// <remarks>
/// Requirements: a count per request on the hottest paths (a Get, a RESP command), from many threads, without a cache
/// line that every core fights over and without allocating. Design (as <see cref="Keyspace.ReadCounters"/>): a block
/// per processor, each padded to whole cache lines with a spare line between blocks; an add goes to the block of the
/// processor it runs on (a thread moved between processors only makes two of them share a block now and then, which
/// costs a contended add, never a lost one). Reads sum the blocks, exact once the adds have returned. Memory: blocks
/// times the counters, 8 bytes each (a 512-counter set on 8 processors is 33 KiB).
/// </remarks>
internal sealed class StripedCounters
{
    private const int LineLongs = 8; // 64 bytes
    private readonly long[] _values;
    private readonly int _stride;
    private readonly int _mask;

    public StripedCounters(int count)
    {
        Count = count;
        var blocks = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Environment.ProcessorCount));
        _mask = blocks - 1;
        // Whole cache lines per block, plus one spare line so no two blocks share a line or its prefetch pair.
        _stride = ((count + LineLongs - 1) / LineLongs + 1) * LineLongs;
        _values = new long[(blocks * _stride) + LineLongs];
    }

    /// <summary>How many counters the set has.</summary>
    public int Count { get; }

    /// <summary>Adds <paramref name="amount"/> to counter <paramref name="index"/> (which must be below <see cref="Count"/>).</summary>
    public void Add(int index, long amount = 1) =>
        Interlocked.Add(ref _values[((Thread.GetCurrentProcessorId() & _mask) * _stride) + index], amount);

    /// <summary>The counter's total over every processor.</summary>
    public long Sum(int index)
    {
        long sum = 0;
        for (var block = 0; block <= _mask; block++)
            sum += Volatile.Read(ref _values[(block * _stride) + index]);
        return sum;
    }
}
