using System.Buffers;
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
/// A container command's subcommands are kept apart (<c>config|set</c>, <c>client|list</c>), as Redis keeps them: each
/// command kind has a slot, and each subcommand one after them (<see cref="SlotOf"/>).
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

    private static readonly int KindCount = Enum.GetValues<RespCommandKind>().Length;

    // Slots past the kinds: one per subcommand of a container command, in the order COMMAND lists them.
    private static readonly Dictionary<RespCommandSpec, int> SubcommandSlots = NumberSubcommands();
    private static readonly int SlotCount = KindCount + SubcommandSlots.Count;

    private readonly Lock _sync = new();
    private readonly LongHistogram?[] _histograms = new LongHistogram?[SlotCount];
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
                    var (slot, ticks) = samples[i];
                    var nanos = Math.Clamp((long)(ticks * nanosPerTick), LowestNanos, HighestNanos);
                    (_histograms[slot] ??= new LongHistogram(LowestNanos, HighestNanos, Digits)).RecordValue(nanos);
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
        var percentiles = Percentiles;
        lock (_sync)
        {
            foreach (var spec in RespCommandSpecs.All)
            {
                WriteLine(text, spec.Name, _histograms[(int)spec.Kind], percentiles);
                foreach (var sub in spec.Subcommands)
                {
                    if (SubcommandSlots.TryGetValue(sub, out var slot))
                        WriteLine(text, sub.Name, _histograms[slot], percentiles);
                }
            }
        }
    }

    private static void WriteLine(StringBuilder text, string name, LongHistogram? histogram, double[] percentiles)
    {
        if (histogram is null || histogram.TotalCount == 0)
            return;
        var inv = CultureInfo.InvariantCulture;
        text.Append("latency_percentiles_usec_").Append(name).Append(':');
        for (var i = 0; i < percentiles.Length; i++)
        {
            if (i > 0)
                text.Append(',');
            var micros = histogram.GetValueAtPercentile(percentiles[i]) / 1000.0;
            text.Append('p').Append(FormatPercentile(percentiles[i])).Append('=').Append(micros.ToString("F3", inv));
        }
        text.Append("\r\n");
    }

    /// <summary>
    /// The histogram slot of a command that ran: its kind's, or for a container command (CONFIG, CLIENT) its
    /// subcommand's. Only container commands look further than their kind.
    /// </summary>
    public static int SlotOf(RespCommandKind kind, RespCommand c)
    {
        if (RespCommandSpecs.Get(kind) is not { Subcommands.Length: > 0 } spec)
            return (int)kind;
        return RespCommandSpecs.Resolve(spec, c) is { } sub && SubcommandSlots.TryGetValue(sub, out var slot) ? slot : (int)kind;
    }

    /// <summary>
    /// LATENCY HISTOGRAM [command ...]: per command with samples (all, or those named, a container standing for its
    /// subcommands, unknown names skipped) its calls and its cumulative distribution in microseconds over power-of-two
    /// buckets from 1 µs, as Redis's fillCommandCDF (hdr_iter_log from 1024 ns, base 2) reports it.
    /// </summary>
    public void WriteHistograms(IBufferWriter<byte> w, RespCommand c, int respVersion)
    {
        var chosen = new List<(string Name, int Slot)>();
        lock (_sync)
        {
            if (c.Count == 2)
            {
                foreach (var spec in RespCommandSpecs.All)
                    AddWithSubcommands(chosen, spec, all: true);
            }
            else
            {
                for (var i = 2; i < c.Count; i++)
                {
                    if (RespCommandSpecs.Find(c.GetArgument(i)) is { } spec)
                        AddWithSubcommands(chosen, spec, all: false);
                }
            }
            WriteMapHeader(w, chosen.Count, respVersion);
            foreach (var (name, slot) in chosen)
            {
                var histogram = _histograms[slot]!;
                RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(name));
                WriteMapHeader(w, 2, respVersion);
                RespWriter.WriteBulkString(w, "calls"u8);
                RespWriter.WriteInteger(w, histogram.TotalCount);
                RespWriter.WriteBulkString(w, "histogram_usec"u8);
                var buckets = CumulativeBuckets(histogram);
                WriteMapHeader(w, buckets.Count, respVersion);
                foreach (var (micros, count) in buckets)
                {
                    RespWriter.WriteInteger(w, micros);
                    RespWriter.WriteInteger(w, count);
                }
            }
        }
    }

    /// <summary>
    /// Redis's logarithmic buckets (hdr_iter_log from 1024 ns, base 2): per power-of-two bucket, its upper edge in
    /// microseconds (1, 2, 4, ...) and the count of values up to it, where that count grew. HdrHistogram.NET has no
    /// logarithmic iterator, so the recorded values (each its bin's highest equivalent value) are walked into the buckets.
    /// </summary>
    private static List<(long Micros, long Count)> CumulativeBuckets(LongHistogram histogram)
    {
        var buckets = new List<(long, long)>();
        long limit = 1024, cumulative = 0, reported = 0;
        var edge = histogram.HighestEquivalentValue(limit);
        foreach (var value in histogram.RecordedValues())
        {
            while (value.ValueIteratedTo > edge)
            {
                if (cumulative > reported)
                    buckets.Add((edge / 1000, reported = cumulative));
                limit *= 2;
                edge = histogram.HighestEquivalentValue(limit);
            }
            cumulative += value.CountAtValueIteratedTo;
        }
        if (cumulative > reported)
            buckets.Add((edge / 1000, cumulative));
        return buckets;
    }

    // A container named by its parent name stands for itself and its subcommands (Redis: the parent's own histogram is
    // never filled, so only the subcommands show).
    private void AddWithSubcommands(List<(string, int)> chosen, RespCommandSpec spec, bool all)
    {
        var slot = SubcommandSlots.TryGetValue(spec, out var subSlot) ? subSlot : (int)spec.Kind;
        if (_histograms[slot] is { TotalCount: > 0 } && (all || !chosen.Contains((spec.Name, slot))))
            chosen.Add((spec.Name, slot));
        if (SubcommandSlots.ContainsKey(spec))
            return;
        foreach (var sub in spec.Subcommands)
        {
            if (SubcommandSlots.TryGetValue(sub, out var s) && _histograms[s] is { TotalCount: > 0 } && (all || !chosen.Contains((sub.Name, s))))
                chosen.Add((sub.Name, s));
        }
    }

    private static void WriteMapHeader(IBufferWriter<byte> w, int pairs, int respVersion)
    {
        if (respVersion == 3)
            RespWriter.WriteMapHeader(w, pairs);
        else
            RespWriter.WriteArrayHeader(w, pairs * 2);
    }

    private static Dictionary<RespCommandSpec, int> NumberSubcommands()
    {
        var slots = new Dictionary<RespCommandSpec, int>(ReferenceEqualityComparer.Instance);
        var next = Enum.GetValues<RespCommandKind>().Length;
        foreach (var spec in RespCommandSpecs.All)
        {
            foreach (var sub in spec.Subcommands)
                slots[sub] = next++;
        }
        return slots;
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

        private readonly int[] _slots = new int[Capacity];
        private readonly long[] _ticks = new long[Capacity];

        public Samples(int generation) => Generation = generation;

        public int Count { get; private set; }

        /// <summary>The generation of the statistics these samples belong to.</summary>
        public int Generation { get; private set; }

        public bool IsFull => Count == Capacity;

        public (int Slot, long Ticks) this[int index] => (_slots[index], _ticks[index]);

        /// <summary>Notes a command's time under its histogram slot (<see cref="SlotOf"/>).</summary>
        public void Note(int slot, long ticks)
        {
            _slots[Count] = slot;
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
