using System.Net;
using FastDht.Engine.Cluster;
using FastDht.NodeHost;
using Microsoft.Extensions.Logging;

namespace FastDht.Node.Tests;

/// <summary>How command-line values and the config file become NodeOptions, without starting anything.</summary>
public sealed class NodeSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastdht-settings-tests-").FullName;

    [Fact]
    public void Every_config_field_maps_to_the_node_options()
    {
        var path = Write("""
            {
              // comments and trailing commas are allowed
              "cluster": "prod",
              "nodeId": 2,
              "members": ["0=10.0.0.1:7000", "1=10.0.0.2:7000", "2=127.0.0.1:7002"],
              "listen": "0.0.0.0:7100",
              "maxFrameSize": "4MiB",
              "maxKeySize": 1024,
              "lockStrategy": "Wound-Wait",
              "logLevel": "debug",
              "heartbeatInterval": "250ms",
              "peerTimeout": "2.5s",
              "connectTimeout": "1s",
              "reconnectBaseDelay": "10ms",
              "reconnectMaxDelay": "1m",
              "forwardTimeout": "3s",
              "drainTimeout": "0s",
            }
            """);
        var settings = NodeSettings.Resolve(new NodeArguments { ConfigPath = path });
        var o = settings.Options;

        Assert.Equal("prod", o.ClusterName);
        Assert.Equal(2, o.NodeId);
        Assert.Equal("0=10.0.0.1:7000,1=10.0.0.2:7000,2=127.0.0.1:7002", o.Members.ToString());
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7100), o.ListenEndPoint);
        Assert.Equal(4 << 20, o.Limits.MaxFrameSize);
        Assert.Equal(1024, o.Limits.MaxKeySize);
        Assert.Equal("wound-wait", o.LockStrategy); // the registered spelling: peers compare names exactly
        Assert.Equal(LogLevel.Debug, settings.LogLevel);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), o.PeerTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(10), o.ReconnectBaseDelay);
        Assert.Equal(TimeSpan.FromMinutes(1), o.ReconnectMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(3), o.ForwardTimeout);
        Assert.Equal(TimeSpan.Zero, o.DrainTimeout);
    }

    [Fact]
    public void Command_line_overrides_the_file_and_the_rest_comes_from_the_file()
    {
        var path = Write("""{ "cluster": "from-file", "nodeId": 0, "members": ["127.0.0.1:7000", "127.0.0.1:7001"], "peerTimeout": "9s" }""");
        var settings = NodeSettings.Resolve(new NodeArguments { ConfigPath = path, Cluster = "from-cli", NodeId = "1" });

        Assert.Equal("from-cli", settings.Options.ClusterName);
        Assert.Equal(1, settings.Options.NodeId);
        Assert.Equal(TimeSpan.FromSeconds(9), settings.Options.PeerTimeout);
    }

    [Fact]
    public void Defaults_are_the_node_options_defaults()
    {
        var settings = NodeSettings.Resolve(new NodeArguments { PositionalMembers = ["127.0.0.1:7000"] });
        var defaults = new Engine.Node.NodeOptions { Members = settings.Options.Members, NodeId = 0 };

        Assert.Equal(0, settings.Options.NodeId); // the only member
        Assert.Null(settings.Options.ListenEndPoint);
        Assert.Equal(defaults.ClusterName, settings.Options.ClusterName);
        Assert.Equal(defaults.LockStrategy, settings.Options.LockStrategy);
        Assert.Same(defaults.Limits, settings.Options.Limits);
        Assert.Equal(defaults.HeartbeatInterval, settings.Options.HeartbeatInterval);
        Assert.Equal(defaults.DrainTimeout, settings.Options.DrainTimeout);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
    }

    [Fact]
    public void Node_id_is_inferred_from_a_listen_address_in_the_member_list()
    {
        var settings = NodeSettings.Resolve(new NodeArguments { Members = "127.0.0.1:7000 127.0.0.1:7001", Listen = "127.0.0.1:7001" });
        Assert.Equal(1, settings.Options.NodeId);
    }

    [Fact]
    public void Node_id_is_required_when_it_cannot_be_inferred()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => NodeSettings.Resolve(new NodeArguments { Members = "127.0.0.1:7000,127.0.0.1:7001" }));
        Assert.Contains("--node-id", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_given_twice_are_refused()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() =>
            NodeSettings.Resolve(new NodeArguments { Members = "127.0.0.1:7000", PositionalMembers = ["127.0.0.1:7001"] }));
        Assert.Contains("not both", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Peer_timeout_not_above_the_heartbeat_is_refused_by_the_engine_check()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() =>
            NodeSettings.Resolve(new NodeArguments { PositionalMembers = ["127.0.0.1:7000"], HeartbeatInterval = "2s", PeerTimeout = "1s" }));
        Assert.Contains("must exceed the heartbeat interval", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("64KiB", 64L << 10)]
    [InlineData("64k", 64L << 10)]
    [InlineData("2 MB", 2L << 20)]
    [InlineData("1GiB", 1L << 30)]
    public void Sizes_take_binary_units(string text, long expected) => Assert.Equal(expected, SettingParsers.Size(text, "--x"));

    [Theory]
    [InlineData("")]
    [InlineData("MiB")]
    [InlineData("-1")]
    [InlineData("12 parsecs")]
    [InlineData("1.5MiB")]
    public void Bad_sizes_name_their_source(string text)
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => SettingParsers.Size(text, "--max-frame-size"));
        Assert.StartsWith("--max-frame-size: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Frame_size_outside_the_protocol_bounds_is_refused()
    {
        Assert.Throws<ClusterConfigurationException>(() => SettingParsers.MaxFrameSize("4095", "--max-frame-size"));
        Assert.Throws<ClusterConfigurationException>(() => SettingParsers.MaxFrameSize("2GiB", "--max-frame-size"));
        Assert.Equal(4096, SettingParsers.MaxFrameSize("4KiB", "--max-frame-size"));
        Assert.Throws<ClusterConfigurationException>(() => SettingParsers.MaxKeySize("64KiB", "--max-key-size"));
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0s", 0)]
    public void Durations_take_units(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), SettingParsers.Duration(text, "--x"));

    [Theory]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("-1s")]
    [InlineData("5 fortnights")]
    [InlineData("25h")]
    public void Bad_durations_are_refused(string text) =>
        Assert.Throws<ClusterConfigurationException>(() => SettingParsers.Duration(text, "--peer-timeout"));

    [Theory]
    [InlineData("*:7000", "0.0.0.0:7000")]
    [InlineData("127.0.0.1:7001", "127.0.0.1:7001")]
    [InlineData("[::1]:7002", "[::1]:7002")]
    [InlineData("localhost:7003", "127.0.0.1:7003")]
    public void Listen_addresses(string text, string expected) =>
        Assert.Equal(IPEndPoint.Parse(expected), SettingParsers.ListenEndPoint(text, "--listen"));

    [Theory]
    [InlineData("WARN", LogLevel.Warning)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("Trace", LogLevel.Trace)]
    [InlineData("none", LogLevel.None)]
    public void Log_levels(string text, LogLevel expected) => Assert.Equal(expected, SettingParsers.LogLevel(text, "--log-level"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "node.json");
        File.WriteAllText(path, text);
        return path;
    }
}
