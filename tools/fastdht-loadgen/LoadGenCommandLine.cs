using System.CommandLine;
using System.Globalization;
using FastDht.Engine.Node;
using FastDht.LoadGen.Progress;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;
using FastDht.LoadGen.Sweep;
using FastDht.LoadGen.Targets;
using FastDht.LoadGen.Workloads;
using Spectre.Console;

namespace FastDht.LoadGen;

/// <summary>
/// The fastdht-loadgen command line: the root command runs one workload (against --node addresses, or a local
/// cluster when none is given); `sweep` runs every lock strategy across contention levels; `rebalance` grows a local
/// cluster by one node (or to --grow-to nodes and back to --shrink-to) under load and records throughput and p99 per second.
/// </summary>
/// <remarks>Exit codes: 0 the run finished (even with failed operations, which the report counts); 2 bad options or the target could not be used.</remarks>
internal static class LoadGenCommandLine
{
    public const int Success = 0;
    public const int Failure = 2;

    private static readonly Option<string[]> Nodes = new("--node", "-n")
    {
        Description = "A node of a running cluster, host:port; repeat for more. None: start a local cluster.",
        Arity = ArgumentArity.OneOrMore,
        Recursive = true,
    };

    private static readonly Option<int> LocalNodes = Opt("--local-nodes", "Nodes of the local cluster started when no --node is given.", 3);
    private static readonly Option<string> ClusterName = Opt("--cluster", "The cluster name.", "fastdht");
    private static readonly Option<string> LockStrategy = Opt("--lock-strategy", "Lock strategy of the local cluster: " + string.Join(", ", LocalClusterTarget.KnownLockStrategies) + ".", "wait-die");
    private static readonly Option<string?> DataDir = Opt<string?>("--data-dir", "Local cluster: log every write under this folder (node0, node1, ...), as fastdht-node --data-dir. None: memory only.", null);
    private static readonly Option<Storage.Durability.FsyncPolicy> Fsync = Opt("--fsync", "Local cluster with --data-dir: always, everysec or no.", Storage.Durability.FsyncPolicy.Always);
    private static readonly Option<string> Workload = Opt("--workload", "Workload: " + string.Join(", ", WorkloadNames.All) + ".", "dht", "-w");
    private static readonly Option<long?> Keys = Opt<long?>("--keys", "Key range / YCSB record count. Default: 100000, or 10000 for txn.", null, "-k");
    private static readonly Option<double?> Zipf = Opt<double?>("--zipf", "Zipf constant of the key choice (0 = uniform). Default: 0 for dht and txn, 0.99 for YCSB.", null);
    private static readonly Option<int> ValueSize = Opt("--value-size", "Value size in bytes.", 16);
    private static readonly Option<double?> ReadShare = Opt<double?>("--read-share", "Share of reads, 0..1 (dht: Get vs PutIfAbsent; txn: MultiGet vs MultiPut). Default: the workload's.", null);
    private static readonly Option<int> TxnKeys = Opt("--txn-keys", "Keys per MultiPut/MultiGet.", 10);
    private static readonly Option<int> Connections = Opt("--connections", "Client connections (one DhtClient each).", 4, "-c");
    private static readonly Option<int> InFlight = Opt("--in-flight", "Requests in flight per connection.", 16, "-p");
    private static readonly Option<int> Batch = Opt("--batch", "Requests each worker sends together as one DhtBatch (single-key workloads): -p workers per connection x this many in flight. 1: each request on its own.", 1);
    private static readonly Option<string> Duration = Opt("--duration", "How long to measure, a duration as everywhere in FastDht: 10s, 1m, 500ms (ignored with --operations).", "10s", "-d");
    private static readonly Option<long?> Operations = Opt<long?>("--operations", "Measure exactly this many operations instead of a duration.", null, "-o");
    private static readonly Option<string> Warmup = Opt("--warmup", "How long to run unmeasured before measuring (a duration: 2s; 0 for none).", "2s");
    private static readonly Option<int> Seed = Opt("--seed", "Random seed: the same seed replays the same operations.", 42);
    private static readonly Option<string> Timeout = Opt("--timeout", "How long before an unanswered request counts as a Timeout error (a duration: 5s, 500ms).", "5s");
    private static readonly Option<string?> Json = Opt<string?>("--json", "Also write the report as JSON to this file.", null);
    private static readonly Option<ProgressMode> ProgressOption = Opt("--progress", "Progress display: Auto (live on a terminal, lines otherwise), Live, Plain, None.", ProgressMode.Auto);
    private static readonly Option<string> Interval = Opt("--interval", "Time between progress updates (a duration: 1s, 250ms; at least 50ms).", "1s");
    private static readonly Option<Engine.Transport.SocketEngineKind> SocketEngine = Opt("--socket-engine", "The clients' socket engine: Runtime (.NET's) or Epoll (FastDht's own event thread, Linux; one recv per arrival).", Engine.Transport.SocketEngineKind.Runtime);
    private static readonly Option<string?> Rtt = Opt<string?>("--rtt", "Local cluster: delay every link (peer and client) to this round trip, e.g. 500us, 2ms (a relay in front of each node; 0 = relays without delay). Default: direct loopback.", null);

    private static readonly Option<string?> Strategies = Opt<string?>("--strategies", "Sweep: comma-separated lock strategies. Default: all.", null);
    private static readonly Option<string> ZipfLevels = Opt("--zipf-levels", "Sweep: comma-separated zipf constants.", "0,0.6,0.7,0.8,0.9,0.99");
    private static readonly Option<string?> KeyRanges = Opt<string?>("--key-ranges", "Sweep: comma-separated key ranges instead of zipf levels (fewer keys = more contention).", null);
    private static readonly Option<string> Output = Opt("--out", "Sweep: directory for sweep.csv, sweep.md and sweep.png.", "sweep-results");
    private static readonly Option<string> SweepDuration = Opt("--duration", "How long to measure each point (a duration: 5s).", "5s", "-d");
    private static readonly Option<string> SweepWarmup = Opt("--warmup", "How long to run each point unmeasured first (a duration: 1s).", "1s");
    private static readonly Option<int> Repeats = Opt("--repeats", "Sweep: runs per point, each on a fresh cluster; outputs give the median and min–max.", 1);
    private static readonly Option<string?> SweepRtt = Opt<string?>("--rtt", "Sweep: comma-separated link round trips (e.g. 0,100us,500us,2ms) as the levels, at the run's --zipf and --keys, instead of contention levels.", null);

    private static readonly Option<string> Before = Opt("--before", "Rebalance: how long to measure before the new node starts (a duration: 10s).", "10s");
    private static readonly Option<string> After = Opt("--after", "Rebalance: how long to measure after the rebalance ended (a duration: 10s).", "10s");
    private static readonly Option<long> SlotMoveRate = Opt("--slot-move-rate", "Rebalance: bytes per second each node copies moving slots (0: no limit).", 16L << 20);
    private static readonly Option<int> SlotMoveDuty = Opt("--slot-move-duty", "Rebalance: percent of the time a throttled copy works (NodeOptions.SlotMoveDutyPercent; 100: the byte rate alone).", 20);
    private static readonly Option<int?> GrowTo = Opt<int?>("--grow-to", "Rebalance: grow the local cluster to this many nodes, one node at a time (each joins, then the slots are rebalanced onto it, as fastdht cluster add-node). Default: one more than --local-nodes.", null);
    private static readonly Option<int?> ShrinkTo = Opt<int?>("--shrink-to", "Rebalance: after --hold at the grown size, shrink back to this many nodes, the newest first (each one's slots move to the others, then it leaves and stops, as fastdht cluster remove-node). Default: no shrink.", null);
    private static readonly Option<string> Hold = Opt("--hold", "Rebalance with --shrink-to: how long to measure at the grown size before the shrink (a duration: 10s).", "10s");
    private static readonly Option<string> RebalanceOutput = Opt("--out", "Rebalance: directory for rebalance.csv, rebalance.md and rebalance.png.", "rebalance-results");

    public static RootCommand Build()
    {
        var root = new RootCommand("fastdht-loadgen: drive a FastDht cluster (or a local one) with a workload and report throughput and latency.");
        Option[] common = [Nodes, LocalNodes, ClusterName, Keys, Zipf, ValueSize, ReadShare, TxnKeys, Connections, InFlight, Batch, Operations, Seed, Timeout, ProgressOption, Interval];
        foreach (var option in common)
        {
            option.Recursive = true; // `sweep` takes them too
            root.Options.Add(option);
        }
        foreach (var option in (Option[])[LockStrategy, DataDir, Fsync, Workload, Duration, Warmup, Json, Rtt, SocketEngine])
            root.Options.Add(option);
        root.SetAction((parse, _) => RunAsync(parse));

        var sweep = new Command("sweep", "Run every lock strategy across contention levels on a local cluster; write CSV, markdown and a PNG chart.");
        foreach (var option in (Option[])[Strategies, ZipfLevels, KeyRanges, Output, SweepDuration, SweepWarmup, Repeats, SweepRtt])
            sweep.Options.Add(option);
        sweep.SetAction((parse, _) => SweepAsync(parse));
        root.Subcommands.Add(sweep);

        var rebalance = new Command("rebalance", "Grow a local cluster by one node under load (it joins, the slots are rebalanced onto it), or to --grow-to nodes and back to --shrink-to; write throughput and p99 per second as CSV, markdown and a PNG chart.");
        foreach (var option in (Option[])[Workload, Warmup, Before, After, GrowTo, ShrinkTo, Hold, SlotMoveRate, SlotMoveDuty, RebalanceOutput])
            rebalance.Options.Add(option);
        rebalance.SetAction((parse, _) => RebalanceAsync(parse));
        root.Subcommands.Add(rebalance);
        return root;
    }

    /// <summary>Reads the run settings from a parse result (the sweep reuses them for its transaction runs).</summary>
    /// <exception cref="ArgumentException">An option is out of range or unknown.</exception>
    public static LoadSettings ReadSettings(ParseResult parse, WorkloadKind? forcedKind = null, TimeSpan? duration = null, TimeSpan? warmup = null)
    {
        // `sweep` has no --workload, --lock-strategy, --duration or --warmup of the root's: it passes its own.
        WorkloadKind kind;
        string workloadName;
        if (forcedKind is { } forced)
            kind = forced;
        else if (!WorkloadNames.TryParse(workloadName = parse.GetValue(Workload)!, out kind))
            throw new ArgumentException($"unknown workload '{workloadName}' (known: {string.Join(", ", WorkloadNames.All)})");
        var spec = WorkloadSpec.Default(kind);
        spec = spec with
        {
            KeyCount = parse.GetValue(Keys) ?? spec.KeyCount,
            Zipf = parse.GetValue(Zipf) ?? spec.Zipf,
            ValueSize = parse.GetValue(ValueSize),
            ReadShare = parse.GetValue(ReadShare) ?? spec.ReadShare,
            KeysPerTransaction = parse.GetValue(TxnKeys),
        };
        var settings = new LoadSettings
        {
            Workload = spec,
            Nodes = parse.GetValue(Nodes) ?? [],
            LocalNodes = parse.GetValue(LocalNodes),
            ClusterName = parse.GetValue(ClusterName)!,
            LockStrategy = forcedKind is null ? parse.GetValue(LockStrategy)! : "wait-die",
            DataDir = forcedKind is null ? parse.GetValue(DataDir) : null,
            Fsync = forcedKind is null ? parse.GetValue(Fsync) : Storage.Durability.FsyncPolicy.Always,
            Connections = parse.GetValue(Connections),
            InFlightPerConnection = parse.GetValue(InFlight),
            Batch = forcedKind is null ? parse.GetValue(Batch) : 1,
            Duration = duration ?? ParseDuration(parse.GetValue(Duration)!, "--duration"),
            OperationCount = parse.GetValue(Operations),
            Warmup = warmup ?? ParseDuration(parse.GetValue(Warmup)!, "--warmup"),
            Seed = parse.GetValue(Seed),
            RequestTimeout = ParseDuration(parse.GetValue(Timeout)!, "--timeout"),
            SocketEngine = forcedKind is null ? parse.GetValue(SocketEngine) : Engine.Transport.SocketEngineKind.Runtime,
            LinkRoundTrip = forcedKind is null && parse.GetValue(Rtt) is { Length: > 0 } rtt ? ParseDuration(rtt, "--rtt") : null,
        };
        settings.Validate();
        return settings;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        var console = AnsiConsole.Console;
        LoadSettings settings;
        TimeSpan interval;
        try
        {
            settings = ReadSettings(parse);
            interval = IntervalOf(parse);
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
        using var signal = new StopSignal();
        var mode = ProgressDisplay.Resolve(parse.GetValue(ProgressOption), console);
        try
        {
            var report = await RunWithProgressAsync(console, mode, new LoadRunner(settings), interval, signal.Token).ConfigureAwait(false);
            ReportTable.Write(console, report);
            if (parse.GetValue(Json) is { Length: > 0 } path)
            {
                await ReportJson.WriteFileAsync(path, report, CancellationToken.None).ConfigureAwait(false);
                console.MarkupLine($"[grey]report written to[/] {Markup.Escape(path)}");
            }
            return Success;
        }
        catch (Exception e) when (e is FastDht.Engine.Client.DhtException or ArgumentException or IOException or FastDht.Engine.Cluster.ClusterConfigurationException or TimeoutException or OperationCanceledException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<int> RebalanceAsync(ParseResult parse)
    {
        Rebalance.RebalanceSettings settings;
        try
        {
            var load = ReadSettings(parse);
            if (!load.IsLocal)
                throw new ArgumentException("rebalance starts its own local cluster; it takes no --node");
            settings = new Rebalance.RebalanceSettings
            {
                Load = load,
                Before = ParseDuration(parse.GetValue(Before)!, "--before"),
                After = ParseDuration(parse.GetValue(After)!, "--after"),
                SlotMoveRate = parse.GetValue(SlotMoveRate) >= 0 ? parse.GetValue(SlotMoveRate) : throw new ArgumentException("--slot-move-rate must be 0 (no limit) or positive"),
                SlotMoveDutyPercent = parse.GetValue(SlotMoveDuty) is >= 1 and <= 100 ? parse.GetValue(SlotMoveDuty) : throw new ArgumentException("--slot-move-duty must be 1 to 100 (percent)"),
                OutputDirectory = parse.GetValue(RebalanceOutput)!,
                GrowTo = parse.GetValue(GrowTo),
                ShrinkTo = parse.GetValue(ShrinkTo),
                Hold = ParseDuration(parse.GetValue(Hold)!, "--hold"),
            };
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
        using var signal = new StopSignal();
        try
        {
            Directory.CreateDirectory(settings.OutputDirectory);
            var runner = new Rebalance.RebalanceRunner(settings);
            var samples = await runner.RunAsync(
                static s => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Second,6:F1} s  {s.Phase,-11}  {s.OperationsPerSecond,10:N0} ops/s  p99 {s.P99Microseconds,9:N0} us  failed {s.Errors}  retried {s.Retries}  GC {s.GcPauseMilliseconds:0.#} ms in {s.Collections} ({s.Gen2Collections} gen 2)")),
                signal.Token).ConfigureAwait(false);
            var markdown = Rebalance.RebalanceOutput.ToMarkdown(samples, runner.Summary, settings, runner.ByPhase, runner.Unlogged, runner.Failures, runner.RunStart, runner.CheckedReads);
            if (runner.ByPhase is { } byPhase)
                await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "rebalance-windows.csv"), Rebalance.RebalanceOutput.ToWindowsCsv(byPhase)).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "rebalance.csv"), Rebalance.RebalanceOutput.ToCsv(samples)).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "rebalance.md"), markdown).ConfigureAwait(false);
            if (samples.Count > 0)
                Rebalance.RebalanceOutput.WritePng(Path.Combine(settings.OutputDirectory, "rebalance.png"), samples);
            Console.WriteLine(markdown);
            return Success;
        }
        catch (Exception e) when (e is FastDht.Engine.Client.DhtException or ArgumentException or IOException or FastDht.Engine.Cluster.ClusterConfigurationException or FastDht.Engine.Cluster.SlotMoveException or TimeoutException or OperationCanceledException)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<int> SweepAsync(ParseResult parse)
    {
        var console = AnsiConsole.Console;
        SweepSettings settings;
        TimeSpan interval;
        try
        {
            var run = ReadSettings(parse, WorkloadKind.Txn, ParseDuration(parse.GetValue(SweepDuration)!, "--duration"), ParseDuration(parse.GetValue(SweepWarmup)!, "--warmup"));
            interval = IntervalOf(parse);
            if (!run.IsLocal)
                throw new ArgumentException("sweep starts its own local cluster per point; it takes no --node");
            settings = new SweepSettings
            {
                Run = run,
                Strategies = SplitList(parse.GetValue(Strategies), static s => s),
                ZipfLevels = SplitList(parse.GetValue(ZipfLevels), static s => double.Parse(s, CultureInfo.InvariantCulture)),
                KeyRanges = parse.GetValue(KeyRanges) is { } ranges ? SplitList(ranges, static s => long.Parse(s, CultureInfo.InvariantCulture)) : null,
                OutputDirectory = parse.GetValue(Output)!,
                Repeats = parse.GetValue(Repeats),
                RoundTrips = parse.GetValue(SweepRtt) is { } rtts ? SplitList(rtts, static s => ParseDuration(s, "--rtt")) : null,
            };
            if (settings.Repeats < 1)
                throw new ArgumentException($"--repeats must be at least 1 (got {settings.Repeats})");
            foreach (var strategy in settings.Strategies)
            {
                if (!ContainsIgnoreCase(LocalClusterTarget.KnownLockStrategies, strategy))
                    throw new ArgumentException($"unknown lock strategy '{strategy}' (known: {string.Join(", ", LocalClusterTarget.KnownLockStrategies)})");
            }
            for (var level = 0; level < settings.LevelCount; level++)
                settings.RunAt("wait-die", level).Validate();
            if (settings.ByRoundTrip && settings.KeyRanges is not null)
                throw new ArgumentException("--rtt and --key-ranges are two axes: give one (the round trips run at --keys and --zipf)");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            return Fail(e.Message);
        }

        using var signal = new StopSignal();
        var mode = ProgressDisplay.Resolve(parse.GetValue(ProgressOption), console);
        try
        {
            var runs = await SweepRunner.RunAsync(
                settings,
                async (runner, label) =>
                {
                    console.MarkupLine($"[bold]{Markup.Escape(label)}[/]");
                    var report = await RunWithProgressAsync(console, mode, runner, interval, signal.Token).ConfigureAwait(false);
                    var t = report.Transactions;
                    console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {(t?.Committed ?? 0) / Math.Max(report.DurationSeconds, 1e-9):N0} committed/s, abort rate {t?.AbortRate ?? 0:P1}, {t?.GaveUp ?? 0:N0} gave up, {report.Errors:N0} errors"));
                    return report;
                },
                signal.Token).ConfigureAwait(false);
            var strategies = SweepRunner.StrategiesOf(settings);
            var points = SweepRunner.Summarise(runs, strategies, settings.LevelCount);
            Directory.CreateDirectory(settings.OutputDirectory);
            var csv = Path.Combine(settings.OutputDirectory, "sweep.csv");
            await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "sweep-runs.csv"), SweepOutput.ToRunsCsv(runs)).ConfigureAwait(false);
            var markdown = Path.Combine(settings.OutputDirectory, "sweep.md");
            var png = Path.Combine(settings.OutputDirectory, "sweep.png");
            await File.WriteAllTextAsync(csv, SweepOutput.ToCsv(points)).ConfigureAwait(false);
            var table = SweepOutput.ToMarkdown(points, settings, strategies);
            await File.WriteAllTextAsync(markdown, table).ConfigureAwait(false);
            SweepOutput.WritePng(png, points, settings, strategies);
            console.WriteLine();
            console.WriteLine(table);
            console.MarkupLine($"[grey]wrote[/] {Markup.Escape(csv)}, {Markup.Escape(markdown)}, {Markup.Escape(png)}");
            return Success;
        }
        catch (Exception e) when (e is FastDht.Engine.Client.DhtException or ArgumentException or IOException or FastDht.Engine.Cluster.ClusterConfigurationException or TimeoutException or OperationCanceledException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
    }

    private static async Task<LoadReport> RunWithProgressAsync(IAnsiConsole console, ProgressMode mode, LoadRunner runner, TimeSpan interval, CancellationToken stop)
    {
        var run = runner.RunAsync(stop);
        await ProgressDisplay.ShowAsync(console, mode, runner.Progress, run, interval).ConfigureAwait(false);
        return await run.ConfigureAwait(false);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"fastdht-loadgen: {message}");
        return Failure;
    }

    private static TimeSpan IntervalOf(ParseResult parse)
    {
        var interval = ParseDuration(parse.GetValue(Interval)!, "--interval");
        // 50 ms floor: a faster redraw would cost the load generator more CPU than it saves anyone.
        return interval < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : interval;
    }

    /// <summary>A duration in FastDht's one syntax (<see cref="DurationText"/>), or an ArgumentException naming the option.</summary>
    private static TimeSpan ParseDuration(string text, string option) =>
        // 30 days: longer than any run anyone waits for, far inside what a TimeSpan and the runner's arithmetic hold.
        DurationText.TryParse(text, TimeSpan.FromDays(30), out var value, out var problem) ? value : throw new ArgumentException($"{option}: {problem}");

    private static T[] SplitList<T>(string? text, Func<string, T> parse)
    {
        if (string.IsNullOrWhiteSpace(text))
            return [];
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new T[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            values[i] = parse(parts[i]);
        return values;
    }

    private static bool ContainsIgnoreCase(IReadOnlyList<string> names, string name)
    {
        foreach (var n in names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private static Option<T> Opt<T>(string name, string description, T defaultValue, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
    };
}
