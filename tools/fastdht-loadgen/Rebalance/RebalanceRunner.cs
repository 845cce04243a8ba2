using System.Diagnostics;
using FastDht.Engine.Client;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Rebalance;

/// <summary>
/// A cluster grows (and shrinks) under a steady load: a local cluster of N nodes and its spares runs the workload;
/// after <see cref="RebalanceSettings.Before"/> the spares start one at a time (each joins through the members) and the
/// slots are rebalanced onto each, one step after the other, as <c>fastdht cluster add-node</c> does; with
/// <see cref="RebalanceSettings.ShrinkTo"/>, after <see cref="RebalanceSettings.Hold"/> the added nodes leave again, the
/// newest first, as <c>fastdht cluster remove-node</c> does (their slots move to the others, then another member
/// commits the state without them, then the node stops); the load goes on for <see cref="RebalanceSettings.After"/>.
/// Every second is one sample: throughput, p99, failed operations, retries.
/// </summary>
internal sealed class RebalanceRunner(RebalanceSettings settings)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>How long before the rebalance and after it every operation is logged for <see cref="RequestsByPhase"/>.</summary>
    private static readonly TimeSpan Logged = TimeSpan.FromSeconds(5);

    /// <summary>The period of a single join's samples (the 3 to 4 run's, as docs/benchmarks.md cites them).</summary>
    private const string Rebalancing = "rebalancing";

    /// <summary>The period of a resize's samples at the grown size, between the last join and the first leave.</summary>
    private const string Holding = "hold";

    private readonly RunStatistics _statistics = new();
    private readonly RunControl _control = new();

    /// <summary>What the plan is doing now (a sample's period); written by the plan, read at each tick.</summary>
    private volatile string _period = "before";

    /// <summary>The first step that began since the last tick (a second that saw a step begin is that step's).</summary>
    private string? _stepBegun;

    /// <summary>What the run moved: its steps, keys and how long the rebalance took, for the summary.</summary>
    public RebalanceSummary? Summary { get; private set; }

    /// <summary>The operations around the rebalance cut by what the cluster did while they ran; null when it never began.</summary>
    public RequestsByPhase? ByPhase { get; private set; }

    /// <summary>Operations left out of <see cref="ByPhase"/> because the log was full.</summary>
    public long Unlogged { get; private set; }

    /// <summary>Reads (warm-up included) of keys already known to hold a value: each one that found nothing is a failed LostWrite.</summary>
    public long CheckedReads { get; private set; }

    /// <summary>When the measured run began (a <see cref="Stopwatch"/> timestamp): second 0 of the samples.</summary>
    public long RunStart { get; private set; }

    /// <summary>Every measured operation that failed, with when it ran and why (the client's retries already spent).</summary>
    public IReadOnlyList<FailedOperation> Failures { get; private set; } = [];

    /// <summary>Runs the load, the joins, the rebalances and the leaves; returns one sample per second of the measured run.</summary>
    public async Task<IReadOnlyList<RebalanceSample>> RunAsync(Action<RebalanceSample> onSample, CancellationToken stop)
    {
        settings.Validate();
        var load = settings.Load;
        var nodes = load.LocalNodes;
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            NodeCount = nodes,
            SpareNodes = settings.GrownSize - nodes,
            Configure = o =>
            {
                o.ClusterName = load.ClusterName;
                o.LockStrategy = load.LockStrategy;
                o.SlotMoveRate = settings.SlotMoveRate;
                o.SlotMoveDutyPercent = settings.SlotMoveDutyPercent;
            },
        }, stop).ConfigureAwait(false);
        var clients = new DhtClient[load.Connections];
        DhtClient? admin = null;
        using var registration = stop.Register(static control => ((RunControl)control!).Stop(), _control);
        try
        {
            for (var i = 0; i < clients.Length; i++)
                clients[i] = await ConnectAsync(cluster, load, stop).ConfigureAwait(false);
            if (settings.ShrinkTo is not null)
                admin = await ConnectAsync(cluster, load, stop).ConfigureAwait(false); // the shell's connection: it commits the leaves
            var progress = new LoadProgress(_statistics, null, null, 0);
            var workers = new Task[load.Workers];
            var written = new WrittenKeys(load.Workload.KeyCount);
            for (var i = 0; i < workers.Length; i++)
                workers[i] = new Worker(clients[i % clients.Length], load.Workload, load.Seed, i, _statistics, _control, progress, written: written).RunAsync();
            await Task.Delay(load.Warmup, stop).ConfigureAwait(false);
            _statistics.Reset();
            // 12 bytes an operation: 8 M cover 10 s of logging at 400,000 ops/s, plus the rebalance's seconds at that
            // rate; a resize logs its grow and its shrink apart (not the hold between), 8 M each.
            var log = new RequestLog(settings.ShrinkTo is null ? 8_000_000 : 16_000_000);
            _statistics.Log = log;
            var failures = new System.Collections.Concurrent.ConcurrentQueue<FailedOperation>();
            _statistics.Failures = failures;
            if (settings.Before <= Logged)
                log.Start();
            _control.BeginMeasuring(null);
            _statistics.TakeWindowP99Microseconds();

            var samples = new List<RebalanceSample>();
            var start = Stopwatch.GetTimestamp();
            RunStart = start;
            Task<RebalanceSummary>? rebalance = null;
            TimeSpan? doneAt = null;
            long lastCompleted = 0, lastErrors = 0, lastRetries = 0;
            var lastTick = start;
            var lastPause = GC.GetTotalPauseDuration();
            int lastCollections = GC.CollectionCount(0), lastGen2 = GC.CollectionCount(2);
            var period = _period;
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
                // A second belongs to the step it began in, else to the first step that began during it, else to its period.
                var begun = Interlocked.Exchange(ref _stepBegun, null);
                var label = IsStep(period) || begun is null ? period : begun;
                var sample = new RebalanceSample(
                    Math.Round(elapsed.TotalSeconds, 1), label, (completed - lastCompleted) / seconds, _statistics.TakeWindowP99Microseconds(),
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
                    rebalance = PlanAsync(cluster, admin, log, elapsed);
                }
                else if (rebalance is { IsCompleted: true } && doneAt is null)
                {
                    Summary = await rebalance.ConfigureAwait(false); // a failed move surfaces here
                    _period = "after";
                    doneAt = elapsed;
                }
                else if (doneAt is { } done && elapsed - done >= settings.After)
                {
                    break;
                }
                period = _period;
            }
            _control.Stop();
            log.Stop();
            await Task.WhenAll(workers).ConfigureAwait(false);
            if (Summary is not null)
                ByPhase = RequestsByPhase.Cut(log, Summary.Intervals, start);
            Unlogged = log.Dropped;
            Failures = [.. failures];
            CheckedReads = written.CheckedReads;
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
            if (admin is not null)
                await admin.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Whether a sample's period is a step of the plan (not before, hold or after).</summary>
    private static bool IsStep(string period) => period is not ("before" or Holding or "after");

    private static async Task<DhtClient> ConnectAsync(LocalCluster cluster, LoadSettings load, CancellationToken stop)
    {
        var options = new DhtClientOptions { ClusterName = load.ClusterName, RequestTimeout = load.RequestTimeout, InlineContinuations = true };
        foreach (var seed in cluster.Seeds)
            options.Seeds.Add(seed);
        return await DhtClient.ConnectAsync(options, stop).ConfigureAwait(false);
    }

    /// <summary>
    /// The plan: each spare joins and gets its share (add-node), one after the other; with a shrink, the load runs at
    /// the grown size for the hold (logged only its first and last <see cref="Logged"/>), then the added nodes leave,
    /// the newest first (remove-node, then the node stops).
    /// </summary>
    private async Task<RebalanceSummary> PlanAsync(LocalCluster cluster, DhtClient? admin, RequestLog log, TimeSpan startedAt)
    {
        var clock = Stopwatch.StartNew();
        var intervals = new List<RebalanceInterval>();
        var steps = new List<ResizeStep>();
        var single = settings.IsSingleJoin;
        for (var id = settings.Load.LocalNodes; id < settings.GrownSize; id++)
            steps.Add(await AddNodeAsync(cluster, id, single ? Rebalancing : $"add node {id}", intervals).ConfigureAwait(false));
        if (settings.ShrinkTo is { } shrink)
        {
            _period = Holding;
            if (settings.Hold > Logged + Logged + Tick)
            {
                // The hold's middle is the grown cluster at rest: not logged, so the log holds the steps and their edges.
                await Task.Delay(Logged).ConfigureAwait(false);
                log.Stop();
                await Task.Delay(settings.Hold - Logged - Logged).ConfigureAwait(false);
                log.Start();
                await Task.Delay(Logged).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(settings.Hold).ConfigureAwait(false);
            }
            for (var id = settings.GrownSize - 1; id >= shrink; id--)
                steps.Add(await RemoveNodeAsync(cluster, admin!, id, $"remove node {id}", intervals).ConfigureAwait(false));
        }
        long keys = 0;
        var moves = 0;
        var paused = TimeSpan.Zero;
        var joined = TimeSpan.Zero;
        foreach (var step in steps)
        {
            keys += step.Keys;
            moves += step.Moves;
            paused = paused > step.LongestPause ? paused : step.LongestPause;
            if (step.Joined)
                joined = joined > step.MembershipTime ? joined : step.MembershipTime;
        }
        return new RebalanceSummary(startedAt, joined, clock.Elapsed, moves, keys, paused, intervals) { Resize = steps };
    }

    /// <summary>Starts spare <paramref name="id"/>, waits until every node lists it and links to it, then runs the rebalance onto it step by step at each step's owner.</summary>
    private async Task<ResizeStep> AddNodeAsync(LocalCluster cluster, int id, string name, List<RebalanceInterval> intervals)
    {
        Begin(name);
        var clock = Stopwatch.StartNew();
        var began = Stopwatch.GetTimestamp();
        var joiner = await cluster.StartNodeAsync(id).ConfigureAwait(false);
        while (!AllKnow(cluster, id + 1))
            await Task.Delay(10).ConfigureAwait(false);
        var joined = clock.Elapsed;
        intervals.Add(new RebalanceInterval("join", began, Stopwatch.GetTimestamp()));
        var members = new List<ushort>();
        foreach (var m in joiner.ClusterState.Members.Members)
            members.Add(m.NodeId);
        var (moves, keys, paused) = await MoveAsync(cluster, members, intervals, name).ConfigureAwait(false);
        intervals.Add(new RebalanceInterval(RequestsByPhase.StepSpan, began, Stopwatch.GetTimestamp(), name));
        return new ResizeStep(name, true, joined, moves, keys, paused, clock.Elapsed);
    }

    /// <summary>
    /// As <c>fastdht cluster remove-node</c>: rebalances over the other members (only node <paramref name="id"/>'s
    /// slots move), has node 0 commit the state without it, waits until every other node has installed that state,
    /// then stops the node (an operator's kill after the shell returned).
    /// </summary>
    private async Task<ResizeStep> RemoveNodeAsync(LocalCluster cluster, DhtClient admin, int id, string name, List<RebalanceInterval> intervals)
    {
        Begin(name);
        var clock = Stopwatch.StartNew();
        var began = Stopwatch.GetTimestamp();
        var rest = new List<ushort>();
        foreach (var m in cluster[0].ClusterState.Members.Members)
        {
            if (m.NodeId != id)
                rest.Add(m.NodeId);
        }
        var (moves, keys, paused) = await MoveAsync(cluster, rest, intervals, name).ConfigureAwait(false);
        var leaving = Stopwatch.GetTimestamp();
        var leaveClock = Stopwatch.StartNew();
        await admin.RemoveNodeAsync(0, (ushort)id, forget: false).ConfigureAwait(false);
        while (!AllKnow(cluster, rest.Count, except: id))
            await Task.Delay(10).ConfigureAwait(false);
        await cluster.StopNodeAsync(id).ConfigureAwait(false);
        var left = leaveClock.Elapsed;
        var end = Stopwatch.GetTimestamp();
        intervals.Add(new RebalanceInterval("leave", leaving, end));
        intervals.Add(new RebalanceInterval(RequestsByPhase.StepSpan, began, end, name));
        return new ResizeStep(name, false, left, moves, keys, paused, clock.Elapsed);
    }

    /// <summary>Runs the rebalance over <paramref name="members"/> step by step at each step's owner; adds each move's phases and the moves' span.</summary>
    private static async Task<(int Moves, long Keys, TimeSpan LongestPause)> MoveAsync(LocalCluster cluster, List<ushort> members, List<RebalanceInterval> intervals, string name)
    {
        var plan = SlotPlans.Rebalance(cluster[0].ClusterState.Slots.Ranges, members);
        long keys = 0;
        var paused = TimeSpan.Zero;
        var first = Stopwatch.GetTimestamp();
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
        if (plan.Count > 0)
            intervals.Add(new RebalanceInterval(RequestsByPhase.MovesSpan, first, Stopwatch.GetTimestamp(), name));
        return (plan.Count, keys, paused);
    }

    /// <summary>Marks the start of a step: the period of the samples from now on, and of the second it began in.</summary>
    private void Begin(string step)
    {
        _period = step;
        Interlocked.CompareExchange(ref _stepBegun, step, null);
    }

    /// <summary>Whether every running node (but <paramref name="except"/>) lists exactly <paramref name="members"/> members and links to all of them.</summary>
    private static bool AllKnow(LocalCluster cluster, int members, int except = -1)
    {
        foreach (var node in cluster.RunningNodes)
        {
            if (node.NodeId == except)
                continue;
            if (node.ClusterState.Members.Count != members || !node.IsMeshComplete)
                return false;
        }
        return true;
    }
}
