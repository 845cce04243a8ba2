using System.Net;
using System.Net.Sockets;

namespace FastDht.Node.Tests;

/// <summary>Bad configuration, run through the real executable: exit code 2, nothing started, one line on stderr saying why.</summary>
public sealed class ConfigurationErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastdht-node-tests-").FullName;

    [Fact]
    public async Task Port_in_use_is_reported_with_the_address()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;

        await AssertRejectedAsync(
            $"cannot listen on 127.0.0.1:{port}: the address is already in use",
            "--members", $"0=127.0.0.1:{port},1=127.0.0.1:1", "--node-id", "0", "--cluster-secret-file", ProcessCluster.SecretFile);
    }

    [Fact]
    public async Task A_taken_resp_port_stops_the_node_before_it_listens_anywhere()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var native = FreePorts.Reserve(1)[0];

        await AssertRejectedAsync($"cannot listen for resp on 127.0.0.1:{port}", "--members", $"0=127.0.0.1:{native}", "--resp", $"127.0.0.1:{port}");
    }

    [Fact]
    public async Task A_taken_status_endpoint_port_stops_the_node_before_it_starts()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var native = FreePorts.Reserve(1)[0];

        await AssertRejectedAsync($"cannot serve the status endpoint on 127.0.0.1:{port}: the address is already in use", "--members", $"0=127.0.0.1:{native}", "--http", $"127.0.0.1:{port}");
    }

    [Fact]
    public Task Self_not_in_the_member_list_joins_and_needs_its_own_address() =>
        AssertRejectedAsync("node 7 is not in the member list (0=127.0.0.1:7000,1=127.0.0.1:7001), so it joins through it, and needs its own address: give AdvertisedAddress (--advertised-address host:port) or a specific ListenEndPoint (--listen)",
            "--members", "127.0.0.1:7000,127.0.0.1:7001", "--node-id", "7");

    [Fact]
    public Task Join_on_meet_for_a_member_of_the_list() =>
        AssertRejectedAsync("node 0 is in the member list (0=127.0.0.1:7000,1=127.0.0.1:7001): JoinOnMeet (--join-on-meet) is for a node that joins, whose id is not in the list",
            "--members", "127.0.0.1:7000,127.0.0.1:7001", "--node-id", "0", "--join-on-meet", "true");

    [Fact]
    public Task Duplicate_address() =>
        AssertRejectedAsync("duplicate address 127.0.0.1:7000 in the member list",
            "127.0.0.1:7000", "127.0.0.1:7000", "--node-id", "0");

    [Fact]
    public Task Duplicate_node_id() =>
        AssertRejectedAsync("duplicate node id 1: 127.0.0.1:7000 and 127.0.0.1:7001",
            "--members", "1=127.0.0.1:7000,1=127.0.0.1:7001", "--node-id", "1");

    [Fact]
    public Task Missing_config_file() =>
        AssertRejectedAsync("cannot read config file /nonexistent/fastdht.json: no such file", "--config", "/nonexistent/fastdht.json");

    [Fact]
    public Task Config_path_that_is_a_directory() =>
        AssertRejectedAsync($"cannot read config file {_dir}: it is a directory", "--config", _dir);

    [Fact]
    public Task Malformed_json()
    {
        var path = Write("bad.json", "{\n  \"nodeId\": 0,\n  \"members\": [\"127.0.0.1:7000\"\n}");
        return AssertRejectedAsync($"config file {path}: malformed JSON at line 4", "--config", path);
    }

    [Fact]
    public Task Unknown_config_field()
    {
        var path = Write("typo.json", "{ \"nodeId\": 0, \"members\": [\"127.0.0.1:7000\"], \"heartbeat\": \"1s\" }");
        return AssertRejectedAsync($"config file {path}: unknown field 'heartbeat'", "--config", path);
    }

    [Fact]
    public Task Unknown_lock_strategy() =>
        AssertRejectedAsync("--lock-strategy: unknown lock strategy 'optimistic' (known: detect, no-wait, ordered, timeout, wait-die, wound-wait)",
            "127.0.0.1:7000", "--lock-strategy", "optimistic");

    [Fact]
    public Task Bad_transaction_timeout() =>
        AssertRejectedAsync("--txn-timeout: '5' is not a duration: a bare number is not taken, write 5s or 5ms (units: us, ms, s, m, h)",
            "127.0.0.1:7000", "--txn-timeout", "5");

    [Fact]
    public Task Lock_lease_not_above_the_transaction_timeout() =>
        AssertRejectedAsync("must exceed the transaction timeout",
            "127.0.0.1:7000", "--txn-lock-lease", "1s", "--txn-timeout", "2s");

    [Fact]
    public Task Unknown_option() =>
        AssertRejectedAsync("unknown option '--bogus'", "127.0.0.1:7000", "--bogus");

    [Fact]
    public Task Unknown_option_with_a_value_is_not_taken_for_the_member_list() =>
        AssertRejectedAsync("fastdht-node: unknown option '--data-directory' (see fastdht-node --help)",
            "--members", "0=127.0.0.1:7000", "--data-directory", "/var/lib/fastdht");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task AssertRejectedAsync(string expected, params string[] args)
    {
        var (code, stdout, stderr) = await ToolProcess.RunAsync(ToolPaths.NodeDll, args);
        var why = $"stdout: {string.Join(" | ", stdout)}; stderr: {string.Join(" | ", stderr)}";
        Assert.True(code == 2, $"exit code {code}, expected 2; {why}");
        var line = Assert.Single(stderr);
        Assert.StartsWith("fastdht-node: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        // Nothing started: no listener (the transport's "Listening on") and no node ("... listening on").
        Assert.DoesNotContain(stdout, l => l.Contains("listening on", StringComparison.OrdinalIgnoreCase));
    }
}
