using System.Text.RegularExpressions;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// INFO errorstats, total_error_replies, commandstats' failed_calls and rejected_calls, and latency tracking (INFO
/// latencystats), as Redis 7.0.15 counts them; CONFIG RESETSTAT clears them. Tests of this class run one after another
/// on their own cluster, so the node-wide counts are theirs alone.
/// </summary>
public sealed class RespErrorStatsTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private async Task<RespTestClient> ConnectAsync(int node = 0) => await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));

    /// <summary>The value of <paramref name="field"/> in INFO <paramref name="section"/>, or null when it is not there.</summary>
    private static async Task<string?> InfoFieldAsync(RespTestClient c, string section, string field)
    {
        var info = await c.CallAsync("INFO", section);
        var match = Regex.Match(info, "\r\n" + Regex.Escape(field) + ":([^\r]*)\r\n");
        return match.Success ? match.Groups[1].Value : null;
    }

    private static Task<string?> ErrorStatAsync(RespTestClient c, string prefix) => InfoFieldAsync(c, "errorstats", "errorstat_" + prefix);

    private static Task<string?> CommandStatAsync(RespTestClient c, string command) => InfoFieldAsync(c, "commandstats", "cmdstat_" + command);

    private static async Task<long> TotalErrorsAsync(RespTestClient c) => long.Parse((await InfoFieldAsync(c, "stats", "total_error_replies"))!);

    [Fact]
    public async Task Error_replies_are_counted_by_prefix_and_by_command_and_reset_by_resetstat()
    {
        await using var c = await ConnectAsync();
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal(0, await TotalErrorsAsync(c));
        Assert.Null(await ErrorStatAsync(c, "ERR"));

        // Refused before running (arity, unknown command): rejected, not failed; an unknown command counts for no command.
        Assert.StartsWith("-ERR wrong number of arguments", await c.CallAsync("SET", "es:k"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR unknown command", await c.CallAsync("NOSUCHCOMMAND"), StringComparison.Ordinal);
        Assert.Equal("count=2", await ErrorStatAsync(c, "ERR"));
        Assert.Matches("^calls=0,usec=\\d+,usec_per_call=[0-9.]+,rejected_calls=1,failed_calls=0$", await CommandStatAsync(c, "set"));

        // Ran and failed: keys of every node (those of the others are answered through their owner's reply).
        for (var i = 0; i < 12; i++)
            Assert.Equal("+OK\r\n", await c.CallAsync("SET", $"es:str:{i}", "text"));
        for (var i = 0; i < 12; i++)
            Assert.StartsWith("-WRONGTYPE", await c.CallAsync("LPUSH", $"es:str:{i}", "x"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR value is not an integer", await c.CallAsync("INCR", "es:str:0"), StringComparison.Ordinal);
        Assert.Equal("count=12", await ErrorStatAsync(c, "WRONGTYPE"));
        Assert.Equal("count=3", await ErrorStatAsync(c, "ERR"));
        Assert.Matches("^calls=12,.*,rejected_calls=0,failed_calls=12$", await CommandStatAsync(c, "lpush"));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=1$", await CommandStatAsync(c, "incr"));
        Assert.Matches("^calls=12,.*,rejected_calls=1,failed_calls=0$", await CommandStatAsync(c, "set"));
        Assert.Equal(15, await TotalErrorsAsync(c));

        // A reply that is no error counts nothing, even when its value starts with '-'.
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "es:minus", "-ERR not an error"));
        Assert.Equal("$17\r\n-ERR not an error\r\n", await c.CallAsync("GET", "es:minus"));
        Assert.Equal(15, await TotalErrorsAsync(c));

        // An aborted EXEC: the refused command is rejected, EXEC failed with EXECABORT.
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.StartsWith("-ERR wrong number of arguments", await c.CallAsync("GET"), StringComparison.Ordinal);
        Assert.StartsWith("-EXECABORT", await c.CallAsync("EXEC"), StringComparison.Ordinal);
        Assert.Equal("count=1", await ErrorStatAsync(c, "EXECABORT"));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=1$", await CommandStatAsync(c, "exec"));
        Assert.Equal(17, await TotalErrorsAsync(c));

        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal(0, await TotalErrorsAsync(c));
        Assert.Null(await ErrorStatAsync(c, "ERR"));
        Assert.Null(await ErrorStatAsync(c, "WRONGTYPE"));
        Assert.Null(await CommandStatAsync(c, "lpush"));
        // errorstats is one of INFO's default sections, as in Redis 7.
        Assert.Contains("# Errorstats\r\n", await c.CallAsync("INFO"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_inside_exec_counts_for_its_command_and_a_scripts_error_once()
    {
        await using var c = await ConnectAsync();
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "es:txn"); // the transaction runs through another node's locks
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", key, "1"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("LPUSH", key, "x"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("INCR", key));
        var exec = await c.CallAsync("EXEC");
        Assert.StartsWith("*3\r\n+OK\r\n-WRONGTYPE", exec, StringComparison.Ordinal);
        Assert.EndsWith(":2\r\n", exec, StringComparison.Ordinal);
        Assert.Equal("count=1", await ErrorStatAsync(c, "WRONGTYPE"));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=1$", await CommandStatAsync(c, "lpush"));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=0$", await CommandStatAsync(c, "exec"));
        Assert.Equal(1, await TotalErrorsAsync(c));

        // A script's own error: counted under its first word; the script failed.
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal("-MY_ERR_CODE custom msg\r\n", await c.CallAsync("EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0"));
        Assert.Equal("count=1", await ErrorStatAsync(c, "MY_ERR_CODE"));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=1$", await CommandStatAsync(c, "eval"));

        // An error a command of the script answered, raised by redis.call: counted once, where the command answered it.
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.StartsWith("-WRONGTYPE", await c.CallAsync("EVAL", "return redis.call('lpush', KEYS[1], 'x')", "1", key), StringComparison.Ordinal);
        Assert.Equal("count=1", await ErrorStatAsync(c, "WRONGTYPE"));
        Assert.Equal(1, await TotalErrorsAsync(c));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=1$", await CommandStatAsync(c, "eval"));

        // Caught with redis.pcall: still counted (the command answered it), and the script did not fail.
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "local t = redis.pcall('lpush', KEYS[1], 'x') if t['err'] then return 1 end return 0", "1", key));
        Assert.Equal("count=1", await ErrorStatAsync(c, "WRONGTYPE"));
        Assert.Equal(1, await TotalErrorsAsync(c));
        Assert.Matches("^calls=1,.*,rejected_calls=0,failed_calls=0$", await CommandStatAsync(c, "eval"));

        // An error with no code of its own counts as ERR, as in Redis.
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal("-ERR\r\n", await c.CallAsync("EVAL", "return redis.error_reply('')", "0"));
        Assert.Equal("count=1", await ErrorStatAsync(c, "ERR"));
    }

    [Fact]
    public async Task Made_up_error_prefixes_stop_being_kept_past_128_until_resetstat()
    {
        await using var c = await ConnectAsync();
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        for (var i = 0; i < 130; i++)
            Assert.Equal($"-CODE{i} x\r\n", await c.CallAsync("EVAL", $"return redis.error_reply('CODE{i} x')", "0"));
        var info = await c.CallAsync("INFO", "errorstats");
        // The 129th new prefix emptied the table; the 130th was not kept.
        Assert.Contains("errorstat_ERRORSTATS_DISABLED:count=1\r\n", info, StringComparison.Ordinal);
        Assert.DoesNotContain("errorstat_CODE", info, StringComparison.Ordinal);
        Assert.Equal(130, await TotalErrorsAsync(c));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal("-CODE1 x\r\n", await c.CallAsync("EVAL", "return redis.error_reply('CODE1 x')", "0"));
        Assert.Equal("count=1", await ErrorStatAsync(c, "CODE1"));
        Assert.Null(await ErrorStatAsync(c, "ERRORSTATS_DISABLED"));
    }

    [Fact]
    public async Task Latency_tracking_keeps_percentiles_per_command_as_configured()
    {
        await using var c = await ConnectAsync();
        var remote = RespCluster.KeyOwnedBy(Cluster, 2, "es:lat");
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal("*4\r\n$16\r\nlatency-tracking\r\n$3\r\nyes\r\n$33\r\nlatency-tracking-info-percentiles\r\n$10\r\n50 99 99.9\r\n",
            await c.CallAsync("CONFIG", "GET", "latency-tracking*"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", remote, "v"));
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GET", remote));
        Assert.Matches(@"^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$", await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_set"));
        Assert.Matches(@"^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$", await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_get"));
        // latencystats is in "all", not in the default sections.
        Assert.Contains("latency_percentiles_usec_get:", await c.CallAsync("INFO", "all"), StringComparison.Ordinal);
        Assert.DoesNotContain("# Latencystats", await c.CallAsync("INFO"), StringComparison.Ordinal);

        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-tracking-info-percentiles", "0.0 50.0 100.0"));
        Assert.Equal("*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$8\r\n0 50 100\r\n", await c.CallAsync("CONFIG", "GET", "latency-tracking-info-percentiles"));
        Assert.Matches(@"^p0=\d+\.\d{3},p50=\d+\.\d{3},p100=\d+\.\d{3}$", await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_set"));

        // Bad values are refused whole, and the setting stays.
        Assert.StartsWith("-ERR CONFIG SET failed", await c.CallAsync("CONFIG", "SET", "latency-tracking-info-percentiles", "10.0 50.0 a"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR CONFIG SET failed", await c.CallAsync("CONFIG", "SET", "latency-tracking-info-percentiles", "10.0 50.0 101.0"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR CONFIG SET failed", await c.CallAsync("CONFIG", "SET", "latency-tracking", "maybe"), StringComparison.Ordinal);
        Assert.Equal("*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$8\r\n0 50 100\r\n", await c.CallAsync("CONFIG", "GET", "latency-tracking-info-percentiles"));

        // Off: nothing is kept; RESETSTAT drops what was.
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-tracking", "no"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", remote, "v"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-tracking", "yes"));
        Assert.Null(await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_set"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", remote, "v"));
        Assert.NotNull(await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_set"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "RESETSTAT"));
        Assert.Null(await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_set"));

        // A pipeline longer than a connection's sample buffer: every command is in the histogram once handed over.
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-tracking-info-percentiles", "50"));
        var pipeline = string.Concat(Enumerable.Repeat(RespTestClient.Encode("PING"), 300));
        await c.SendAsync(pipeline);
        for (var i = 0; i < 300; i++)
            Assert.Equal("+PONG\r\n", await c.ReadReplyAsync());
        Assert.Matches(@"^p50=\d+\.\d{3}$", await InfoFieldAsync(c, "latencystats", "latency_percentiles_usec_ping"));
        Assert.Matches("^calls=300,", await CommandStatAsync(c, "ping"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"));
    }
}
