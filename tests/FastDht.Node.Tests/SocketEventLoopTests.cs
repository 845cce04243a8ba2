using FastDht.NodeHost;

namespace FastDht.Node.Tests;

/// <summary>The node host turns the runtime's inline socket completions on, unless the operator already chose.</summary>
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
        // evidence is the runtime's own threads: with inline completions it runs one socket event thread per core,
        // without them one per 30 cores (so on a single-core machine this cannot tell the two apart).
        if (!OperatingSystem.IsLinux())
            return; // the switch and /proc are Linux's
        // Two nodes: the start waits for their mesh, so both have made sockets (the socket engine starts with the first).
        await using var cluster = await ProcessCluster.StartAsync(2);
        var pid = cluster[0].Id;
        var names = Directory.GetDirectories($"/proc/{pid}/task")
            .Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim())
            .ToList();
        Assert.True(names.Count(name => name == ".NET Sockets") == Environment.ProcessorCount, string.Join(", ", names));
    }
}
