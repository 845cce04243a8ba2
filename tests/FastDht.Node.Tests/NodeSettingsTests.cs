using System.Net;
using System.Reflection;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
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
              "txnMaxAttempts": 7,
              "txnTimeout": "2s",
              "txnLockLease": "3s",
              "lockExpiryScanInterval": "20ms",
              "store": "sharded",
            }
            """);
        var settings = Resolve("--config", path);
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
        Assert.Equal(7, o.TxnMaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), o.TxnTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.TxnLockLease);
        Assert.Equal(TimeSpan.FromMilliseconds(20), o.LockExpiryScanInterval);
        Assert.Equal("sharded", o.Store);
    }

    [Fact]
    public void Transaction_and_lock_settings_are_reachable_from_the_command_line()
    {
        var o = Resolve("127.0.0.1:7000", "--txn-max-attempts", "3", "--txn-timeout", "1500ms", "--txn-lock-lease", "1m", "--lock-expiry-scan-interval", "10ms").Options;

        Assert.Equal(3, o.TxnMaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), o.TxnTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), o.TxnLockLease);
        Assert.Equal(TimeSpan.FromMilliseconds(10), o.LockExpiryScanInterval);
    }

    [Fact]
    public void Max_memory_takes_a_size_and_defaults_to_no_limit()
    {
        Assert.Equal(0, Resolve("127.0.0.1:7000").Options.MaxMemory);
        Assert.Equal(100L << 20, Resolve("127.0.0.1:7000", "--max-memory", "100MiB").Options.MaxMemory);
        Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--max-memory", "-1"));
    }

    [Fact]
    public void Slot_move_duty_is_a_percent_and_defaults_to_a_fifth()
    {
        Assert.Equal(20, Resolve("127.0.0.1:7000").Options.SlotMoveDutyPercent);
        Assert.Equal(100, Resolve("127.0.0.1:7000", "--slot-move-duty-percent", "100").Options.SlotMoveDutyPercent);
        Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--slot-move-duty-percent", "0"));
        Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--slot-move-duty-percent", "101"));
    }

    [Fact]
    public void Environment_variables_sit_between_the_file_and_the_command_line()
    {
        var path = Write("""{ "members": ["127.0.0.1:7000"], "peerTimeout": "9s", "txnTimeout": "4s", "forwardTimeout": "7s" }""");
        var environment = new Dictionary<string, string?>
        {
            ["PEERTIMEOUT"] = "8s",   // FASTDHT_NODE_PEERTIMEOUT, any case
            ["txnTimeout"] = "6s",
            ["LOCKSTRATEGY"] = "no-wait",
        };
        var o = Resolve(environment, "--config", path, "--txn-timeout", "5s").Options;

        Assert.Equal(TimeSpan.FromSeconds(8), o.PeerTimeout);      // environment over file
        Assert.Equal(TimeSpan.FromSeconds(5), o.TxnTimeout);       // command line over environment
        Assert.Equal(TimeSpan.FromSeconds(7), o.ForwardTimeout);   // file over default
        Assert.Equal("no-wait", o.LockStrategy);
    }

    [Fact]
    public void Members_can_come_from_the_environment()
    {
        var o = Resolve(new Dictionary<string, string?> { ["MEMBERS"] = "127.0.0.1:7000,127.0.0.1:7001", ["NODEID"] = "1", ["CLUSTERSECRET"] = TestSecret }).Options;
        Assert.Equal(2, o.Members.Count);
        Assert.Equal(1, o.NodeId);
    }

    [Fact]
    public void Secrets_come_from_a_file_or_the_environment_and_never_from_the_command_line()
    {
        var secretFile = Write("  a secret read from a file  \n");
        var o = Resolve(new Dictionary<string, string?> { ["REQUIREPASS"] = "pw" }, "127.0.0.1:7000", "127.0.0.1:7001", "--node-id", "0", "--cluster-secret-file", secretFile).Options;
        Assert.NotNull(o.ClusterSecret);
        Assert.True(o.Users!.RequiresAuthentication);
        Assert.NotNull(o.Users.Authenticate("default", "pw"u8));

        var e = Assert.Throws<ClusterConfigurationException>(() => Resolve(new Dictionary<string, string?>(), "127.0.0.1:7000", "--cluster-secret", TestSecret));
        Assert.Contains("--cluster-secret is refused", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestSecret, e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ClusterConfigurationException>(() => Resolve(new Dictionary<string, string?>(), "127.0.0.1:7000", "--requirepass", "pw"));
        Assert.Contains("refused", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ClusterConfigurationException>(() => Resolve(new Dictionary<string, string?>(), "127.0.0.1:7000", "127.0.0.1:7001", "--node-id", "0"));
        Assert.Contains("needs a cluster secret", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ClusterConfigurationException>(() => Resolve(new Dictionary<string, string?> { ["CLUSTERSECRET"] = "short" }, "127.0.0.1:7000"));
        Assert.Contains("shorter than 16 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TLS_comes_from_PEM_files_and_needs_both_certificate_and_key()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=node", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_dir, "node.crt");
        var keyPath = Path.Combine(_dir, "node.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());

        var o = Resolve("127.0.0.1:7000", "--tls-cert-file", certPath, "--tls-key-file", keyPath, "--tls-ca-file", certPath, "--tls-peer-certificates", "true").Options;
        Assert.NotNull(o.Tls);
        Assert.True(o.Tls.Certificate.HasPrivateKey);
        Assert.Single(o.Tls.TrustedAuthorities!);
        Assert.True(o.Tls.RequirePeerCertificates);

        var e = Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--tls-cert-file", certPath));
        Assert.Contains("needs both a certificate", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--tls-cert-file", keyPath, "--tls-key-file", certPath));
        Assert.Contains("cannot load the TLS certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_socket_thread_count_comes_from_any_source_and_a_bad_one_names_it()
    {
        Assert.Null(Resolve("127.0.0.1:7000").SocketThreads);
        Assert.Equal(new SocketThreadCount(4, "--socket-threads"), Resolve("127.0.0.1:7000", "--socket-threads", "4").SocketThreads);
        Assert.Equal(new SocketThreadCount(Environment.ProcessorCount, "--socket-threads"), Resolve("127.0.0.1:7000", "--socket-threads", "cores").SocketThreads);
        Assert.Equal(new SocketThreadCount(2, "FASTDHT_NODE_SOCKETTHREADS"),
            Resolve(new Dictionary<string, string?> { ["CLUSTERSECRET"] = TestSecret, ["SOCKETTHREADS"] = "2" }, "127.0.0.1:7000").SocketThreads);
        var path = Write("""{ "members": ["127.0.0.1:7000"], "socketThreads": 1 }""");
        Assert.Equal(1, Resolve("--config", path).SocketThreads?.Threads);

        foreach (var bad in new[] { "0", "-1", "1025", "many" })
        {
            var e = Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--socket-threads", bad));
            Assert.StartsWith($"--socket-threads: '{bad}' is not a socket thread count (1..1024, or cores)", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_environment_variable_with_the_prefix_is_refused()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => Resolve(new Dictionary<string, string?> { ["PEER_TIMEOUT"] = "8s" }, "127.0.0.1:7000"));
        Assert.StartsWith("FASTDHT_NODE_PEER_TIMEOUT: unknown setting", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_value_names_the_source_it_came_from()
    {
        var path = Write("""{ "members": ["127.0.0.1:7000"], "txnLockLease": "soon" }""");
        var fromFile = Assert.Throws<ClusterConfigurationException>(() => Resolve("--config", path));
        Assert.StartsWith($"'txnLockLease' in {path}: 'soon' is not a duration", fromFile.Message, StringComparison.Ordinal);

        var fromEnvironment = Assert.Throws<ClusterConfigurationException>(() =>
            Resolve(new Dictionary<string, string?> { ["txnMaxAttempts"] = "many" }, "127.0.0.1:7000"));
        Assert.Equal("FASTDHT_NODE_TXNMAXATTEMPTS: 'many' is not a whole number", fromEnvironment.Message);

        var listInsteadOfValue = Write("""{ "members": ["127.0.0.1:7000"], "peerTimeout": ["5s"] }""");
        var e = Assert.Throws<ClusterConfigurationException>(() => Resolve("--config", listInsteadOfValue));
        Assert.Contains("'peerTimeout'", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected a single value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_cross_check_sees_bound_transaction_settings()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => Resolve("127.0.0.1:7000", "--txn-timeout", "40s"));
        Assert.Contains("must exceed the transaction timeout", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A NodeOptions property added later is reachable without touching the host, unless it is one the host resolves
    /// itself (or one only code can set): this fails when a property falls in neither group.
    /// </summary>
    [Fact]
    public void Every_node_option_is_bound_or_resolved_by_the_host()
    {
        string[] byHost = ["Members", "NodeId", "ListenEndPoint", "Limits", "Listeners", "ClusterSecret", "Users", "Tls"];
        string[] codeOnly = ["ListenSocket", "MemoryPool", "Plugins", "Self"];
        var bound = NodeOptionBinding.Settings.Select(s => s.Property.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var property in typeof(NodeOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Assert.True(bound.Contains(property.Name) || byHost.Contains(property.Name) || codeOnly.Contains(property.Name),
                $"NodeOptions.{property.Name} is neither bound nor resolved by fastdht-node");
        }
        Assert.Contains("TxnLockLease", bound);
    }

    /// <summary>docs/running.md lists every setting: its option, its config key and its default as --help shows it.</summary>
    [Fact]
    public void Every_setting_is_documented_with_its_default()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "running.md"));
        foreach (var setting in NodeOptionBinding.Settings)
        {
            var row = doc.Split('\n').FirstOrDefault(l => l.StartsWith($"| `{setting.Flag} ", StringComparison.Ordinal));
            Assert.True(row is not null, $"docs/running.md has no table row for {setting.Flag}");
            Assert.Contains($"`{setting.Key}`", row, StringComparison.Ordinal);
            Assert.Contains($"`{setting.DefaultText}`", row, StringComparison.Ordinal);
        }
        foreach (var key in NodeSettings.KnownKeys)
            Assert.Contains($"\"{key}\"", doc, StringComparison.Ordinal); // in the example file
    }

    [Fact]
    public void Command_line_overrides_the_file_and_the_rest_comes_from_the_file()
    {
        var path = Write("""{ "cluster": "from-file", "nodeId": 0, "members": ["127.0.0.1:7000", "127.0.0.1:7001"], "peerTimeout": "9s" }""");
        var settings = Resolve("--config", path, "--cluster", "from-cli", "--node-id", "1");

        Assert.Equal("from-cli", settings.Options.ClusterName);
        Assert.Equal(1, settings.Options.NodeId);
        Assert.Equal(TimeSpan.FromSeconds(9), settings.Options.PeerTimeout);
    }

    [Fact]
    public void Defaults_are_the_node_options_defaults()
    {
        var settings = Resolve("127.0.0.1:7000");
        var defaults = new NodeOptions { Members = settings.Options.Members, NodeId = 0 };

        Assert.Equal(0, settings.Options.NodeId); // the only member
        Assert.Null(settings.Options.ListenEndPoint);
        Assert.Equal(defaults.ClusterName, settings.Options.ClusterName);
        Assert.Equal(defaults.LockStrategy, settings.Options.LockStrategy);
        Assert.Same(defaults.Limits, settings.Options.Limits);
        Assert.Equal(defaults.HeartbeatInterval, settings.Options.HeartbeatInterval);
        Assert.Equal(defaults.DrainTimeout, settings.Options.DrainTimeout);
        Assert.Equal(defaults.TxnMaxAttempts, settings.Options.TxnMaxAttempts);
        Assert.Equal(defaults.TxnLockLease, settings.Options.TxnLockLease);
        Assert.Equal(defaults.LockExpiryScanInterval, settings.Options.LockExpiryScanInterval);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
    }

    [Fact]
    public void Node_id_is_inferred_from_a_listen_address_in_the_member_list()
    {
        var settings = Resolve("--members", "127.0.0.1:7000 127.0.0.1:7001", "--listen", "127.0.0.1:7001");
        Assert.Equal(1, settings.Options.NodeId);
    }

    [Fact]
    public void Node_id_is_required_when_it_cannot_be_inferred()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => Resolve("--members", "127.0.0.1:7000,127.0.0.1:7001"));
        Assert.Contains("--node-id", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_given_twice_are_refused()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() =>
            Resolve("--members", "127.0.0.1:7000", "127.0.0.1:7001"));
        Assert.Contains("not both", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Peer_timeout_not_above_the_heartbeat_is_refused_by_the_engine_check()
    {
        var e = Assert.Throws<ClusterConfigurationException>(() =>
            Resolve("127.0.0.1:7000", "--heartbeat-interval", "2s", "--peer-timeout", "1s"));
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

    /// <summary>Through the real command line, with an empty environment unless one is given.</summary>
    private const string TestSecret = "a test cluster secret of some length";

    /// <summary>Resolves with the cluster secret in the environment, as a multi-member cluster needs it.</summary>
    private static NodeSettings Resolve(params string[] args) => Resolve(new Dictionary<string, string?> { ["CLUSTERSECRET"] = TestSecret }, args);

    private static NodeSettings Resolve(Dictionary<string, string?> environment, params string[] args)
    {
        var parse = NodeCommandLine.Build().Parse(args);
        Assert.Empty(parse.Errors);
        var arguments = NodeCommandLine.Read(parse);
        return NodeSettings.Resolve(new NodeArguments
        {
            ConfigPath = arguments.ConfigPath,
            PositionalMembers = arguments.PositionalMembers,
            Options = arguments.Options,
            Environment = environment,
        });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastDht.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("FastDht.sln not found above " + AppContext.BaseDirectory);
    }

    private string Write(string text)
    {
        var path = Path.Combine(_dir, "node.json");
        File.WriteAllText(path, text);
        return path;
    }
}
