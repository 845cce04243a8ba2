using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FastDht.Engine.Diagnostics;

/// <summary>
/// Redis's latency monitor: the latency spikes of a node's events (a command, a fast command, an expire cycle) at or
/// above <c>latency-monitor-threshold</c> milliseconds, kept per event as Redis keeps them (LATENCY LATEST, HISTORY,
/// RESET, GRAPH, DOCTOR).
/// </summary>
/// <remarks>
/// Each event keeps its last <see cref="SeriesLength"/> samples (Redis's LATENCY_TS_LEN), one per second at most: a
/// second spike within the same second raises that second's sample, as in Redis's latencyAddSample. Off by default
/// (threshold 0). The command path reads only <see cref="ThresholdTicks"/> (one volatile read and a compare); the lock
/// is taken when a spike is recorded or a client asks, both rare.
/// </remarks>
internal sealed class LatencyMonitor
{
    /// <summary>Samples kept per event (Redis's LATENCY_TS_LEN).</summary>
    public const int SeriesLength = 160;

    private const int GraphColumns = 80;
    private const int GraphRows = 4;

    private readonly Lock _sync = new();
    private readonly Dictionary<string, Series> _events = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _thresholdMs;
    private long _thresholdTicks = long.MaxValue;

    public LatencyMonitor(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>latency-monitor-threshold in milliseconds; 0 turns the monitor off (Redis's default).</summary>
    public long ThresholdMs
    {
        get => Volatile.Read(ref _thresholdMs);
        set
        {
            Volatile.Write(ref _thresholdMs, value);
            Volatile.Write(ref _thresholdTicks, value <= 0 ? long.MaxValue : value * Stopwatch.Frequency / 1000);
        }
    }

    /// <summary>The threshold in <see cref="Stopwatch"/> ticks (<see cref="long.MaxValue"/> when off): what the command path compares with.</summary>
    public long ThresholdTicks => Volatile.Read(ref _thresholdTicks);

    /// <summary>Records <paramref name="ticks"/> (a <see cref="Stopwatch"/> duration) under <paramref name="eventName"/> when the monitor is on and it reaches the threshold.</summary>
    public void AddIfNeeded(string eventName, long ticks)
    {
        if (ticks < ThresholdTicks)
            return;
        Add(eventName, ticks * 1000 / Stopwatch.Frequency);
    }

    /// <summary>Records a spike of <paramref name="milliseconds"/> under <paramref name="eventName"/> now (Redis's latencyAddSample).</summary>
    public void Add(string eventName, long milliseconds)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var latency = (uint)Math.Clamp(milliseconds, 0, uint.MaxValue);
        lock (_sync)
        {
            if (!_events.TryGetValue(eventName, out var series))
                _events.Add(eventName, series = new Series());
            series.Add(now, latency);
        }
    }

    /// <summary>LATENCY LATEST: per event its name, the last sample's time and latency, and the all-time maximum.</summary>
    public List<(string Event, long Time, long Latency, long Max)> Latest()
    {
        var latest = new List<(string, long, long, long)>();
        lock (_sync)
        {
            foreach (var (name, series) in _events)
            {
                var last = series.Last;
                latest.Add((name, last.Time, last.Latency, series.Max));
            }
        }
        return latest;
    }

    /// <summary>LATENCY HISTORY: the event's samples, oldest first; empty for an event never seen.</summary>
    public List<(long Time, long Latency)> History(string eventName)
    {
        var samples = new List<(long, long)>();
        lock (_sync)
        {
            if (_events.TryGetValue(eventName, out var series))
                series.CopyTo(samples);
        }
        return samples;
    }

    /// <summary>LATENCY RESET: forgets the named event (case-insensitive, as Redis), or every event when null; returns how many were reset.</summary>
    public int Reset(string? eventName)
    {
        lock (_sync)
        {
            if (eventName is null)
            {
                var all = _events.Count;
                _events.Clear();
                return all;
            }
            foreach (var name in _events.Keys)
            {
                if (string.Equals(name, eventName, StringComparison.OrdinalIgnoreCase))
                {
                    _events.Remove(name);
                    return 1;
                }
            }
            return 0;
        }
    }

    /// <summary>LATENCY GRAPH: Redis's ASCII sparkline of the event's samples; null when the event has none.</summary>
    public string? Graph(string eventName)
    {
        var samples = new List<(long Time, long Latency)>();
        long allTimeHigh;
        lock (_sync)
        {
            if (!_events.TryGetValue(eventName, out var series))
                return null;
            series.CopyTo(samples);
            allTimeHigh = series.Max;
        }
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var values = new double[samples.Count];
        var labels = new string[samples.Count];
        long min = 0, max = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var (time, latency) = samples[i];
            if (i == 0)
                min = max = latency;
            max = Math.Max(max, latency);
            min = Math.Min(min, latency);
            values[i] = latency;
            labels[i] = AgoLabel(now - time);
        }
        var graph = new StringBuilder();
        graph.Append(CultureInfo.InvariantCulture, $"{eventName} - high {max} ms, low {min} ms (all time high {allTimeHigh} ms)\n");
        graph.Append('-', GraphColumns).Append('\n');
        Sparkline.Render(graph, values, labels, GraphColumns, GraphRows);
        return graph.ToString();
    }

    /// <summary>LATENCY DOCTOR: Redis's report for people, with the advice that applies to FastDht's events.</summary>
    public string Doctor(long slowerThanMicros)
    {
        var report = new StringBuilder();
        var threshold = ThresholdMs;
        lock (_sync)
        {
            if (_events.Count == 0 && threshold == 0)
            {
                return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
            }
            bool slowlogEnabled = false, slowlogTuning = false, slowlogInspect = false, scheduler = false, largeObjects = false;
            var eventNumber = 0;
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            foreach (var (name, series) in _events)
            {
                eventNumber++;
                if (eventNumber == 1)
                    report.Append("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
                var (count, average, deviation, period) = series.Analyze(now);
                report.Append(CultureInfo.InvariantCulture,
                    $"{eventNumber}. {name}: {count} latency spikes (average {average}ms, mean deviation {deviation}ms, period {(double)period / count:F2} sec). Worst all time event {series.Max}ms.");
                if (name == "command")
                {
                    if (slowerThanMicros < 0)
                        slowlogEnabled = true;
                    else if (slowerThanMicros / 1000 > threshold)
                        slowlogTuning = true;
                    slowlogInspect = true;
                    largeObjects = true;
                }
                else if (name == "fast-command")
                {
                    scheduler = true;
                }
                else if (name == "expire-cycle")
                {
                    largeObjects = true;
                }
                report.Append('\n');
            }
            var advices = slowlogEnabled || slowlogTuning || slowlogInspect || scheduler || largeObjects;
            if (eventNumber == 0)
            {
                report.Append("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
                return report.ToString();
            }
            if (!advices)
            {
                report.Append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
                return report.ToString();
            }
            report.Append("\nI have a few advices for you:\n\n");
            if (slowlogEnabled)
                report.Append(CultureInfo.InvariantCulture, $"- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n");
            if (slowlogTuning)
                report.Append(CultureInfo.InvariantCulture, $"- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {threshold * 1000}'.\n");
            if (slowlogInspect)
                report.Append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
            if (scheduler)
            {
                report.Append("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                    + "  1) Lower the system load.\n"
                    + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                    + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                    + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n");
            }
            if (largeObjects)
                report.Append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        }
        return report.ToString();
    }

    /// <summary>How long ago, as Redis labels a graph's samples: 5s, 3m, 2h, 1d.</summary>
    private static string AgoLabel(long seconds) => seconds switch
    {
        < 60 => seconds.ToString(CultureInfo.InvariantCulture) + "s",
        < 3600 => (seconds / 60).ToString(CultureInfo.InvariantCulture) + "m",
        < 86400 => (seconds / 3600).ToString(CultureInfo.InvariantCulture) + "h",
        _ => (seconds / 86400).ToString(CultureInfo.InvariantCulture) + "d",
    };

    /// <summary>One event's samples: a ring of <see cref="SeriesLength"/> (second, milliseconds) pairs and the all-time maximum.</summary>
    private sealed class Series
    {
        private readonly long[] _times = new long[SeriesLength];
        private readonly uint[] _latencies = new uint[SeriesLength];
        private int _next;

        public long Max { get; private set; }

        public (long Time, long Latency) Last
        {
            get
            {
                var last = (_next + SeriesLength - 1) % SeriesLength;
                return (_times[last], _latencies[last]);
            }
        }

        public void Add(long now, uint latency)
        {
            if (latency > Max)
                Max = latency;
            var last = (_next + SeriesLength - 1) % SeriesLength;
            if (_times[last] == now)
            {
                if (latency > _latencies[last])
                    _latencies[last] = latency;
                return;
            }
            _times[_next] = now;
            _latencies[_next] = latency;
            _next = (_next + 1) % SeriesLength;
        }

        public void CopyTo(List<(long, long)> samples)
        {
            for (var j = 0; j < SeriesLength; j++)
            {
                var i = (_next + j) % SeriesLength;
                if (_times[i] != 0)
                    samples.Add((_times[i], _latencies[i]));
            }
        }

        /// <summary>Redis's analyzeLatencyForEvent: sample count, average, mean absolute deviation, seconds since the oldest.</summary>
        public (int Count, long Average, long Deviation, long Period) Analyze(long now)
        {
            int count = 0;
            long sum = 0, oldest = 0;
            for (var i = 0; i < SeriesLength; i++)
            {
                if (_times[i] == 0)
                    continue;
                count++;
                sum += _latencies[i];
                if (oldest == 0 || _times[i] < oldest)
                    oldest = _times[i];
            }
            if (count == 0)
                return (0, 0, 0, 0);
            var average = sum / count;
            var period = Math.Max(1, now - oldest);
            long deviation = 0;
            for (var i = 0; i < SeriesLength; i++)
            {
                if (_times[i] != 0)
                    deviation += Math.Abs(average - _latencies[i]);
            }
            return (count, average, deviation / count, period);
        }
    }

    /// <summary>Redis's sparkline.c with SPARKLINE_FILL, the way LATENCY GRAPH draws it.</summary>
    private static class Sparkline
    {
        private const string FillCharset = "_o#";
        private const int LabelMarginTop = 1;

        public static void Render(StringBuilder output, double[] values, string[] labels, int columns, int rows)
        {
            if (values.Length == 0)
                return;
            double min = values[0], max = values[0];
            foreach (var v in values)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            for (var j = 0; j < values.Length; j += columns)
            {
                if (j != 0)
                    output.Append('\n');
                RenderRange(output, values, labels, min, max, rows, j, Math.Min(columns, values.Length - j));
            }
        }

        private static void RenderRange(StringBuilder output, double[] values, string[] labels, double min, double max, int rows, int offset, int length)
        {
            var relativeMax = max - min;
            if (relativeMax == 0)
                relativeMax = 1;
            var steps = FillCharset.Length * rows;
            var chars = new char[length];
            var row = 0;
            var loop = true;
            while (loop)
            {
                loop = false;
                Array.Fill(chars, ' ');
                for (var j = 0; j < length; j++)
                {
                    var step = (int)((int)((values[j + offset] - min) * steps) / relativeMax);
                    step = Math.Clamp(step, 0, steps - 1);
                    if (row < rows)
                    {
                        var index = step - ((rows - row - 1) * FillCharset.Length);
                        loop = true;
                        if (index >= 0 && index < FillCharset.Length)
                            chars[j] = FillCharset[index];
                        else if (index >= FillCharset.Length)
                            chars[j] = '|';
                    }
                    else
                    {
                        // Every sample has a label here, so the first row under the graph is the label margin.
                        if (row - rows < LabelMarginTop)
                        {
                            loop = true;
                            break;
                        }
                        var label = labels[j + offset];
                        var labelChar = row - rows - LabelMarginTop;
                        if (label.Length > labelChar)
                        {
                            loop = true;
                            chars[j] = label[labelChar];
                        }
                    }
                }
                if (loop)
                {
                    row++;
                    output.Append(chars).Append('\n');
                }
            }
        }
    }
}
