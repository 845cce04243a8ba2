using System.Diagnostics;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>Round trips with the real redis-cli (Debian's redis-tools, which .ci/run installs); skipped with the reason where it is absent.</summary>
public sealed class RedisCliTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    internal static readonly string? RedisCli = Find("redis-cli");

    [RedisCliFact]
    public async Task Redis_cli_in_cluster_mode_sets_and_gets_keys_on_every_node()
    {
        var port = RespCluster.RespOf(fixture.Cluster, 0).Port;
        for (var owner = 0; owner < 3; owner++)
        {
            var key = RespCluster.KeyOwnedBy(fixture.Cluster, owner, "cli");
            Assert.Equal("OK", await RunAsync("-p", port.ToString(), "-c", "SET", key, $"from cli {owner}"));
            Assert.Equal($"from cli {owner}", await RunAsync("-p", port.ToString(), "-c", "GET", key));
        }
        Assert.Equal("PONG", await RunAsync("-p", port.ToString(), "PING"));
        Assert.Contains("cluster_state:ok", await RunAsync("-p", port.ToString(), "CLUSTER", "INFO"));
        // RESP3 through redis-cli -3: a missing key reads as (nil) either way.
        Assert.Equal("", await RunAsync("-3", "-p", port.ToString(), "-c", "GET", "cli:missing:{x}"));
    }

    internal static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(RedisCli!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-h");
        start.ArgumentList.Add("127.0.0.1");
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WithinAsync("redis-cli to exit");
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }
        return (await output).TrimEnd('\n', '\r');
    }

    internal static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, where redis-cli is not installed.</summary>
public sealed class RedisCliFactAttribute : FactAttribute
{
    public RedisCliFactAttribute()
    {
        if (RedisCliTests.RedisCli is null)
            Skip = "redis-cli is not installed here (apt-get install redis-tools; .ci/run installs it)";
    }
}

/// <summary>A theory that is skipped, with the reason, where redis-cli is not installed.</summary>
public sealed class RedisCliTheoryAttribute : TheoryAttribute
{
    public RedisCliTheoryAttribute()
    {
        if (RedisCliTests.RedisCli is null)
            Skip = "redis-cli is not installed here (apt-get install redis-tools; .ci/run installs it)";
    }
}
