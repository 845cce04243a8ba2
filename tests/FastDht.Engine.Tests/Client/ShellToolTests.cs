using FastDht.Engine.Cluster;
using System.Diagnostics;
using FastDht.Engine.Plugins;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>Runs the real fastdht executable (dotnet exec of its built dll) against in-process nodes.</summary>
public sealed class ShellToolTests
{
    [Fact]
    public async Task Put_get_del_putnx_cluster_and_ping_work_against_a_real_cluster()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        string[] seed = ["--cluster", "test", "--node", cluster.Members.Get(1).Address];

        Assert.Equal((0, "OK"), await RunAsync([.. seed, "put", "colour", "blue"]));
        Assert.Equal((0, "blue"), await RunAsync([.. seed, "get", "colour"]));
        Assert.Equal((0, "(exists)"), await RunAsync([.. seed, "putnx", "colour", "red"]));
        Assert.Equal((0, "(stored)"), await RunAsync([.. seed, "putnx", "shape", "round"]));
        Assert.Equal((0, "(deleted)"), await RunAsync([.. seed, "del", "colour"]));
        Assert.Equal((0, "OK"), await RunAsync([.. seed, "put", "--ttl", "200ms", "brief", "x"]));
        await Bounded.UntilAsync(async () => (await RunAsync([.. seed, "get", "brief"])) == (1, "(nil)"), "the key put with --ttl to expire");
        Assert.Equal((0, "(stored)"), await RunAsync([.. seed, "putnx", "--ttl", "10m", "leased", "x"]));
        Assert.True(cluster[cluster.OwnerOf("leased"u8.ToArray())].Store.TryGet("leased"u8, out _, out var metadata) && metadata.HasExpiry);
        var refused = await RunAsync([.. seed, "put", "--ttl", "0ms", "bad", "x"]);
        Assert.Equal(2, refused.Item1);
        Assert.Equal("fastdht: --ttl: '0ms' is shorter than 1ms (a key that expires at once is a delete)", refused.Item2);
        Assert.Equal((1, "(nil)"), await RunAsync([.. seed, "get", "colour"]));
        Assert.Equal((0, "(nil)"), await RunAsync([.. seed, "del", "colour"]));

        var (code, text) = await RunAsync([.. seed, "cluster"]);
        Assert.Equal(0, code);
        Assert.Contains("3 members", text, StringComparison.Ordinal);
        foreach (var member in cluster.Members.Members)
            Assert.Contains($"node {member.NodeId}  {member.Address}  up  slots ", text, StringComparison.Ordinal);
        Assert.Contains("slots 0-5460", text, StringComparison.Ordinal);

        (code, text) = await RunAsync([.. seed, "ping"]);
        Assert.Equal(0, code);
        Assert.Equal(3, text.Split('\n').Count(l => l.EndsWith(" ms", StringComparison.Ordinal)));

        // The value written by the tool is what the nodes hold.
        Assert.True(cluster[cluster.OwnerOf("shape"u8.ToArray())].Store.TryGet("shape"u8, out var stored));
        Assert.Equal("round"u8.ToArray(), stored.ToArray());
    }

    [Fact]
    public async Task Mistakes_get_one_line_in_the_tools_own_words()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        string[] seed = ["--cluster", "test", "--node", cluster.Members.Get(0).Address];

        // One duration syntax, the node's: a unit is required, and the refusal says so (not a .NET type name).
        Assert.Equal((1, "(nil)"), await RunAsync([.. seed, "--timeout", "2s", "get", "nothing"]));
        Assert.Equal((2, "fastdht: --timeout: '2' is not a duration: a bare number is not taken, write 2s or 2ms (units: us, ms, s, m, h)"), await RunAsync([.. seed, "--timeout", "2", "get", "x"]));
        Assert.Equal((2, "fastdht: --ttl: '30' is not a duration: a bare number is not taken, write 30s or 30ms (units: us, ms, s, m, h)"), await RunAsync([.. seed, "put", "--ttl", "30", "k", "v"]));
        // An empty key, in the shell's words.
        Assert.Equal((2, "fastdht: KEY must not be empty"), await RunAsync([.. seed, "get", ""]));
        // delete is del, and an unknown command is one line, not one per word after it.
        Assert.Equal((0, "OK"), await RunAsync([.. seed, "put", "k", "v"]));
        Assert.Equal((0, "(deleted)"), await RunAsync([.. seed, "delete", "k"]));
        Assert.Equal((2, "fastdht: unknown command or argument 'remove' (see fastdht --help)"), await RunAsync([.. seed, "remove", "k"]));
    }

    [Fact]
    public async Task Save_and_bgsave_snapshot_every_member_and_say_so_and_a_node_without_a_data_directory_fails()
    {
        var root = Path.Combine(Path.GetTempPath(), "durability-shell-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var cluster = await TestCluster.StartAsync(2, o => o.DataDir = Path.Combine(root, $"node{o.NodeId}")))
            {
                string[] seed = ["--cluster", "test", "--node", cluster.Members.Get(0).Address];
                for (var i = 0; i < 20; i++)
                    Assert.Equal((0, "OK"), await RunAsync([.. seed, "put", $"k{i}", "v"]));
                var (code, text) = await RunAsync([.. seed, "save"]);
                Assert.Equal(0, code);
                var lines = text.Split('\n');
                Assert.Equal(2, lines.Length);
                Assert.Equal(20, lines.Sum(l => long.Parse(l.Split("saved ")[1].Split(' ')[0])));
                foreach (var member in cluster.Members.Members)
                    Assert.Single(Directory.GetFiles(Path.Combine(root, $"node{member.NodeId}"), "*.snap"));

                // A write on each node, so the next snapshot begins at a new log position (a new file) on each.
                foreach (var node in cluster.RunningNodes)
                {
                    var key = Enumerable.Range(0, 1000).Select(i => System.Text.Encoding.UTF8.GetBytes($"local{i}")).First(k => cluster.OwnerOf(k) == node.NodeId);
                    Assert.Equal(KeyOperationStatus.Ok, (await node.Context.PutAsync(key, "x"u8.ToArray())).Status);
                }
                (code, text) = await RunAsync([.. seed, "bgsave"]);
                Assert.Equal(0, code);
                Assert.Equal(2, text.Split('\n').Count(l => l.EndsWith("snapshot started", StringComparison.Ordinal)));
                foreach (var node in cluster.RunningNodes)
                    await Bounded.UntilAsync(() => Directory.GetFiles(Path.Combine(root, $"node{node.NodeId}"), "*.snap").Length == 2, "the background snapshot is in place");
            }

            await using var memoryOnly = await TestCluster.StartAsync(1);
            var (failed, message) = await RunAsync(["--cluster", "test", "--node", memoryOnly.Members.Get(0).Address, "save"]);
            Assert.NotEqual(0, failed);
            Assert.Contains("in memory only", message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Cluster_move_slots_and_rebalance_print_their_plan_on_a_dry_run_and_move_the_keys_otherwise()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        string[] seed = ["--cluster", "test", "--node", cluster.Members.Get(0).Address];
        for (var i = 0; i < 200; i++)
            Assert.Equal((0, "OK"), await RunAsync([.. seed, "put", $"k{i}", $"v{i}"]) is var r && r.Code == 0 ? (0, "OK") : r);

        // 5000-5600 spans nodes 0 and 1: two steps, nothing changes on a dry run.
        var (code, text) = await RunAsync([.. seed, "cluster", "move-slots", "--dry-run", "5000-5600", "2"]);
        Assert.Equal(0, code);
        Assert.Equal("move slots 5000-5460 from node 0 to node 2\nmove slots 5461-5600 from node 1 to node 2\n(dry run: 2 steps, 601 slots; nothing moved)", text);
        Assert.Equal(ClusterState.InitialEpoch, cluster[0].ClusterState.Epoch);

        (code, text) = await RunAsync([.. seed, "cluster", "move-slots", "5000-5600", "2"]);
        Assert.Equal(0, code);
        Assert.Contains("move slots 5000-5460 from node 0 to node 2: ", text, StringComparison.Ordinal);
        Assert.Contains("move slots 5461-5600 from node 1 to node 2: ", text, StringComparison.Ordinal);
        foreach (var node in cluster.RunningNodes)
            await Bounded.UntilAsync(() => node.ClusterState.Slots.OwnerOf(5000) == 2 && node.ClusterState.Slots.OwnerOf(5600) == 2, $"node {node.NodeId} to see the move");

        // Uneven now: the rebalance gives the 601 slots' worth back, as few as it can, and every key is still there.
        (code, text) = await RunAsync([.. seed, "cluster", "rebalance", "--dry-run"]);
        Assert.Equal(0, code);
        Assert.EndsWith("nothing moved)", text, StringComparison.Ordinal);
        (code, text) = await RunAsync([.. seed, "cluster", "rebalance"]);
        Assert.Equal(0, code);
        foreach (var node in cluster.RunningNodes)
        {
            await Bounded.UntilAsync(() => Counts(node.ClusterState).Max() - Counts(node.ClusterState).Min() <= 1, $"node {node.NodeId} to see the rebalance");
        }
        Assert.Equal((0, "nothing to move"), await RunAsync([.. seed, "cluster", "rebalance"]));
        for (var i = 0; i < 200; i++)
            Assert.Equal((0, $"v{i}"), await RunAsync([.. seed, "get", $"k{i}"]));
    }

    [Fact]
    public async Task Cluster_add_node_rebalances_onto_a_joined_node_and_remove_node_moves_its_slots_away_before_it_leaves()
    {
        await using var cluster = await TestCluster.StartAsync(3, spareNodes: 1);
        string[] seed = ["--cluster", "test", "--node", cluster.Members.Get(0).Address];
        for (var i = 0; i < 200; i++)
            Assert.Equal(0, (await RunAsync([.. seed, "put", $"k{i}", $"v{i}"])).Code);
        await cluster.StartNodeAsync(3);
        var address = cluster.EndPointOf(3).ToString();

        // A dry run prints the plan onto the new node (its quarter of the slots) and moves nothing.
        var (code, text) = await RunAsync([.. seed, "cluster", "add-node", "--dry-run", address]);
        Assert.Equal(0, code);
        Assert.Contains("to node 3", text, StringComparison.Ordinal);
        Assert.EndsWith("4096 slots; nothing moved)", text, StringComparison.Ordinal);
        Assert.Equal(0, cluster[0].ClusterState.Slots.Ranges.Where(r => r.NodeId == 3).Sum(r => r.Count));

        (code, text) = await RunAsync([.. seed, "cluster", "add-node", address]);
        Assert.Equal(0, code);
        Assert.Contains("is a member at epoch", text, StringComparison.Ordinal);
        foreach (var node in cluster.RunningNodes)
            await Bounded.UntilAsync(() => node.ClusterState.Members.Count == 4 && Counts(node.ClusterState).Min() == 4096, $"node {node.NodeId} to see node 3 with its share");

        // Removing it: a dry run says what would happen; then its slots go back and it leaves; every key is still there.
        (code, text) = await RunAsync([.. seed, "cluster", "remove-node", "--dry-run", "3"]);
        Assert.Equal(0, code);
        Assert.EndsWith("(dry run: then node 3 would leave the cluster)", text, StringComparison.Ordinal);
        (code, text) = await RunAsync([.. seed, "cluster", "remove-node", "3"]);
        Assert.Equal(0, code);
        Assert.Contains("node 3 left the cluster at epoch", text, StringComparison.Ordinal);
        for (var n = 0; n < 3; n++)
        {
            var node = cluster[n];
            await Bounded.UntilAsync(() => node.ClusterState.Members.Count == 3, $"node {n} to see node 3 gone");
        }
        for (var i = 0; i < 200; i++)
            Assert.Equal((0, $"v{i}"), await RunAsync([.. seed, "get", $"k{i}"]));
        (code, text) = await RunAsync([.. seed, "cluster", "remove-node", "3"]);
        Assert.Equal(2, code);
        Assert.Contains("not a member", text, StringComparison.Ordinal);
    }

    private static int[] Counts(ClusterState state) =>
        [.. state.Members.Members.Select(m => state.Slots.Ranges.Where(r => r.NodeId == m.NodeId).Sum(r => r.Count))];

    [Fact]
    public async Task Errors_are_one_line_with_a_non_zero_exit_code()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var (code, text) = await RunAsync(["--cluster", "wrong", "--node", cluster.Members.Get(0).Address, "get", "k"]);
        Assert.Equal(2, code);
        Assert.StartsWith("fastdht: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);

        (code, text) = await RunAsync(["get"]);
        Assert.Equal(2, code);
        Assert.StartsWith("fastdht: ", text, StringComparison.Ordinal);
    }

    /// <summary>Runs the tool; returns its exit code and its stdout and stderr, trimmed.</summary>
    private static async Task<(int Code, string Output)> RunAsync(string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(ToolPath());
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WithinAsync($"fastdht {string.Join(' ', args)}", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = (await stdout + await stderr).Replace("\r", "", StringComparison.Ordinal).Trim();
        return (process.ExitCode, output);
    }

    /// <summary>tools/fastdht/bin/(this configuration)/net10.0/fastdht.dll, found from the test's own output folder.</summary>
    private static string ToolPath()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = bin.Name;
        var configuration = bin.Parent!.Name;
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FastDht.sln")))
            root = root.Parent;
        Assert.NotNull(root);
        var path = Path.Combine(root.FullName, "tools", "fastdht", "bin", configuration, framework, "fastdht.dll");
        Assert.True(File.Exists(path), $"the fastdht tool is not built at {path}");
        return path;
    }
}
