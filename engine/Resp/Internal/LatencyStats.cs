using System.Diagnostics;
using System.Globalization;
using System.Text;
using FastDht.Engine.CommandTable;
using FastDht.Protocol.Resp;
using HdrHistogram;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Per-command latency histograms of a node (Redis 7's latency-tracking and INFO latencystats).</summary>
/// <remarks>
/// <para>
/// Requirement: a latency distribution per command as Redis 7 keeps one, at no measurable cost to a GET. Design: a
/// connection notes each command's time in a small array of its own (<see cref="Samples"/>, no lock, no allocation)
/// and hands the samples over at the end of each read's batch, under one lock, into one HdrHistogram per command kind
/// (nanoseconds from 1 ns to 1 s, 2 significant digits, as Redis's). So the shared histograms are touched once per
/// batch, not per command, and their memory is bounded by the number of command kinds (about 25 KB each), not by the
/// number of connections.
/// </para>
/// <para>
/// CONFIG RESETSTAT drops every histogram and starts a new generation: samples a connection noted before it are
/// dropped when handed over, so a reset is not undone by a batch that was running across it.
/// </para>
/// </remarks>
internal sealed class LatencyStats
{
    // Redis's LATENCY_HISTOGRAM_MIN_VALUE, _MAX_VALUE and _PRECISION (nanoseconds).
    private const long LowestNanos = 1;
    private const long HighestNanos = 1_000_000_000;
    private const int Digits = 2;

    private static readonly int Size = Enum.GetValues<RespCommandKind>().Length;

    private readonly Lock _sync = new();
    private readonly LongHistogram?[] _histograms = new LongHistogram?[Size];
    private bool _enabled = true;
    private double[] _percentiles = [50, 99, 99.9];
    private int _generation;

    /// <summary>Redis's latency-tracking: whether commands' times are kept (default yes).</summary>
    public bool Enabled
    {
        get => Volatile.Read(ref _enabled);
        set => Volatile.Write(ref _enabled, value);
    }

    /// <summary>Redis's latency-tracking-info-percentiles: the percentiles INFO latencystats prints (default 50 99 99.9).</summary>
    public double[] Percentiles
    {
        get => Volatile.Read(ref _percentiles);
        set => Volatile.Write(ref _percentiles, value);
    }

    /// <summary>Bumped by every reset: samples noted under an older generation are dropped.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Adds a connection's samples to the histograms (dropped when a reset came since they were noted).</summary>
    public void Add(Samples samples)
    {
        lock (_sync)
        {
            if (samples.Generation == _generation)
            {
                var nanosPerTick = 1_000_000_000.0 / Stopwatch.Frequency;
                for (var i = 0; i < samples.Count; i++)
                {
                    var (kind, ticks) = samples[i];
                    var nanos = Math.Clamp((long)(ticks * nanosPerTick), LowestNanos, HighestNanos);
                    (_histograms[(int)kind] ??= new LongHistogram(LowestNanos, HighestNanos, Digits)).RecordValue(nanos);
                }
            }
        }
        samples.Clear(Generation);
    }

    /// <summary>CONFIG RESETSTAT: forgets every command's histogram.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            Array.Clear(_histograms);
            _generation++;
        }
    }

    /// <summary>The latencystats section's lines: <c>latency_percentiles_usec_NAME:p50=1.003,p99=...</c> per command with a histogram.</summary>
    public void WriteTo(StringBuilder text)
    {
        if (!Enabled)
            return;
        var inv = CultureInfo.InvariantCulture;
        var percentiles = Percentiles;
        lock (_sync)
        {
            foreach (var spec in RespCommandSpecs.All)
            {
                if (_histograms[(int)spec.Kind] is not { } histogram || histogram.TotalCount == 0)
                    continue;
                text.Append("latency_percentiles_usec_").Append(spec.Name).Append(':');
                for (var i = 0; i < percentiles.Length; i++)
                {
                    if (i > 0)
                        text.Append(',');
                    var micros = histogram.GetValueAtPercentile(percentiles[i]) / 1000.0;
                    text.Append('p').Append(FormatPercentile(percentiles[i])).Append('=').Append(micros.ToString("F3", inv));
                }
                text.Append("\r\n");
            }
        }
    }

    /// <summary>A percentile as Redis prints it (its %f with the trailing zeros trimmed): 50, 99.9, 0.</summary>
    public static string FormatPercentile(double percentile) =>
        percentile.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses Redis's latency-tracking-info-percentiles: numbers from 0 to 100 separated by spaces (none is allowed);
    /// null when one is not.
    /// </summary>
    public static double[]? ParsePercentiles(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // More than Redis's own limit of the argument's length would allow is refused too: INFO prints each of them.
        if (parts.Length > 64)
            return null;
        var values = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value >= 0 && value <= 100))
                return null;
            values[i] = value;
        }
        return values;
    }

    /// <summary>One connection's command times since its last hand-over, in a fixed array (written by its read loop only).</summary>
    internal sealed class Samples
    {
        // A batch of more commands than this hands over in the middle (pipelines of thousands of commands).
        public const int Capacity = 128;

        private readonly RespCommandKind[] _kinds = new RespCommandKind[Capacity];
        private readonly long[] _ticks = new long[Capacity];

        public Samples(int generation) => Generation = generation;

        public int Count { get; private set; }

        /// <summary>The generation of the statistics these samples belong to.</summary>
        public int Generation { get; private set; }

        public bool IsFull => Count == Capacity;

        public (RespCommandKind Kind, long Ticks) this[int index] => (_kinds[index], _ticks[index]);

        public void Note(RespCommandKind kind, long ticks)
        {
            _kinds[Count] = kind;
            _ticks[Count] = ticks;
            Count++;
        }

        public void Clear(int generation)
        {
            Count = 0;
            Generation = generation;
        }
    }
}
