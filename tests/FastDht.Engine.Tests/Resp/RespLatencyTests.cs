using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// LATENCY over RESP, as redis-server 7.0 answers it: HISTOGRAM per command and subcommand, the monitor's events
/// (latency-monitor-threshold), RESET, GRAPH and DOCTOR, and the arity of HELP.
/// </summary>
public sealed class RespLatencyTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task The_histogram_holds_each_command_and_subcommand_that_ran()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "lat");
        await c.CallAsync("SET", key, "b");
        await c.CallAsync("SET", key, "d");
        await c.CallAsync("CLIENT", "ID");

        var set = await c.CallAsync("LATENCY", "HISTOGRAM", "set");
        Assert.StartsWith("*2\r\n$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*", set);
        // The container stands for its subcommands; the parent name itself has no histogram.
        var client = await c.CallAsync("LATENCY", "HISTOGRAM", "client");
        Assert.StartsWith("*2\r\n$9\r\nclient|id\r\n*4\r\n$5\r\ncalls\r\n:1\r\n", client);
        Assert.Equal("*0\r\n", await c.CallAsync("LATENCY", "HISTOGRAM", "blabla"));
        // CONFIG RESETSTAT counts itself, after the reset it made (Redis's "LATENCY HISTOGRAM with empty histogram").
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.StartsWith("*2\r\n$16\r\nconfig|resetstat\r\n*4\r\n$5\r\ncalls\r\n:1\r\n", await c.CallAsync("LATENCY", "HISTOGRAM", "config"));
        await c.CallAsync("SET", key, "d");
        var all = await c.CallAsync("LATENCY", "HISTOGRAM");
        Assert.Contains("$16\r\nconfig|resetstat\r\n", all);
        Assert.Contains("$3\r\nset\r\n", all);
        Assert.Contains("latency_percentiles_usec_config|resetstat:", await c.CallAsync("INFO", "latencystats"));
    }

    [Fact]
    public async Task A_slow_command_becomes_a_command_event_and_reset_forgets_it()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-monitor-threshold", "1"));
        Assert.Equal("*2\r\n$25\r\nlatency-monitor-threshold\r\n$1\r\n1\r\n", await c.CallAsync("CONFIG", "GET", "latency-monitor-threshold"));
        try
        {
            // A SET of 24 MB copies its value at least twice on the read loop: milliseconds on any machine, so it is a
            // "command" event (SET is not flagged fast). Other commands may make events of their own on a loaded
            // machine: only the SET's is looked for.
            var key = RespCluster.KeyOwnedBy(Cluster, 2, "lat-big");
            Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, new string('v', 24 << 20)));
            Assert.Equal(":1\r\n", await c.CallAsync("DEL", key));
            Assert.Contains("*4\r\n$7\r\ncommand\r\n:", await c.CallAsync("LATENCY", "LATEST"));
            var history = await c.CallAsync("LATENCY", "HISTORY", "command");
            Assert.NotEqual("*0\r\n", history);
            Assert.Contains("*2\r\n:", history);
            Assert.StartsWith("$", await c.CallAsync("LATENCY", "GRAPH", "command"));
            Assert.Contains("1. command: ", await c.CallAsync("LATENCY", "DOCTOR"));
            Assert.Equal(":0\r\n", await c.CallAsync("LATENCY", "RESET", "blabla"));
            Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-monitor-threshold", "0"));
            Assert.NotEqual(":0\r\n", await c.CallAsync("LATENCY", "RESET"));
            Assert.Equal("*0\r\n", await c.CallAsync("LATENCY", "LATEST"));
            Assert.Equal("*0\r\n", await c.CallAsync("LATENCY", "HISTORY", "command"));
            Assert.Equal("-ERR No samples available for event 'command'\r\n", await c.CallAsync("LATENCY", "GRAPH", "command"));
        }
        finally
        {
            await c.CallAsync("CONFIG", "SET", "latency-monitor-threshold", "0");
        }
    }

    [Fact]
    public async Task Help_takes_no_argument_and_a_negative_threshold_is_refused()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        Assert.Equal("-ERR wrong number of arguments for 'latency|help' command\r\n", await c.CallAsync("LATENCY", "HELP", "xxx"));
        Assert.StartsWith("*", await c.CallAsync("LATENCY", "HELP"));
        Assert.StartsWith("-ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold')",
            await c.CallAsync("CONFIG", "SET", "latency-monitor-threshold", "-1"));
    }
}
