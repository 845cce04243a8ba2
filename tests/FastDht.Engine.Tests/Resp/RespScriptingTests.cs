using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>EVAL and its kin, SCRIPT and SHUTDOWN over raw RESP: Redis's conversions and errors, atomicity over a script's keys through a non-owner, -BUSY and SCRIPT KILL, and scripts that try to hurt the node.</summary>
public sealed class RespScriptingTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_script_reads_and_writes_its_keys_through_a_node_that_owns_none_of_them_with_Redis_conversions()
    {
        var k = RespCluster.KeyOwnedBy(Cluster, 2, "ev");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", "1", k, "v"));
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GET", k)); // committed at the owner
        Assert.Equal("*6\r\n:1\r\n$1\r\nx\r\n*1\r\n:3\r\n:1\r\n$-1\r\n:3\r\n",
            await c.CallAsync("EVAL", "return {1, 'x', {3}, true, false, 3.99, nil, 5}", "0")); // stops at the first nil; floats truncate
        Assert.Equal("+FINE\r\n", await c.CallAsync("EVAL", "return redis.status_reply('FINE')", "0"));
        Assert.Equal("-MY error\r\n", await c.CallAsync("EVAL", "return redis.error_reply('MY error')", "0"));
        Assert.Equal("$-1\r\n", await c.CallAsync("EVAL", "return nil", "0"));
        // redis.call raises the command's error; redis.pcall returns it as a table the script can look at.
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("EVAL", "return redis.call('incr', KEYS[1])", "1", k));
        Assert.Equal("$43\r\nERR value is not an integer or out of range\r\n",
            await c.CallAsync("EVAL", "return redis.pcall('incr', KEYS[1]).err", "1", k));
        // Replies come back as Lua values: integers, bulk strings, false for a null, tables for arrays and statuses.
        Assert.Equal("*4\r\n$6\r\nnumber\r\n$7\r\nboolean\r\n$2\r\nOK\r\n$4\r\nPONG\r\n", await c.CallAsync("EVAL",
            "return {type(redis.call('strlen', KEYS[1])), type(redis.call('get', KEYS[2])), redis.call('set', KEYS[1], 'w').ok, redis.call('ping').ok}",
            "2", k, "{" + k + "}missing"));
        Assert.Equal("$1\r\nw\r\n", await c.CallAsync("GET", k));
    }

    [Fact]
    public async Task Evalsha_script_load_exists_flush_and_read_only_scripts_answer_as_Redis()
    {
        var k = RespCluster.KeyOwnedBy(Cluster, 1, "sha");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        const string body = "return redis.call('incrby', KEYS[1], ARGV[1])";
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Encoding.ASCII.GetBytes(body)));
        Assert.Equal("-NOSCRIPT No matching script. Please use EVAL.\r\n", await c.CallAsync("EVALSHA", sha, "1", k, "2"));
        Assert.Equal($"$40\r\n{sha}\r\n", await c.CallAsync("SCRIPT", "LOAD", body));
        Assert.Equal("*2\r\n:1\r\n:0\r\n", await c.CallAsync("SCRIPT", "EXISTS", sha.ToUpperInvariant(), new string('0', 40)));
        Assert.Equal(":2\r\n", await c.CallAsync("EVALSHA", sha, "1", k, "2"));
        Assert.Equal(":4\r\n", await c.CallAsync("EVALSHA", sha, "1", k, "2"));
        Assert.Equal("-ERR Write commands are not allowed from read-only scripts.\r\n", await c.CallAsync("EVALSHA_RO", sha, "1", k, "2"));
        Assert.Equal("$1\r\n4\r\n", await c.CallAsync("EVAL_RO", "return redis.call('get', KEYS[1])", "1", k));
        Assert.Equal("+OK\r\n", await c.CallAsync("SCRIPT", "FLUSH"));
        Assert.Equal("*1\r\n:0\r\n", await c.CallAsync("SCRIPT", "EXISTS", sha));
        Assert.Equal("-NOTBUSY No scripts in execution right now.\r\n", await c.CallAsync("SCRIPT", "KILL"));
        Assert.Equal("-ERR Number of keys can't be greater than number of args\r\n", await c.CallAsync("EVAL", "return 1", "2", k));
        Assert.Equal("-ERR Number of keys can't be negative\r\n", await c.CallAsync("EVAL", "return 1", "-1"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("EVAL", "return 1", "x"));
    }

    [Fact]
    public async Task Keys_must_share_an_owner_and_a_script_may_touch_only_the_keys_it_declares()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "decl");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "decl");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("-CROSSSLOT Keys in request don't hash to slots owned by one node\r\n",
            await c.CallAsync("EVAL", "return redis.call('set', KEYS[1], 1)", "2", a, b));
        Assert.StartsWith($"-ERR Script attempted to access key '{b}', which is not declared in KEYS",
            await c.CallAsync("EVAL", "return redis.call('set', ARGV[1], 1)", "1", a, b), StringComparison.Ordinal);
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", a, b));
        Assert.Equal("-ERR This Redis command is not allowed from script\r\n", await c.CallAsync("EVAL", "return redis.call('multi')", "0"));
        Assert.StartsWith("-ERR This Redis command is not allowed from script", await c.CallAsync("EVAL", "return redis.call('flushall')", "0"), StringComparison.Ordinal);
        Assert.Equal("-ERR Unknown Redis command called from script\r\n", await c.CallAsync("EVAL", "return redis.call('nosuch')", "0"));
        Assert.Equal("-ERR Lua redis lib command arguments must be strings or integers\r\n", await c.CallAsync("EVAL", "return redis.call({})", "0"));
    }

    [Fact]
    public async Task Concurrent_read_modify_write_scripts_lose_no_update_and_readers_never_see_one_half_done()
    {
        // Two keys of one owner (a hash tag), another node entered: a transfer script keeps their sum at 100.
        var tag = RespCluster.KeyOwnedBy(Cluster, 2, "xfer");
        var from = "{" + tag + "}a";
        var to = "{" + tag + "}b";
        Assert.Equal(Cluster.OwnerOf(Encoding.UTF8.GetBytes(from)), Cluster.OwnerOf(Encoding.UTF8.GetBytes(to)));
        await using (var setup = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0)))
            Assert.Equal("+OK\r\n", await setup.CallAsync("MSET", from, "100", to, "0"));
        const string transfer = """
            local a = tonumber(redis.call('get', KEYS[1]))
            local b = tonumber(redis.call('get', KEYS[2]))
            redis.call('set', KEYS[1], a - 1)
            redis.call('set', KEYS[2], b + 1)
            return a - 1
            """;
        var writers = new Task[4];
        for (var w = 0; w < writers.Length; w++)
        {
            var entry = w % 3;
            writers[w] = Task.Run(async () =>
            {
                await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
                for (var i = 0; i < 10; i++)
                {
                    var reply = await c.CallAsync("EVAL", transfer, "2", from, to);
                    Assert.StartsWith(":", reply, StringComparison.Ordinal);
                }
            });
        }
        await using (var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1)))
        {
            const string sum = "return tonumber(redis.call('get', KEYS[1])) + tonumber(redis.call('get', KEYS[2]))";
            while (!Task.WhenAll(writers).IsCompleted)
                Assert.Equal(":100\r\n", await reader.CallAsync("EVAL_RO", sum, "2", from, to));
        }
        await Task.WhenAll(writers).WithinAsync("the transfer scripts");
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        Assert.Equal("*2\r\n$2\r\n60\r\n$2\r\n40\r\n", await check.CallAsync("MGET", from, to));
    }

    [Fact]
    public async Task A_busy_script_makes_other_clients_answer_BUSY_until_SCRIPT_KILL_which_undoes_its_writes()
    {
        var k = RespCluster.KeyOwnedBy(Cluster, 1, "busy");
        await using var runner = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var other = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await admin.CallAsync("SET", k, "before"));
        // 0 ms: busy as soon as the script runs, so the test waits for an event, not for time.
        Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "lua-time-limit", "0"));
        try
        {
            await runner.SendAsync(RespTestClient.Encode("EVAL", "redis.call('set', KEYS[1], 'during') while true do end", "1", k));
            const string busy = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
            await Bounded.UntilAsync(async () => await other.CallAsync("GET", k) == busy, "the node to answer BUSY");
            Assert.Equal("+OK\r\n", await other.CallAsync("MULTI")); // allowed while busy, as in Redis
            Assert.Equal(busy, await other.CallAsync("INCR", k));
            Assert.Equal("-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n",
                await other.CallAsync("EXEC"));
            Assert.Equal("+OK\r\n", await admin.CallAsync("SCRIPT", "KILL"));
            Assert.Equal("-ERR Script killed by user with SCRIPT KILL...\r\n", await runner.ReadReplyAsync().WithinAsync("the killed script's reply"));
            Assert.Equal("$6\r\nbefore\r\n", await other.CallAsync("GET", k)); // its write was never applied
            Assert.Equal("$4\r\npong\r\n", await other.CallAsync("PING", "pong")); // out of MULTI
        }
        finally
        {
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "lua-time-limit", "5000"));
        }
        Assert.Equal("*2\r\n$14\r\nlua-time-limit\r\n$4\r\n5000\r\n", await admin.CallAsync("CONFIG", "GET", "lua-time-limit"));
    }

    [Theory]
    [InlineData("while true do pcall(function() while true do end end) end")]
    [InlineData("local co = coroutine.wrap(function() while true do end end) co()")]
    [InlineData("table.sort({3, 2, 1, 5, 4}, function(a, b) while true do end end)")]
    public async Task Scripts_that_catch_the_kill_or_loop_inside_a_callback_are_stopped_too(string script)
    {
        await using var runner = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        await runner.SendAsync(RespTestClient.Encode("EVAL", script, "0"));
        await Bounded.UntilAsync(async () => await admin.CallAsync("SCRIPT", "KILL") == "+OK\r\n", "the script to run and be killed");
        Assert.Equal("-ERR Script killed by user with SCRIPT KILL...\r\n", await runner.ReadReplyAsync().WithinAsync("the killed script's reply"));
        Assert.Equal("+PONG\r\n", await runner.CallAsync("PING"));
    }

    [Fact]
    public async Task Bad_huge_or_hostile_scripts_fail_alone_and_the_node_goes_on()
    {
        var k = RespCluster.KeyOwnedBy(Cluster, 0, "hostile");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        Assert.StartsWith("-ERR Error compiling script (new function): user_script:1:", await c.CallAsync("EVAL", "return 1 +", "0"), StringComparison.Ordinal);
        // Memory: a table that grows without end is stopped by the state's limit, inside the script.
        Assert.Contains("ran out of memory", await c.CallAsync("EVAL", "local t = {} for i = 1, 1e10 do t[i] = i end", "0"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR Error running script", await c.CallAsync("EVAL", "return string.rep('x', 2^40)", "0"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR Error running script", await c.CallAsync("EVAL", "local function f() return f() + 1 end return f()", "0"), StringComparison.Ordinal);
        // No way out of the sandbox: no loader, no bytecode, no OS, no debug; libraries are read-only.
        Assert.Equal("$3\r\nnil\r\n", await c.CallAsync("EVAL", "return type(string.dump)", "0"));
        foreach (var name in new[] { "load", "os", "debug", "io", "require", "package", "dofile", "collectgarbage" })
            Assert.Contains($"Script attempted to access nonexistent global variable '{name}'", await c.CallAsync("EVAL", $"return type({name})", "0"), StringComparison.Ordinal);
        Assert.Contains("Attempt to modify a readonly table", await c.CallAsync("EVAL", "string.upper = nil", "0"), StringComparison.Ordinal);
        Assert.Equal("$3\r\nABC\r\n", await c.CallAsync("EVAL", "return string.upper('abc')", "0"));
        // No finalizer: it would run outside the script, when no kill could reach it.
        Assert.Contains("__gc metamethods are not allowed", await c.CallAsync("EVAL", "setmetatable({}, {__gc = function() while true do end end})", "0"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR Error compiling script", await c.CallAsync("EVAL", "return " + new string('(', 100_000) + "1" + new string(')', 100_000), "0"), StringComparison.Ordinal);
        // A reply nested deeper than 64 levels (or a table that holds itself) ends in an error, not in endless recursion.
        Assert.EndsWith("*1\r\n-ERR reached lua stack limit\r\n", await c.CallAsync("EVAL", "local t = {} t[1] = t return t", "0"), StringComparison.Ordinal);
        // No script can leave a global for a later one: globals are read-only, as in Redis 7.
        Assert.Contains("Attempt to modify a readonly table", await c.CallAsync("EVAL", "leak = 5 return leak", "0"), StringComparison.Ordinal);
        Assert.Contains("Script attempted to access nonexistent global variable 'leak'", await c.CallAsync("EVAL", "return type(leak)", "0"), StringComparison.Ordinal);
        // A script that fails keeps what it wrote before the error (Redis: no rollback), applied as one commit.
        Assert.StartsWith("-ERR Error running script", await c.CallAsync("EVAL", "redis.call('set', KEYS[1], 'kept') error('boom')", "1", k), StringComparison.Ordinal);
        Assert.Equal("$4\r\nkept\r\n", await c.CallAsync("GET", k));
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
    }

    [Fact]
    public async Task Eval_inside_multi_runs_in_the_transaction_with_the_other_commands()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "mev");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "mev");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var other = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", a, "1"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("EVAL", "return redis.call('incrby', KEYS[1], 10)", "1", b));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("EVAL", "return 'pong'", "0"));
        Assert.Equal("$-1\r\n", await other.CallAsync("GET", b)); // queued, not run
        Assert.Equal("*3\r\n+OK\r\n:10\r\n$4\r\npong\r\n", await c.CallAsync("EXEC"));
        Assert.Equal("$2\r\n10\r\n", await other.CallAsync("GET", b));
        // A bad numkeys is a queueing error: EXEC aborts.
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("-ERR Number of keys can't be greater than number of args\r\n", await c.CallAsync("EVAL", "return 1", "3", a));
        Assert.StartsWith("-EXECABORT", await c.CallAsync("EXEC"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_is_refused_inside_multi_and_otherwise_stops_the_node()
    {
        await using var cluster = await RespCluster.StartAsync(1);
        var node = cluster[0];
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", "foo", "bar"));
        Assert.Equal("-ERR Command not allowed inside a transaction\r\n", await c.CallAsync("SHUTDOWN"));
        Assert.StartsWith("-EXECABORT", await c.CallAsync("EXEC"), StringComparison.Ordinal);
        Assert.Equal("-ERR No shutdown in progress.\r\n", await c.CallAsync("SHUTDOWN", "ABORT"));
        Assert.StartsWith("-ERR Errors trying to SHUTDOWN", await c.CallAsync("SHUTDOWN", "SAVE"), StringComparison.Ordinal); // memory only
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SHUTDOWN", "LATER"));
        Assert.False(node.ShutdownRequested.IsCompleted);
        await c.SendAsync(RespTestClient.Encode("SHUTDOWN", "NOSAVE"));
        Assert.True(await c.IsClosedByServerAsync());
        Assert.StartsWith("SHUTDOWN from client", await node.ShutdownRequested.WithinAsync("the node to be asked to stop"), StringComparison.Ordinal);
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                await using var again = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
                return await again.IsClosedByServerAsync();
            }
            catch (System.Net.Sockets.SocketException)
            {
                return true;
            }
        }, "the stopped node to refuse RESP clients");
    }
}

/// <summary>The node-wide bound on scripts' memory (NodeOptions.ScriptMemoryLimit): scripts of different connections run at once, and together they may hold no more than it.</summary>
public sealed class ScriptMemoryLimitTests
{
    // string.rep builds its result in a buffer, then copies it: a 16 MiB result needs 32 MiB at its peak.
    private const int Limit = 40 << 20;

    private static async Task<long> LuaMemoryAsync(RespTestClient c)
    {
        var info = await c.CallAsync("INFO", "memory");
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith("used_memory_lua:", StringComparison.Ordinal))
                return long.Parse(line["used_memory_lua:".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new Xunit.Sdk.XunitException("INFO memory has no used_memory_lua: " + info);
    }

    [Fact]
    public async Task A_script_that_would_pass_the_nodes_limit_while_another_holds_memory_fails_alone()
    {
        await using var cluster = await RespCluster.StartAsync(1, o => o.ScriptMemoryLimit = Limit);
        var endPoint = RespCluster.RespOf(cluster, 0);
        await using var holder = await RespTestClient.ConnectAsync(endPoint);
        await using var other = await RespTestClient.ConnectAsync(endPoint);
        // No -BUSY for the other clients while the holder runs, however slow the machine.
        Assert.Equal("+OK\r\n", await other.CallAsync("CONFIG", "SET", "lua-time-limit", "600000"));
        Assert.Contains($"fastdht_script_memory_limit:{Limit}\r\n", await other.CallAsync("INFO", "memory"), StringComparison.Ordinal);

        // 16 MiB of a 40 MiB node limit, held until killed (each script alone may use 256 MiB). In 1 MiB pieces: the
        // holder never needs more than 17 MiB, so with the other script's 16 MiB buffer beside it (33) it always fits,
        // while the other's 32 MiB peak beside the holder's 15 or more never does: whatever the interleaving, the
        // other script is the one refused.
        await holder.SendAsync(RespTestClient.Encode("EVAL",
            "local t = {} for i = 1, 16 do t[i] = string.rep('x', 1024 * 1024) end while true do end", "0"));
        await Bounded.UntilAsync(async () => await LuaMemoryAsync(other) >= 15 << 20, "the holder's memory to be counted");

        var refused = await other.CallAsync("EVAL", "local s = string.rep('y', 16 * 1024 * 1024) return #s", "0");
        Assert.StartsWith("-ERR Error running script", refused, StringComparison.Ordinal);
        Assert.Contains("ran out of memory", refused, StringComparison.Ordinal);
        Assert.Contains("the node's scripts 40 MiB together", refused, StringComparison.Ordinal);
        Assert.Equal("$2\r\nok\r\n", await other.CallAsync("EVAL", "return 'ok'", "0")); // small scripts still run

        await Bounded.UntilAsync(async () => await other.CallAsync("SCRIPT", "KILL") == "+OK\r\n", "the holder to be killed");
        Assert.Equal("-ERR Script killed by user with SCRIPT KILL...\r\n", await holder.ReadReplyAsync().WithinAsync("the killed script's reply"));
        // The killed state is closed, its memory given back: the same script now fits.
        await Bounded.UntilAsync(async () => await LuaMemoryAsync(other) < 8 << 20, "the killed state's memory to be given back");
        Assert.Equal(":16777216\r\n", await other.CallAsync("EVAL", "local s = string.rep('y', 16 * 1024 * 1024) return #s", "0"));
    }
}
