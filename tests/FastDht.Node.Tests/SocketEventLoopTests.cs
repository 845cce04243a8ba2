using FastDht.NodeHost;

namespace FastDht.Node.Tests;

/// <summary>The node host turns the runtime's inline socket completions on and sets its event-thread count, unless the operator already chose.</summary>
public sealed class SocketEventLoopTests
{
    [Fact]
    public void Inline_completions_are_chosen_when_the_environment_is_silent()
    {
        Assert.Equal("1", SocketEventLoop.Choose(null));
        Assert.Equal("1", SocketEventLoop.Choose(""));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void An_operators_value_is_kept(string value) => Assert.Equal(value, SocketEventLoop.Choose(value));

    [Fact]
    public async Task A_started_node_process_runs_with_inline_socket_completions()
    {
        // The host sets the variable for its own process; /proc shows the process's initial environment only, so the
        // evidence is the runtime's own threads: with inline completions its default is one socket event thread per
        // core, without them one per 30 cores (so on a single-core machine this cannot tell the two apart). The node
        // names a count of its own unless the runtime's variable is set: a value the runtime cannot parse leaves the
        // count to the runtime's default, which is what this reads.
        if (!OperatingSystem.IsLinux())
            return; // the switch and /proc are Linux's
        var environment = new Dictionary<string, string> { [SocketEventLoop.ThreadCountVariable] = "runtime-default" };
        // Two nodes: the start waits for their mesh, so both have made sockets (the socket engine starts with the first).
        await using var cluster = await ProcessCluster.StartWithEnvironmentAsync(2, environment);
        Assert.Equal(Environment.ProcessorCount, CountEventThreads(cluster[0].Id));
    }

    [Fact]
    public void The_node_option_wins_then_the_runtime_variable_then_one_thread()
    {
        Assert.Equal(("3", "--socket-threads"), SocketEventLoop.ChooseThreads(new SocketThreadCount(3, "--socket-threads"), "2"));
        Assert.Equal(("2", SocketEventLoop.ThreadCountVariable), SocketEventLoop.ChooseThreads(null, "2"));
        Assert.Equal(("1", "the default"), SocketEventLoop.ChooseThreads(null, null));
        Assert.Equal(("1", "the default"), SocketEventLoop.ChooseThreads(null, ""));
    }

    [Theory]
    [InlineData("3", null, null, "Socket event threads: 3 running (3 from --socket-threads)")]
    [InlineData(null, "FASTDHT_NODE_SOCKETTHREADS", "2", "Socket event threads: 2 running (2 from FASTDHT_NODE_SOCKETTHREADS)")]
    [InlineData("3", "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", "2", "Socket event threads: 3 running (3 from --socket-threads)")]
    [InlineData(null, null, null, "Socket event threads: 1 running (1 from the default)")]
    public async Task The_socket_thread_count_reaches_the_runtime(string? option, string? variable, string? value, string line)
    {
        // The count the node logs is counted in /proc (the runtime's threads by name), so this fails unless the setting
        // reached the runtime before its first socket.
        if (!OperatingSystem.IsLinux())
            return;
        var environment = variable is null ? null : new Dictionary<string, string> { [variable] = value! };
        string[] args = option is null ? [] : ["--socket-threads", option];
        await using var cluster = await ProcessCluster.StartWithEnvironmentAsync(1, environment, args);
        await cluster[0].WaitForLineAsync(line);
        var expected = int.Parse(line.Split(' ')[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, CountEventThreads(cluster[0].Id));
    }

    private static int CountEventThreads(int pid) => Directory.GetDirectories($"/proc/{pid}/task")
        .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
}
