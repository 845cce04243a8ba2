using System.Diagnostics;
using System.Globalization;
using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Progress;

/// <summary>Turns successive readings of a <see cref="LoadProgress"/> into samples with a current throughput.</summary>
internal sealed class ProgressSampler
{
    private readonly LoadProgress _progress;
    private readonly long _start = Stopwatch.GetTimestamp();
    private RunPhase _lastPhase = (RunPhase)(-1);
    private long _lastCount;
    private long _lastTimestamp;

    public ProgressSampler(LoadProgress progress) => _progress = progress;

    public ProgressSample Sample()
    {
        var p = _progress;
        var phase = p.Phase;
        var now = Stopwatch.GetTimestamp();
        var count = phase == RunPhase.Loading ? p.RecordsLoaded : p.Completed;
        double rate = 0;
        if (phase == _lastPhase)
        {
            var seconds = Stopwatch.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            rate = seconds > 0 ? (count - _lastCount) / seconds : 0;
        }
        _lastPhase = phase;
        _lastCount = count;
        _lastTimestamp = now;
        return new ProgressSample(phase, Stopwatch.GetElapsedTime(_start, now), count, Math.Max(rate, 0), p.Errors, Remaining(p, phase, count));
    }

    private static string Remaining(LoadProgress p, RunPhase phase, long count)
    {
        var elapsed = p.PhaseElapsed;
        return phase switch
        {
            RunPhase.Loading => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(p.RecordsToLoad - count, 0):N0} records"),
            RunPhase.WarmingUp => Seconds(p.Warmup - elapsed),
            RunPhase.Measuring when p.PlannedOperations is { } ops => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(ops - count, 0):N0} ops"),
            RunPhase.Measuring when p.PlannedDuration is { } d => Seconds(d - elapsed),
            _ => "-",
        };
    }

    private static string Seconds(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(t.TotalSeconds, 0):F1}s");
}
