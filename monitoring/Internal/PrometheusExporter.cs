using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using FastDht.Engine.Diagnostics;

namespace FastDht.Monitoring.Internal;

/// <summary>
/// Writes one node's metrics in the Prometheus text format (version 0.0.4): every instrument of the node's Meter,
/// read through a <see cref="MeterListener"/> at scrape time, and the latency histograms read whole from
/// <see cref="NodeMetrics"/>.
/// </summary>
/// <remarks>
/// The node's instruments are all observable (the request path only increments counters), so a scrape asks them
/// for their values (<see cref="MeterListener.RecordObservableInstruments"/>) and nothing is recorded between
/// scrapes. Names follow the OpenTelemetry-to-Prometheus rules: dots become underscores, a unit becomes a suffix
/// (By: _bytes, ms: _milliseconds), a counter ends in _total; the Meter's tags (node) label every series.
/// One scrape at a time: the listener's callbacks fill one shared buffer.
/// </remarks>
internal sealed class PrometheusExporter : IDisposable
{
    private readonly NodeMetrics _metrics;
    private readonly MeterListener _listener = new();
    private readonly List<Instrument> _instruments = [];
    private readonly List<(Instrument Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];
    private readonly Lock _scrape = new();

    public PrometheusExporter(NodeMetrics metrics)
    {
        _metrics = metrics;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, _metrics.Meter))
                return;
            lock (_instruments)
                _instruments.Add(instrument);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (_instruments)
                _instruments.Remove(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Add((instrument, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _measurements.Add((instrument, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Add((instrument, value, tags.ToArray())));
        _listener.Start();
    }

    /// <summary>The node's metrics now, in the Prometheus text format.</summary>
    public string Scrape()
    {
        var text = new StringBuilder(8192);
        var nodeLabel = $"node=\"{_metrics.NodeId}\"";
        lock (_scrape)
        {
            _measurements.Clear();
            _listener.RecordObservableInstruments();
            Instrument[] instruments;
            lock (_instruments)
                instruments = [.. _instruments];
            foreach (var instrument in instruments)
            {
                var counter = instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
                var name = MetricName(instrument, counter);
                text.Append("# HELP ").Append(name).Append(' ').Append(Escape(instrument.Description ?? "", help: true)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(counter ? " counter\n" : " gauge\n");
                foreach (var (measured, value, tags) in _measurements)
                {
                    if (!ReferenceEquals(measured, instrument))
                        continue;
                    text.Append(name).Append('{').Append(nodeLabel);
                    foreach (var tag in tags)
                        text.Append(',').Append(LabelName(tag.Key)).Append("=\"").Append(Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "", help: false)).Append('"');
                    text.Append("} ").Append(Number(value)).Append('\n');
                }
            }
            _measurements.Clear();
        }
        WriteHistograms(text, nodeLabel);
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void WriteHistograms(StringBuilder text, string nodeLabel)
    {
        const string name = "fastdht_request_duration_seconds";
        text.Append("# HELP ").Append(name).Append(" Request latency by protocol and class: from the read of the request's batch to its answer (RESP: the command's run on this node).\n");
        text.Append("# TYPE ").Append(name).Append(" histogram\n");
        foreach (var requestClass in Enum.GetValues<RequestClass>())
        {
            var h = _metrics.GetLatency(requestClass);
            var labels = $"{nodeLabel},class=\"{ClassLabel(requestClass)}\"";
            long cumulative = 0;
            for (var i = 0; i < h.Counts.Count; i++)
            {
                cumulative += h.Counts[i];
                var le = i < h.UpperBoundsSeconds.Count ? Number(h.UpperBoundsSeconds[i]) : "+Inf";
                text.Append(name).Append("_bucket{").Append(labels).Append(",le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
            }
            text.Append(name).Append("_sum{").Append(labels).Append("} ").Append(Number(h.SumSeconds)).Append('\n');
            text.Append(name).Append("_count{").Append(labels).Append("} ").Append(cumulative).Append('\n');
        }
    }

    /// <summary>native_read, resp_write, ...: the class's name in snake case.</summary>
    internal static string ClassLabel(RequestClass requestClass)
    {
        var s = requestClass.ToString();
        var split = s.StartsWith("Native", StringComparison.Ordinal) ? 6 : 4;
        return (s[..split] + "_" + s[split..]).ToLowerInvariant();
    }

    private static string MetricName(Instrument instrument, bool counter)
    {
        var name = LabelName(instrument.Name);
        var unit = instrument.Unit switch
        {
            "By" => "_bytes",
            "ms" => "_milliseconds",
            "s" => "_seconds",
            _ => "",
        };
        if (unit.Length > 0 && !name.EndsWith(unit, StringComparison.Ordinal))
            name += unit;
        return counter ? name + "_total" : name;
    }

    /// <summary>A Prometheus name: letters, digits and underscores only.</summary>
    private static string LabelName(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
                chars[i] = '_';
        }
        return new string(chars);
    }

    private static string Escape(string value, bool help)
    {
        var s = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return help ? s : s.Replace("\"", "\\\"", StringComparison.Ordinal);
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
