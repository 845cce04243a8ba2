using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

public sealed class CommandLineTests
{
    private static LoadSettings Read(params string[] args)
    {
        var parse = LoadGenCommandLine.Build().Parse(args);
        Assert.Empty(parse.Errors);
        return LoadGenCommandLine.ReadSettings(parse);
    }

    [Fact]
    public void Defaults_start_a_local_three_node_cluster_with_the_dht_workload()
    {
        var s = Read();
        Assert.True(s.IsLocal);
        Assert.Equal(3, s.LocalNodes);
        Assert.Equal(WorkloadKind.Dht, s.Workload.Kind);
        Assert.Equal(0, s.Workload.Zipf);
        Assert.Equal(0.5, s.Workload.ReadShare);
        Assert.Equal("wait-die", s.LockStrategy);
        Assert.Null(s.OperationCount);
    }

    [Fact]
    public void Options_override_the_workload_defaults()
    {
        var s = Read("-w", "ycsb-b", "--keys", "5000", "--zipf", "0.5", "--value-size", "100", "-c", "2", "-p", "8",
            "-o", "1234", "--seed", "9", "--node", "10.0.0.1:7000", "--node", "10.0.0.2:7000");
        Assert.Equal(WorkloadKind.YcsbB, s.Workload.Kind);
        Assert.Equal(0.95, s.Workload.ReadShare);
        Assert.Equal(5000, s.Workload.KeyCount);
        Assert.Equal(0.5, s.Workload.Zipf);
        Assert.Equal(100, s.Workload.ValueSize);
        Assert.Equal(16, s.Workers);
        Assert.Equal(1234, s.OperationCount);
        Assert.Equal(9, s.Seed);
        Assert.Equal(["10.0.0.1:7000", "10.0.0.2:7000"], s.Nodes);
        Assert.False(s.IsLocal);
    }

    [Fact]
    public void The_clients_socket_engine_is_the_runtimes_unless_epoll_is_asked_for()
    {
        Assert.Equal(Engine.Transport.SocketEngineKind.Runtime, Read().SocketEngine);
        Assert.Equal(Engine.Transport.SocketEngineKind.Epoll, Read("--socket-engine", "epoll").SocketEngine);
        Assert.Equal(Engine.Transport.SocketEngineKind.Runtime, Read("--socket-engine", "Runtime").SocketEngine);
        Assert.NotEmpty(LoadGenCommandLine.Build().Parse(["--socket-engine", "iouring"]).Errors);
    }

    [Fact]
    public void Ycsb_defaults_to_zipf_0_99_and_txn_to_ten_keys()
    {
        Assert.Equal(0.99, Read("-w", "ycsbA").Workload.Zipf);
        var txn = Read("-w", "txn", "--read-share", "0.1");
        Assert.Equal(10, txn.Workload.KeysPerTransaction);
        Assert.Equal(0.1, txn.Workload.ReadShare);
    }

    [Theory]
    [InlineData("-w", "ycsb-z")]
    [InlineData("--read-share", "1.5")]
    [InlineData("-c", "0")]
    [InlineData("--duration", "-1")]
    [InlineData("--duration", "10")]
    [InlineData("--timeout", "5")]
    [InlineData("--rtt", "2")]
    public void Bad_settings_are_refused_with_a_message(string option, string value)
    {
        var parse = LoadGenCommandLine.Build().Parse([option, value]);
        Assert.Empty(parse.Errors);
        var e = Assert.Throws<ArgumentException>(() => LoadGenCommandLine.ReadSettings(parse));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    [Fact]
    public void Durations_take_a_unit_as_everywhere_in_FastDht()
    {
        var s = Read("-d", "1m", "--warmup", "0", "--timeout", "250ms", "--rtt", "500us");
        Assert.Equal(TimeSpan.FromMinutes(1), s.Duration);
        Assert.Equal(TimeSpan.Zero, s.Warmup);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.RequestTimeout);
        Assert.Equal(TimeSpan.FromMicroseconds(500), s.LinkRoundTrip);
        var defaults = Read();
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.Duration);
        Assert.Equal(TimeSpan.FromSeconds(2), defaults.Warmup);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.RequestTimeout);
    }

    [Fact]
    public void A_bare_number_of_seconds_is_refused_naming_the_option_and_the_syntax()
    {
        var e = Assert.Throws<ArgumentException>(() => LoadGenCommandLine.ReadSettings(LoadGenCommandLine.Build().Parse(["-d", "10"])));
        Assert.Equal("--duration: '10' is not a duration: a bare number is not taken, write 10s or 10ms (units: us, ms, s, m, h)", e.Message);
    }
}
