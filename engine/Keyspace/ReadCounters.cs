using System.Numerics;
using System.Runtime.InteropServices;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// Counts the keyspace's reads that found their key (hits) and those that did not (misses), from any thread, for
/// every protocol at once: the reads all pass through <see cref="LocalKeyspace.TryGet(ReadOnlySpan{byte}, out ReadOnlyMemory{byte})"/>.
/// </summary>
/// <remarks>
/// Requirements: a count per read on the hottest path (a Get), from many threads, without a shared cache line that
/// every core fights over and without allocating. Design: one cell per processor, each on its own cache lines; a read
/// adds to the cell of the processor it runs on (an uncontended interlocked add, since a thread moving between
/// processors only makes two processors share a cell now and then), and the totals sum the cells. Totals are
/// therefore exact once the reads have returned, and only approximate while reads run.
/// </remarks>
internal sealed class ReadCounters
{
    private readonly Cell[] _cells;
    private readonly int _mask;

    public ReadCounters()
    {
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Environment.ProcessorCount));
        _cells = new Cell[count];
        _mask = count - 1;
    }

    /// <summary>Reads that found their key.</summary>
    public long Hits
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _cells.Length; i++)
                sum += Volatile.Read(ref _cells[i].Hits);
            return sum;
        }
    }

    /// <summary>Reads that did not find their key.</summary>
    public long Misses
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _cells.Length; i++)
                sum += Volatile.Read(ref _cells[i].Misses);
            return sum;
        }
    }

    /// <summary>Counts one read; returns <paramref name="found"/> so a read can count and answer in one expression.</summary>
    public bool Count(bool found)
    {
        ref var cell = ref _cells[Thread.GetCurrentProcessorId() & _mask];
        if (found)
            Interlocked.Increment(ref cell.Hits);
        else
            Interlocked.Increment(ref cell.Misses);
        return found;
    }

    /// <summary>192 bytes with the counters in the middle 64: no neighbour shares their cache line (or the adjacent-line prefetch pair).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Cell
    {
        [FieldOffset(64)]
        public long Hits;

        [FieldOffset(72)]
        public long Misses;
    }
}
