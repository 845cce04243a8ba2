using System.Diagnostics;
using FastDht.Engine.Client;
using FastDht.Engine.Node;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Targets;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Running;

/// <summary>
/// Runs one workload from start to report: starts a local cluster when no address is given, connects the clients,
/// loads the YCSB records, warms up, measures for a duration or an operation count, and tears everything down.
/// </summary>
public sealed class LoadRunner
{
    // 100 ms: the end of a duration overshoots by at most this, a tenth of the default one-second progress line.
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly LoadSettings _settings;
    private readonly RunStatistics _statistics = new();
    private readonly RunControl _control = new();

    public LoadRunner(LoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        Progress = new LoadProgress(
            _statistics,
            settings.OperationCount is null ? settings.Duration : null,
            settings.OperationCount,
            NeedsLoadPhase(settings.Workload.Kind) ? settings.Workload.KeyCount : 0)
        {
            Warmup = settings.Warmup,
        };
    }

    /// <summary>The live state, for a progress display on another thread.</summary>
    public LoadProgress Progress { get; }

    /// <summary>Whether a workload reads records that must exist first (the YCSB workloads).</summary>
    public static bool NeedsLoadPhase(WorkloadKind kind) => kind is WorkloadKind.YcsbA or WorkloadKind.YcsbB or WorkloadKind.YcsbC or WorkloadKind.YcsbF;

    /// <summary>Runs the workload and returns its report.</summary>
    /// <param name="stop">Cancel to end the run early (Ctrl+C): requests in flight finish and the report covers what ran.</param>
    public async Task<LoadReport> RunAsync(CancellationToken stop)
    {
        var settings = _settings;
        LocalClusterTarget? cluster = null;
        var clients = new DhtClient[settings.Connections];
        // Ctrl+C stops the workers at once, in the load phase as well as in the run.
        using var registration = stop.Register(static control => ((RunControl)control!).Stop(), _control);
        try
        {
            Progress.Enter(RunPhase.Starting);
            IReadOnlyList<string> seeds = settings.Nodes;
            if (settings.IsLocal)
            {
                cluster = await LocalClusterTarget.StartAsync(settings.LocalNodes, settings.ClusterName, settings.LockStrategy, settings.LinkRoundTrip, stop, settings.DataDir, settings.Fsync).ConfigureAwait(false);
                seeds = cluster.Seeds;
            }
            for (var i = 0; i < clients.Length; i++)
                clients[i] = await DhtClient.ConnectAsync(ClientOptions(seeds), stop).ConfigureAwait(false);

            var workers = new Worker[settings.Workers];
            for (var i = 0; i < workers.Length; i++)
                workers[i] = new Worker(clients[i % clients.Length], settings.Workload, settings.Seed, i, _statistics, _control, Progress, settings.Batch);

            long? loaded = null;
            if (NeedsLoadPhase(settings.Workload.Kind))
                loaded = await LoadAsync(workers).ConfigureAwait(false);

            var (seconds, stoppedEarly) = await RunWorkersAsync(workers, stop).ConfigureAwait(false);
            var report = _statistics.BuildReport(Header(seeds, loaded, stoppedEarly), seconds);
            Progress.Enter(RunPhase.Finished);
            return report;
        }
        finally
        {
            _control.Stop();
            foreach (var client in clients)
            {
                if (client is not null)
                    await client.DisposeAsync().ConfigureAwait(false);
            }
            if (cluster is not null)
                await cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    private DhtClientOptions ClientOptions(IReadOnlyList<string> seeds)
    {
        var options = new DhtClientOptions
        {
            ClusterName = _settings.ClusterName,
            RequestTimeout = _settings.RequestTimeout,
            // A worker's continuation only records the outcome and sends the next request: short and non-blocking.
            // Running it inline on the connection's read loop saves a thread-pool hop per operation, which would
            // otherwise cost about as much as the operation itself and measure the scheduler instead of the cluster.
            InlineContinuations = true,
            SocketEngine = _settings.SocketEngine,
        };
        foreach (var seed in seeds)
            options.Seeds.Add(seed);
        return options;
    }

    private async Task<long> LoadAsync(Worker[] workers)
    {
        Progress.Enter(RunPhase.Loading);
        var tasks = new Task<long>[workers.Length];
        for (var i = 0; i < workers.Length; i++)
            tasks[i] = workers[i].LoadAsync(i, workers.Length, _settings.Workload.KeyCount);
        var failed = 0L;
        foreach (var n in await Task.WhenAll(tasks).ConfigureAwait(false))
            failed += n;
        return Progress.RecordsLoaded - failed;
    }

    private async Task<(double Seconds, bool StoppedEarly)> RunWorkersAsync(Worker[] workers, CancellationToken stop)
    {
        var settings = _settings;
        var tasks = new Task[workers.Length];
        if (settings.Warmup > TimeSpan.Zero)
            Progress.Enter(RunPhase.WarmingUp);
        for (var i = 0; i < workers.Length; i++)
            tasks[i] = workers[i].RunAsync();
        var all = Task.WhenAll(tasks);

        var start = Stopwatch.GetTimestamp();
        while (!all.IsCompleted && !stop.IsCancellationRequested && Stopwatch.GetElapsedTime(start) < settings.Warmup)
            await Task.WhenAny(all, Task.Delay(Tick, CancellationToken.None)).ConfigureAwait(false);

        _statistics.Reset();
        _control.BeginMeasuring(settings.OperationCount);
        Progress.Enter(RunPhase.Measuring);
        var measureStart = Stopwatch.GetTimestamp();
        while (!all.IsCompleted && !stop.IsCancellationRequested
            && (settings.OperationCount is not null || Stopwatch.GetElapsedTime(measureStart) < settings.Duration))
        {
            await Task.WhenAny(all, Task.Delay(Tick, CancellationToken.None)).ConfigureAwait(false);
            _statistics.Accumulate(); // keeps the recorders small; the totals are what the report reads
        }

        var stoppedEarly = stop.IsCancellationRequested;
        _control.Stop();
        Progress.Enter(RunPhase.Stopping);
        await all.ConfigureAwait(false); // a worker fault (a bug, not a failed request) surfaces here
        return (Stopwatch.GetElapsedTime(measureStart).TotalSeconds, stoppedEarly);
    }

    private LoadReport Header(IReadOnlyList<string> seeds, long? loaded, bool stoppedEarly)
    {
        var s = _settings;
        var target = s.IsLocal
            ? $"local cluster of {s.LocalNodes} node(s) on {string.Join(", ", seeds)}{(s.LinkRoundTrip is { } rtt ? $", every link delayed to a {FastDht.Engine.Node.DurationText.Describe(rtt)} round trip" : "")}"
            : string.Join(", ", seeds);
        return new LoadReport
        {
            Workload = WorkloadNames.Of(s.Workload.Kind),
            Target = target,
            LockStrategy = s.IsLocal ? s.LockStrategy : "(the cluster's own)",
            Connections = s.Connections,
            InFlightPerConnection = s.InFlightPerConnection,
            Batch = s.Batch,
            KeyCount = s.Workload.KeyCount,
            Zipf = s.Workload.Zipf,
            ValueSize = s.Workload.ValueSize,
            Seed = s.Seed,
            WarmupSeconds = s.Warmup.TotalSeconds,
            LoadedRecords = loaded,
            DurationSeconds = 0,
            StoppedEarly = stoppedEarly,
            Operations = 0,
            Successes = 0,
            Misses = 0,
            Errors = 0,
            Throughput = 0,
            ByOperation = [],
            ErrorsByKind = new Dictionary<string, long>(),
        };
    }
}
