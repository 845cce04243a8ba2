using System.Diagnostics;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>redis-py (Debian's python3-redis, which .ci/run installs) against one node of a 3-node cluster; skipped with the reason where python3 or the module is absent.</summary>
public sealed class RedisPyTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    internal static readonly string? Python = FindRedisPy();

    [RedisPyFact]
    public async Task Default_pipeline_and_watch_run_as_transactions_over_keys_on_every_node()
    {
        var cluster = fixture.Cluster;
        var script = Path.Combine(AppContext.BaseDirectory, "Resp", "Python", "transactions.py");
        var output = await RunAsync(script, RespCluster.RespOf(cluster, 1).Port.ToString(),
            RespCluster.KeyOwnedBy(cluster, 0, "py"), RespCluster.KeyOwnedBy(cluster, 1, "py"), RespCluster.KeyOwnedBy(cluster, 2, "py"));
        Assert.Equal("ok", output);
    }

    [RedisPyFact]
    public async Task Expiry_scan_iter_cross_node_delete_and_client_info_work_from_redis_py()
    {
        var cluster = fixture.Cluster;
        var script = Path.Combine(AppContext.BaseDirectory, "Resp", "Python", "keyspace.py");
        var output = await RunAsync(script, RespCluster.RespOf(cluster, 0).Port.ToString(),
            RespCluster.KeyOwnedBy(cluster, 0, "pyks"), RespCluster.KeyOwnedBy(cluster, 1, "pyks"), RespCluster.KeyOwnedBy(cluster, 2, "pyks"));
        Assert.Equal("ok", output);
    }

    [RedisPyFact]
    public async Task Eval_register_script_and_script_commands_work_from_redis_py()
    {
        var cluster = fixture.Cluster;
        var script = Path.Combine(AppContext.BaseDirectory, "Resp", "Python", "scripting.py");
        var output = await RunAsync(script, RespCluster.RespOf(cluster, 0).Port.ToString(),
            RespCluster.KeyOwnedBy(cluster, 1, "pyev"), RespCluster.KeyOwnedBy(cluster, 2, "pyev"));
        Assert.Equal("ok", output);
    }

    [RedisPyFact]
    public async Task Collections_work_from_redis_py_on_keys_of_every_node()
    {
        var cluster = fixture.Cluster;
        var script = Path.Combine(AppContext.BaseDirectory, "Resp", "Python", "datatypes.py");
        var output = await RunAsync(script, RespCluster.RespOf(cluster, 0).Port.ToString(),
            RespCluster.KeyOwnedBy(cluster, 0, "pyc"), RespCluster.KeyOwnedBy(cluster, 1, "pyc"), RespCluster.KeyOwnedBy(cluster, 2, "pyc"));
        Assert.Equal("ok", output);
    }

    private static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Python!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WithinAsync("the redis-py script to exit");
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }
        return (await output).TrimEnd('\n', '\r') + await errors;
    }

    /// <summary>The first python3 on PATH (or Debian's /usr/bin/python3, where a pyenv shim comes first) that can import redis.</summary>
    private static string? FindRedisPy()
    {
        var candidates = new List<string>();
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            candidates.Add(Path.Combine(dir, "python3"));
        candidates.Add("/usr/bin/python3");
        foreach (var python in candidates)
        {
            if (!File.Exists(python))
                continue;
            try
            {
                using var probe = Process.Start(new ProcessStartInfo(python, ["-c", "import redis"]) { RedirectStandardError = true })!;
                probe.StandardError.ReadToEnd();
                if (probe.WaitForExit(20_000) && probe.ExitCode == 0)
                    return python;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not runnable: try the next one.
            }
        }
        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, where python3 or redis-py is not installed.</summary>
public sealed class RedisPyFactAttribute : FactAttribute
{
    public RedisPyFactAttribute()
    {
        if (RedisPyTests.Python is null)
            Skip = "python3 with redis-py is not installed here (apt-get install python3-redis; .ci/run installs it)";
    }
}
