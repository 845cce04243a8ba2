using System.Diagnostics;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Rebalance;

/// <summary>
/// A cluster grows by one node under a steady load: a local cluster of N nodes and one spare runs the workload; after
/// <see cref="RebalanceSettings.Before"/> the spare starts (it joins through the members) and the slots are rebalanced
/// onto it, one step after the other, as <c>fastdht cluster add-node</c> does; the load goes on for
/// <see cref="RebalanceSettings.After"/>. Every second is one sample: throughput, p99, failed operations, retries.
/// </summary>
internal sealed class RebalanceRunner(RebalanceSettings settings)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>How long before the rebalance and after it every operation is logged for <see cref="RequestsByPhase"/>.</summary>
    private static readonly TimeSpan Logged = TimeSpan.FromSeconds(5);

    private readonly RunStatistics _statistics = new();
    private readonly RunControl _control = new();

    /// <summary>What the run moved: its steps, keys and how long the rebalance took, for the summary.</summary>
    public RebalanceSummary? Summary { get; private set; }

    /// <summary>The operations around the rebalance cut by what the cluster did while they ran; null when it never began.</summary>
    public RequestsByPhase? ByPhase { get; private set; }

    /// <summary>Operations left out of <see cref="ByPhase"/> because the log was full.</summary>
    public long Unlogged { get; private set; }

    /// <summary>Runs the load, the join and the rebalance; returns one sample per second of the measured run.</summary>
    public async Task<IReadOnlyList<RebalanceSample>> RunAsync(Action<RebalanceSample> onSample, CancellationToken stop)
    {
        var load = settings.Load;
        var nodes = load.LocalNodes;
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = nodes,
            SpareNodes = 1,
            Configure = o =>
            {
                o.ClusterName = load.ClusterName;
                o.LockStrategy = load.LockStrategy;
                o.SlotMoveRate = settings.SlotMoveRate;
                o.SlotMoveDutyPercent = settings.SlotMoveDutyPercent;
            },
        }, stop).ConfigureAwait(false);
        var clients = new DhtClient[load.Connections];
        using var registration = stop.Register(static control => ((RunControl)control!).Stop(), _control);
        try
        {
            for (var i = 0; i < clients.Length; i++)
            {
                var options = new DhtClientOptions { ClusterName = load.ClusterName, RequestTimeout = load.RequestTimeout, InlineContinuations = true };
                foreach (var seed in cluster.Seeds)
                    options.Seeds.Add(seed);
                clients[i] = await DhtClient.ConnectAsync(options, stop).ConfigureAwait(false);
            }
            var progress = new LoadProgress(_statistics, null, null, 0);
            var workers = new Task[load.Workers];
            for (var i = 0; i < workers.Length; i++)
                workers[i] = new Worker(clients[i % clients.Length], load.Workload, load.Seed, i, _statistics, _control, progress).RunAsync();
            await Task.Delay(load.Warmup, stop).ConfigureAwait(false);
            _statistics.Reset();
            // 12 bytes an operation: 8 M cover 10 s of logging at 400,000 ops/s, plus the rebalance's seconds at that rate.
            var log = new RequestLog(8_000_000);
            _statistics.Log = log;
            if (settings.Before <= Logged)
                log.Start();
            _control.BeginMeasuring(null);
            _statistics.TakeWindowP99Microseconds();

            var samples = new List<RebalanceSample>();
            var start = Stopwatch.GetTimestamp();
            var phase = "before";
            Task<RebalanceSummary>? rebalance = null;
            TimeSpan? doneAt = null;
            long lastCompleted = 0, lastErrors = 0, lastRetries = 0;
            var lastTick = start;
            var lastPause = GC.GetTotalPauseDuration();
            int lastCollections = GC.CollectionCount(0), lastGen2 = GC.CollectionCount(2);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(Tick, CancellationToken.None).ConfigureAwait(false);
                var now = Stopwatch.GetTimestamp();
                var elapsed = Stopwatch.GetElapsedTime(start, now);
                var completed = _statistics.Completed;
                var errors = _statistics.ErrorCount;
                var retries = 0L;
                foreach (var client in clients)
                    retries += client.MovingRetries;
                var seconds = Stopwatch.GetElapsedTime(lastTick, now).TotalSeconds;
                var pause = GC.GetTotalPauseDuration();
                int collections = GC.CollectionCount(0), gen2 = GC.CollectionCount(2); // every collection counts gen 0 too
                var sample = new RebalanceSample(
                    Math.Round(elapsed.TotalSeconds, 1), phase, (completed - lastCompleted) / seconds, _statistics.TakeWindowP99Microseconds(),
                    errors - lastErrors, retries - lastRetries, (pause - lastPause).TotalMilliseconds, collections - lastCollections, gen2 - lastGen2);
                (lastCompleted, lastErrors, lastRetries, lastTick) = (completed, errors, retries, now);
                (lastPause, lastCollections, lastGen2) = (pause, collections, gen2);
                samples.Add(sample);
                onSample(sample);

                if (rebalance is null && elapsed + Logged + Tick >= settings.Before)
                    log.Start(); // from the last tick at least Logged before the rebalance
                if (doneAt is { } loggedUntil && elapsed - loggedUntil >= Logged)
                    log.Stop();
                if (rebalance is null && elapsed >= settings.Before)
                {
                    phase = "rebalancing";
                    rebalance = GrowAsync(cluster, nodes, elapsed);
                }
                else if (rebalance is { IsCompleted: true } && doneAt is null)
                {
                    Summary = await rebalance.ConfigureAwait(false); // a failed move surfaces here
                    phase = "after";
                    doneAt = elapsed;
                }
                else if (doneAt is { } done && elapsed - done >= settings.After)
                {
                    break;
                }
            }
            _control.Stop();
            log.Stop();
            await Task.WhenAll(workers).ConfigureAwait(false);
            if (Summary is not null)
                ByPhase = RequestsByPhase.Cut(log, Summary.Intervals, start);
            Unlogged = log.Dropped;
            return samples;
        }
        finally
        {
            _control.Stop();
            foreach (var client in clients)
            {
                if (client is not null)
                    await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Starts the spare node, waits until every node lists it and links to it, then runs the rebalance onto it step by step at each step's owner.</summary>
    private static async Task<RebalanceSummary> GrowAsync(LocalCluster cluster, int nodes, TimeSpan startedAt)
    {
        var clock = Stopwatch.StartNew();
        var intervals = new List<RebalanceInterval>();
        var began = Stopwatch.GetTimestamp();
        var joiner = await cluster.StartNodeAsync(nodes).ConfigureAwait(false);
        while (!AllKnow(cluster, nodes + 1))
            await Task.Delay(10).ConfigureAwait(false);
        var joined = clock.Elapsed;
        intervals.Add(new RebalanceInterval("join", began, Stopwatch.GetTimestamp()));
        var members = new List<ushort>();
        foreach (var m in joiner.ClusterState.Members.Members)
            members.Add(m.NodeId);
        var plan = SlotPlans.Rebalance(cluster[0].ClusterState.Slots.Ranges, members);
        long keys = 0;
        var paused = TimeSpan.Zero;
        foreach (var step in plan)
        {
            var moveStart = Stopwatch.GetTimestamp();
            var report = await cluster[step.From].MoveSlotsAsync(step.FirstSlot, step.LastSlot, step.To).ConfigureAwait(false);
            var moveEnd = Stopwatch.GetTimestamp();
            long At(TimeSpan offset) => Math.Min(moveEnd, moveStart + (long)(offset.TotalSeconds * Stopwatch.Frequency));
            intervals.Add(new RebalanceInterval("copy", moveStart, At(report.CopyTime)));
            intervals.Add(new RebalanceInterval("catch-up", At(report.CopyTime), At(report.HandoverStart)));
            intervals.Add(new RebalanceInterval("handover", At(report.HandoverStart), At(report.HandoverStart + report.PausedTime)));
            intervals.Add(new RebalanceInterval("drop", At(report.HandoverStart + report.PausedTime), moveEnd));
            keys += report.KeysCopied;
            paused = paused > report.PausedTime ? paused : report.PausedTime;
        }
        return new RebalanceSummary(startedAt, joined, clock.Elapsed, plan.Count, keys, paused, intervals);
    }

    private static bool AllKnow(LocalCluster cluster, int members)
    {
        foreach (var node in cluster.RunningNodes)
        {
            if (node.ClusterState.Members.Count != members || !node.IsMeshComplete)
                return false;
        }
        return true;
    }
}

/// <summary>What a rebalance did: when it began (into the run), how long the join and the whole took, its steps and keys, the longest write pause of a step, and when each phase of each step ran.</summary>
internal sealed record RebalanceSummary(TimeSpan StartedAt, TimeSpan JoinTime, TimeSpan TotalTime, int Steps, long KeysMoved, TimeSpan LongestPause, IReadOnlyList<RebalanceInterval> Intervals);
