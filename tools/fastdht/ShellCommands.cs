using System.CommandLine;
using System.Globalization;
using FastDht.Engine.Client;
using FastDht.Engine.Node;
using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Tools.Shell;

/// <summary>The fastdht command line: one subcommand per client operation, each a thin call into <see cref="DhtClient"/>.</summary>
/// <remarks>
/// Exit codes: 0 success; 1 "get" found no value; 2 the cluster could not be used (unreachable, refused, timed out,
/// server error) or an argument was rejected. Errors are one line on stderr, prefixed "fastdht: ".
/// </remarks>
internal static class ShellCommands
{
    public const int Success = 0;
    public const int NotFound = 1;
    public const int Failure = 2;

    private static readonly Option<string[]> Nodes = new("--node", "-n")
    {
        Description = "A node to connect through, host:port; repeat for more seeds.",
        DefaultValueFactory = static _ => ["127.0.0.1:7000"],
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<string> ClusterName = new("--cluster")
    {
        Description = "The cluster name the nodes were started with.",
        DefaultValueFactory = static _ => "fastdht",
        Recursive = true,
    };

    private static readonly Option<string?> User = new("--user")
    {
        Description = "The user to authenticate as, with the password from FASTDHT_PASSWORD (never on the command line). [default: default]",
        Recursive = true,
    };

    /// <summary>Where the password comes from: the environment, since a command line is visible to every user of the machine.</summary>
    public const string PasswordVariable = "FASTDHT_PASSWORD";

    private static readonly Option<string> TimeoutText = new("--timeout")
    {
        Description = "How long to wait for each answer: a number with a unit (500ms, 5s, 1m), as everywhere in FastDht.",
        HelpName = "DURATION",
        DefaultValueFactory = static _ => "5s",
        Recursive = true,
    };

    private static readonly Option<string?> TimeToLiveText = new("--ttl")
    {
        Description = "How long until the key expires: a number with a unit (1500ms, 30s, 10m, 24h; at least 1 ms); without it the key never expires.",
        HelpName = "DURATION",
    };

    private static readonly Option<bool> DryRun = new("--dry-run")
    {
        Description = "Print the plan and change nothing.",
    };

    private static readonly Option<bool> Forget = new("--forget")
    {
        Description = "The node died for good: take it out without moving its slots (each of its ranges goes to its first in-sync replica; refused where a range has none).",
    };

    /// <summary>How long a new node may take to join before add-node gives up (a join is one round trip and a state change: well under a second).</summary>
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long one step of a plan may take (it copies every key of its slots).</summary>
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromMinutes(30);

    public static RootCommand Build()
    {
        var root = new RootCommand("fastdht: put, get and delete keys in a FastDht cluster, and inspect it.");
        root.Options.Add(Nodes);
        root.Options.Add(ClusterName);
        root.Options.Add(User);
        root.Options.Add(TimeoutText);

        var key = new Argument<string>("KEY") { Description = "The key (UTF-8)." };
        var value = new Argument<string>("VALUE") { Description = "The value (UTF-8)." };

        var put = Command("put", "Store VALUE under KEY (replacing any value), expiring after --ttl seconds if given; prints OK.", [key, value], PutAsync);
        put.Options.Add(TimeToLiveText);
        root.Subcommands.Add(put);
        root.Subcommands.Add(Command("get", "Print the value under KEY; prints (nil) and exits 1 when absent.", [key], GetAsync));
        var del = Command("del", "Delete KEY; prints (deleted) or (nil) when it was absent. Also: delete.", [key], DeleteAsync);
        del.Aliases.Add("delete");
        root.Subcommands.Add(del);
        var putnx = Command("putnx", "Store VALUE under KEY only if KEY is absent, expiring after --ttl seconds if given; prints (stored) or (exists).", [key, value], PutIfAbsentAsync);
        putnx.Options.Add(TimeToLiveText);
        root.Subcommands.Add(putnx);
        var cluster = Command("cluster", "Print the members (up or down) and the slot ranges each owns.", [], ClusterAsync);
        var slots = new Argument<string>("SLOTS") { Description = "A slot (0-16383) or a range FIRST-LAST." };
        var target = new Argument<ushort>("TARGET") { Description = "The node id that is to own the slots." };
        var moveSlots = Command("move-slots", "Move SLOTS to node TARGET while clients keep using them (docs/elasticity.md); prints each step and what it moved.", [slots, target], MoveSlotsAsync);
        moveSlots.Options.Add(DryRun);
        cluster.Subcommands.Add(moveSlots);
        var rebalance = Command("rebalance", "Spread the slots evenly by count over every member, moving as few as possible, a few at a time; prints each step.", [], RebalanceAsync);
        rebalance.Options.Add(DryRun);
        cluster.Subcommands.Add(rebalance);
        var address = new Argument<string>("ADDR") { Description = "The new node's address, host:port (started with the members' addresses as its seeds)." };
        var addNode = Command("add-node", "Wait until the node at ADDR has joined (it joins by itself through its seeds), then rebalance the slots onto it; prints each step.", [address], AddNodeAsync);
        addNode.Options.Add(DryRun);
        cluster.Subcommands.Add(addNode);
        var nodeId = new Argument<ushort>("ID") { Description = "The id of the member to remove." };
        var removeNode = Command("remove-node", "Move every slot of member ID to the others (a few at a time), then take it out of the cluster; with --forget, take a dead node out at once (its slots go to their in-sync replicas).", [nodeId], RemoveNodeAsync);
        removeNode.Options.Add(DryRun);
        removeNode.Options.Add(Forget);
        cluster.Subcommands.Add(removeNode);
        root.Subcommands.Add(cluster);
        root.Subcommands.Add(Command("ping", "Ping every member and print its round-trip time.", [], PingAsync));
        root.Subcommands.Add(Command("save", "Make every member write a snapshot of its keys to its data directory; prints each when in place.", [], SaveAsync));
        root.Subcommands.Add(Command("bgsave", "Make every member start a snapshot in the background; prints each start.", [], BackgroundSaveAsync));
        return root;
    }

    private static Command Command(string name, string description, Argument[] arguments, Func<DhtClient, ParseResult, TextWriter, CancellationToken, Task<int>> body)
    {
        var command = new Command(name, description);
        foreach (var argument in arguments)
            command.Arguments.Add(argument);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<DhtClient, ParseResult, TextWriter, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try
        {
            var options = ClientOptions(parse, parse.GetValue(Nodes)!);
            await using var client = await DhtClient.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            return await body(client, parse, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DhtException or ArgumentException)
        {
            await error.WriteLineAsync($"fastdht: {e.Message}").ConfigureAwait(false);
            return Failure;
        }
    }

    /// <summary>The client's options from the shared options (cluster, timeout, user), seeded with <paramref name="seeds"/>.</summary>
    private static DhtClientOptions ClientOptions(ParseResult parse, IEnumerable<string> seeds)
    {
        var options = new DhtClientOptions
        {
            ClusterName = parse.GetValue(ClusterName)!,
            RequestTimeout = Duration(parse.GetValue(TimeoutText)!, "--timeout", TimeSpan.FromHours(24)),
            User = parse.GetValue(User),
            Password = Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } password ? password : null,
        };
        foreach (var seed in seeds)
            options.Seeds.Add(seed);
        return options;
    }

    /// <summary>KEY as given; an empty key is refused here, in the shell's words (the client's would name its parameter).</summary>
    private static string Key(ParseResult parse) =>
        parse.GetValue<string>("KEY") is { Length: > 0 } key ? key : throw new ArgumentException("KEY must not be empty");

    private static string Value(ParseResult parse) => parse.GetValue<string>("VALUE")!;

    /// <summary>--ttl as a time span; a value that is not a duration of at least 1 ms is an ArgumentException (printed, exit 2).</summary>
    private static TimeSpan? TimeToLive(ParseResult parse)
    {
        if (parse.GetValue(TimeToLiveText) is not { } text)
            return null;
        // A year: far beyond a cache entry's life, well inside what the protocol's millisecond expiry holds.
        var ttl = Duration(text, "--ttl", TimeSpan.FromDays(366));
        if (ttl < TimeSpan.FromMilliseconds(1))
            throw new ArgumentException($"--ttl: '{text}' is shorter than 1ms (a key that expires at once is a delete)");
        return ttl;
    }

    /// <summary>A duration in FastDht's one syntax (<see cref="DurationText"/>), or an ArgumentException naming the option.</summary>
    private static TimeSpan Duration(string text, string option, TimeSpan maximum) =>
        DurationText.TryParse(text, maximum, out var value, out var problem) ? value : throw new ArgumentException($"{option}: {problem}");

    private static async Task<int> PutAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        if (TimeToLive(parse) is { } ttl)
            await client.PutAsync(Key(parse), Value(parse), ttl, cancellationToken).ConfigureAwait(false);
        else
            await client.PutAsync(Key(parse), Value(parse), cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync("OK").ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> GetAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var value = await client.GetStringAsync(Key(parse), cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(value ?? "(nil)").ConfigureAwait(false);
        return value is null ? NotFound : Success;
    }

    private static async Task<int> DeleteAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var deleted = await client.DeleteAsync(Key(parse), cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(deleted ? "(deleted)" : "(nil)").ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> PutIfAbsentAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var stored = TimeToLive(parse) is { } ttl
            ? await client.PutIfAbsentAsync(Key(parse), Value(parse), ttl, cancellationToken).ConfigureAwait(false)
            : await client.PutIfAbsentAsync(Key(parse), Value(parse), cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(stored ? "(stored)" : "(exists)").ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> ClusterAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var view = await client.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"epoch {view.Epoch}, {view.Members.Count} members, as seen by node {view.ReportedBy}")).ConfigureAwait(false);
        foreach (var member in view.Members)
        {
            var slots = new List<string>();
            foreach (var range in view.Ranges)
            {
                if (range.NodeId == member.NodeId)
                    slots.Add(range.FirstSlot == range.LastSlot
                        ? range.FirstSlot.ToString(CultureInfo.InvariantCulture)
                        : string.Create(CultureInfo.InvariantCulture, $"{range.FirstSlot}-{range.LastSlot}"));
            }
            var state = member.State switch
            {
                MemberState.Up => "up",
                MemberState.Loading => "loading",
                _ => "down",
            };
            var owned = slots.Count == 0 ? "(no slots)" : "slots " + string.Join(",", slots);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"node {member.NodeId}  {member.Address}  {state}  {owned}")).ConfigureAwait(false);
        }
        return Success;
    }

    private static async Task<int> MoveSlotsAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var text = parse.GetValue<string>("SLOTS")!;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (!int.TryParse(dash < 0 ? text : text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(dash < 0 ? text : text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            throw new ArgumentException($"SLOTS must be a slot or a range FIRST-LAST of slots 0-16383; got '{text}'");
        var target = parse.GetValue<ushort>("TARGET");
        var view = await client.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        if (!view.Members.Any(m => m.NodeId == target))
            throw new ArgumentException($"node {target} is not a member (epoch {view.Epoch})");
        return await RunPlanAsync(client, SlotPlans.MoveSlots(view.Ranges, first, last, target), parse.GetValue(DryRun), output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RebalanceAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var view = await client.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        var members = view.Members.Select(m => m.NodeId).ToList();
        return await RunPlanAsync(client, SlotPlans.Rebalance(view.Ranges, members), parse.GetValue(DryRun), output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> AddNodeAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var address = parse.GetValue<string>("ADDR")!;
        if (!ClusterMember.TrySplitHostPort(address, out _, out _))
            throw new ArgumentException($"ADDR must be host:port; got '{address}'");
        ushort id;
        await using (var newcomer = await DhtClient.ConnectAsync(ClientOptions(parse, [address]), cancellationToken).ConfigureAwait(false))
            id = (await newcomer.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false)).ReportedBy;
        var view = await client.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        var dryRun = parse.GetValue(DryRun);
        if (!view.Members.Any(m => m.NodeId == id))
        {
            if (dryRun)
            {
                await output.WriteLineAsync($"node {id} ({address}) is not a member yet: it joins by itself through the members it was started with").ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync($"waiting for node {id} ({address}) to join").ConfigureAwait(false);
                var deadline = DateTime.UtcNow + JoinTimeout;
                while (!view.Members.Any(m => m.NodeId == id && m.State == MemberState.Up))
                {
                    if (DateTime.UtcNow > deadline)
                        throw new DhtException($"node {id} ({address}) did not join within {JoinTimeout.TotalSeconds:0} s: was it started with the members' addresses and the cluster secret? (its log says why)");
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                    view = await client.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        if (view.Members.Any(m => m.NodeId == id))
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"node {id} ({address}) is a member at epoch {view.Epoch}")).ConfigureAwait(false);
        var members = view.Members.Select(m => m.NodeId).Append(id).Distinct().ToList();
        return await RunPlanAsync(client, SlotPlans.Rebalance(view.Ranges, members), dryRun, output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RemoveNodeAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var id = parse.GetValue<ushort>("ID");
        var view = await client.GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        if (!view.Members.Any(m => m.NodeId == id))
            throw new ArgumentException($"node {id} is not a member (epoch {view.Epoch})");
        // Another member commits the removal: a node cannot take itself out (it would stop talking to the others first).
        var via = view.Members.FirstOrDefault(m => m.NodeId != id && m.State == MemberState.Up)
            ?? throw new DhtException($"no member other than node {id} is up to commit its removal");
        var dryRun = parse.GetValue(DryRun);
        if (parse.GetValue(Forget))
        {
            if (dryRun)
            {
                await output.WriteLineAsync($"(dry run: node {id} would be forgotten by node {via.NodeId}; each of its ranges goes to its first in-sync replica; nothing changed)").ConfigureAwait(false);
                return Success;
            }
            var forgotten = await client.RemoveNodeAsync(via.NodeId, id, forget: true, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"node {id} forgotten at epoch {forgotten}")).ConfigureAwait(false);
            return Success;
        }
        var rest = view.Members.Select(m => m.NodeId).Where(m => m != id).ToList();
        var plan = SlotPlans.Rebalance(view.Ranges, rest);
        var moved = await RunPlanAsync(client, plan, dryRun, output, cancellationToken).ConfigureAwait(false);
        if (moved != Success)
            return moved;
        if (dryRun)
        {
            await output.WriteLineAsync($"(dry run: then node {id} would leave the cluster)").ConfigureAwait(false);
            return Success;
        }
        var epoch = await client.RemoveNodeAsync(via.NodeId, id, forget: false, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"node {id} left the cluster at epoch {epoch}")).ConfigureAwait(false);
        return Success;
    }

    /// <summary>Prints each step; unless a dry run, runs it at the slots' owner and prints what it moved. Stops at the first step that fails (the slots of that step stay where they were).</summary>
    private static async Task<int> RunPlanAsync(DhtClient client, IReadOnlyList<SlotMovePlan> plan, bool dryRun, TextWriter output, CancellationToken cancellationToken)
    {
        if (plan.Count == 0)
        {
            await output.WriteLineAsync("nothing to move").ConfigureAwait(false);
            return Success;
        }
        foreach (var step in plan)
        {
            if (dryRun)
            {
                await output.WriteLineAsync(step.ToString()).ConfigureAwait(false);
                continue;
            }
            var report = await client.MoveSlotsAsync(step.From, step.FirstSlot, step.LastSlot, step.To, MoveTimeout, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{step}: {report.KeysCopied} keys in {report.TotalTime.TotalMilliseconds:0} ms (writes paused {report.PausedTime.TotalMilliseconds:0} ms)")).ConfigureAwait(false);
        }
        if (dryRun)
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"(dry run: {plan.Count} steps, {plan.Sum(p => p.Count)} slots; nothing moved)")).ConfigureAwait(false);
        return Success;
    }

    private static Task<int> SaveAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken) =>
        SnapshotEveryMemberAsync(client, output, wait: true, cancellationToken);

    private static Task<int> BackgroundSaveAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken) =>
        SnapshotEveryMemberAsync(client, output, wait: false, cancellationToken);

    /// <summary>One snapshot per member, one after the other (each node writes its own keys; together they are the cluster's).</summary>
    private static async Task<int> SnapshotEveryMemberAsync(DhtClient client, TextWriter output, bool wait, CancellationToken cancellationToken)
    {
        var failed = 0;
        foreach (var member in client.Cluster.Members)
        {
            string line;
            try
            {
                var snapshot = await client.SnapshotAsync(member.NodeId, wait, cancellationToken).ConfigureAwait(false);
                line = snapshot is null
                    ? $"node {member.NodeId}  {member.Address}  snapshot started"
                    : string.Create(CultureInfo.InvariantCulture, $"node {member.NodeId}  {member.Address}  saved {snapshot.Keys} keys ({snapshot.Bytes} bytes) at {snapshot.CompletedAt:yyyy-MM-ddTHH:mm:ssZ}");
            }
            catch (DhtException e)
            {
                failed++;
                line = $"node {member.NodeId}  {member.Address}  failed: {e.Message}";
            }
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }
        return failed == 0 ? Success : Failure;
    }

    private static async Task<int> PingAsync(DhtClient client, ParseResult parse, TextWriter output, CancellationToken cancellationToken)
    {
        var failed = 0;
        foreach (var member in client.Cluster.Members)
        {
            string line;
            try
            {
                var rtt = await client.PingAsync(member.NodeId, cancellationToken).ConfigureAwait(false);
                line = string.Create(CultureInfo.InvariantCulture, $"node {member.NodeId}  {member.Address}  {rtt.TotalMilliseconds:0.000} ms");
            }
            catch (DhtException e)
            {
                failed++;
                line = $"node {member.NodeId}  {member.Address}  failed: {e.Message}";
            }
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }
        return failed == 0 ? Success : Failure;
    }
}
