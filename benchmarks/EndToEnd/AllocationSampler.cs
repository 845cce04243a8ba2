using System.Diagnostics.Tracing;

namespace FastDht.Benchmarks.EndToEnd;

/// <summary>Samples allocations by type through the runtime's AllocationTick events (one per ~100 KB allocated).</summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly Dictionary<string, int> _types = new();
    private bool _enabled;

    public void Start() => _enabled = true;

    public IEnumerable<KeyValuePair<string, int>> Top(int n) => _types.OrderByDescending(kv => kv.Value).Take(n);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_enabled || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
            return;
        var i = e.PayloadNames!.IndexOf("TypeName");
        var name = i >= 0 ? e.Payload[i]?.ToString() ?? "?" : "?";
        lock (_types)
            _types[name] = _types.GetValueOrDefault(name) + 1;
    }
}
