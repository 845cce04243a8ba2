using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// Behaviours Redis 7.0.15's own TCL units found missing or wrong (docs/redis-tcl-suite.md), each checked here the way
/// the unit does, with the clients at the keys' owner unless the test says otherwise.
/// </summary>
public sealed class RespRedisSuiteTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private Task<RespTestClient> ConnectAsync(int node) => RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));

    /// <summary>Two keys of one slot that node <paramref name="owner"/> owns: <c>{tag}a</c> and <c>{tag}b</c>.</summary>
    private (string A, string B) TwoKeys(int owner, string name)
    {
        var tag = RespCluster.KeyOwnedBy(Cluster, owner, name);
        return ("{" + tag + "}a", "{" + tag + "}b");
    }

    private static async Task UntilBlockedAsync(RespTestClient c, int count) =>
        await Bounded.UntilAsync(
            async () => (await c.CallAsync("INFO", "clients")).Contains($"blocked_clients:{count}\r\n", StringComparison.Ordinal),
            $"{count} clients to be blocked");

    // list.tcl "Circular BRPOPLPUSH": Redis serves the clients a push unblocks, and those their moves unblock, before it
    // answers the push; the pusher's next read sees the element back where the chain left it.
    [Fact]
    public async Task A_push_is_answered_after_the_chain_of_moves_it_unblocked()
    {
        var (list1, list2) = TwoKeys(0, "circular");
        await using var r = await ConnectAsync(0);
        await using var rd1 = await ConnectAsync(0);
        await using var rd2 = await ConnectAsync(0);
        await rd1.SendAsync(RespTestClient.Encode("BRPOPLPUSH", list1, list2, "0"));
        await UntilBlockedAsync(r, 1);
        await rd2.SendAsync(RespTestClient.Encode("BRPOPLPUSH", list2, list1, "0"));
        await UntilBlockedAsync(r, 2);

        Assert.Equal(":1\r\n", await r.CallAsync("RPUSH", list1, "foo"));
        Assert.Equal("*1\r\n$3\r\nfoo\r\n", await r.CallAsync("LRANGE", list1, "0", "-1"));
        Assert.Equal("*0\r\n", await r.CallAsync("LRANGE", list2, "0", "-1"));
        Assert.Equal("$3\r\nfoo\r\n", await rd1.ReadReplyAsync());
        Assert.Equal("$3\r\nfoo\r\n", await rd2.ReadReplyAsync());
        Assert.Equal(":1\r\n", await r.CallAsync("DEL", list1));
    }

    // list.tcl "PUSH resulting from BRPOPLPUSH affect WATCH": the blocked client's push into the watched list happens
    // before the pusher's reply, so an EXEC sent after that reply is aborted.
    [Fact]
    public async Task A_move_by_an_unblocked_client_aborts_a_transaction_watching_its_destination()
    {
        var (source, destination) = TwoKeys(0, "watchmove");
        await using var r = await ConnectAsync(0);
        await using var blocked = await ConnectAsync(0);
        await using var watching = await ConnectAsync(0);
        await blocked.SendAsync(RespTestClient.Encode("BRPOPLPUSH", source, destination, "0"));
        await UntilBlockedAsync(r, 1);
        Assert.Equal("+OK\r\n", await watching.CallAsync("WATCH", destination));
        Assert.Equal("+OK\r\n", await watching.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await watching.CallAsync("LLEN", destination));

        Assert.Equal(":1\r\n", await r.CallAsync("LPUSH", source, "element"));
        Assert.Equal("*-1\r\n", await watching.CallAsync("EXEC"));
        Assert.Equal("$7\r\nelement\r\n", await blocked.ReadReplyAsync());
        Assert.Equal(":1\r\n", await r.CallAsync("DEL", destination));
    }

    // scripting.tcl "Globals protection ...", "Try trick global protection 1-4", "Test print are not available",
    // "LUA test pcall with error": Redis 7's globals are read-only and reading an unknown one is an error.
    [Fact]
    public async Task Script_globals_are_read_only_and_an_unknown_one_is_an_error()
    {
        await using var c = await ConnectAsync(0);
        const string Missing = "Script attempted to access nonexistent global variable";
        const string ReadOnly = "Attempt to modify a readonly table";
        Assert.Contains(Missing + " 'a'", await c.CallAsync("EVAL", "return a", "0"), StringComparison.Ordinal);
        Assert.Contains(Missing + " 'print'", await c.CallAsync("EVAL", "print('some data')", "0"), StringComparison.Ordinal);
        Assert.Contains(Missing + " 'loadfile'", await c.CallAsync("EVAL", "loadfile('some file')", "0"), StringComparison.Ordinal);
        foreach (var script in new[]
        {
            "a=10", "setmetatable(_G, {})", "local g = getmetatable(_G); g.__index = {}", "redis = function() return 1 end",
            "_G = {}", "rawset(_G, 'x', 1)", "function f() return 1 end", "string.x = 1", "rawset(string, 'x', 1)",
        })
        {
            var reply = await c.CallAsync("EVAL", script, "0");
            Assert.True(reply.StartsWith("-ERR ", StringComparison.Ordinal) && reply.Contains(ReadOnly, StringComparison.Ordinal), $"{script}: {reply}");
        }
        var caught = await c.CallAsync("EVAL", "local status, res = pcall(function() return foo end); return 'status: ' .. tostring(status) .. ' result: ' .. res", "0");
        Assert.StartsWith("$", caught, StringComparison.Ordinal);
        Assert.Contains("status: false result: ", caught, StringComparison.Ordinal);
        Assert.Contains(Missing + " 'foo'", caught, StringComparison.Ordinal);
        // Locals, tables a script makes, KEYS, ARGV and the libraries work as before.
        Assert.Equal("$4\r\nk1v1\r\n", await c.CallAsync("EVAL", "local t = {}; t.x = KEYS[1] .. ARGV[1]; return t.x", "1", "k1", "v1"));
        Assert.Equal(":3\r\n", await c.CallAsync("EVAL", "return string.len(tostring(math.max(100, 7)))", "0"));
        Assert.Equal("*0\r\n", await c.CallAsync("EVAL", "return _G", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "return _G.KEYS == KEYS and 1 or 0", "0"));
    }

    // scripting.tcl "Shebang support for lua engine", "Unknown shebang option", "Unknown shebang flag", "no-writes
    // shebang flag": Redis 7's #!lua line and its flags, with eval.c's errors.
    [Fact]
    public async Task A_script_s_shebang_line_and_flags_are_read_as_redis_reads_them()
    {
        await using var c = await ConnectAsync(0);
        var key = RespCluster.KeyOwnedBy(Cluster, 0, "shebang");
        Assert.Equal("-ERR Unexpected engine in script shebang: #!not-lua\r\n", await c.CallAsync("EVAL", "#!not-lua\n return 1", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "#!lua\n return 1", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "#!lua flags=\n return 1", "0"));
        Assert.Equal("-ERR Unknown lua shebang option: badger=data\r\n", await c.CallAsync("EVAL", "#!lua badger=data\n return 1", "0"));
        Assert.Equal("-ERR Unexpected flag in script shebang: what?\r\n", await c.CallAsync("EVAL", "#!lua flags=allow-oom,what?\n return 1", "0"));
        Assert.Equal("-ERR Invalid script shebang\r\n", await c.CallAsync("EVAL", "#!lua", "0"));
        Assert.Equal("-ERR Unexpected engine in script shebang: #!python\r\n", await c.CallAsync("SCRIPT", "LOAD", "#!python\n return 1"));
        // The shebang's line feed stays, so an error names the user's line.
        Assert.Contains("user_script:2:", await c.CallAsync("EVAL", "#!lua\n return nope + 1", "0"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR Write commands are not allowed from read-only scripts", await c.CallAsync("EVAL", "#!lua flags=no-writes\n redis.call('set', KEYS[1], 1)", "1", key), StringComparison.Ordinal);
        Assert.Equal("$-1\r\n", await c.CallAsync("GET", key));
        Assert.Equal("-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n", await c.CallAsync("EVAL", "#!lua flags=no-cluster\n return 1", "0"));
        Assert.Equal("-ERR Can not execute a script with write flag using *_ro command.\r\n", await c.CallAsync("EVAL_RO", "#!lua\n return 1", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL_RO", "#!lua flags=no-writes\n return 1", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "#!lua flags=allow-stale,allow-cross-slot-keys\n return redis.call('set', KEYS[1], 'x') and 1", "1", key));
        // EVALSHA of a script with a shebang reads its flags again.
        var sha = await c.CallAsync("SCRIPT", "LOAD", "#!lua flags=no-writes\n return redis.call('del', KEYS[1])");
        Assert.StartsWith("-ERR Write commands are not allowed from read-only scripts", await c.CallAsync("EVALSHA", sha[(sha.IndexOf('\n') + 1)..^2], "1", key), StringComparison.Ordinal);
        Assert.Equal("$1\r\nx\r\n", await c.CallAsync("GET", key));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", key));
    }

    // scripting.tcl "allow-oom shebang flag", "Consistent eval error reporting": over maxmemory, a script without a
    // shebang may read but its first write is refused; one with flags is refused whole unless allow-oom or no-writes.
    [Fact]
    public async Task Over_maxmemory_a_script_writes_only_as_redis_allows()
    {
        await using var c = await ConnectAsync(1);
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "oomscript");
        const string Oom = "-OOM command not allowed when used memory > 'maxmemory'.";
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "123"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "maxmemory", "1"));
        try
        {
            Assert.StartsWith(Oom, await c.CallAsync("EVAL", "redis.call('set', KEYS[1], 1); return 1", "1", key), StringComparison.Ordinal);
            Assert.StartsWith(Oom, await c.CallAsync("EVAL", "return redis.call('set', KEYS[1], 1)", "1", key), StringComparison.Ordinal);
            Assert.Equal("$3\r\n123\r\n", await c.CallAsync("EVAL", "return redis.call('get', KEYS[1])", "1", key));
            Assert.Equal("$3\r\n123\r\n", await c.CallAsync("EVAL_RO", "return redis.call('get', KEYS[1])", "1", key));
            Assert.StartsWith("-OOM ", await c.CallAsync("EVAL", "#!lua flags=\n return 1", "0"), StringComparison.Ordinal);
            Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "#!lua flags=no-writes\n redis.call('get', KEYS[1]); return 1", "1", key));
            Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "#!lua flags=allow-oom\n redis.call('set', KEYS[1], 1); return 1", "1", key));
            Assert.Equal("$1\r\n1\r\n", await c.CallAsync("GET", key));
            // A deletion is not denyoom, and after a first write a script is not stopped half way.
            Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "redis.call('del', KEYS[1]); redis.call('set', KEYS[1], 2); return 1", "1", key));
            Assert.Equal("$1\r\n2\r\n", await c.CallAsync("GET", key));
        }
        finally
        {
            Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "maxmemory", "0"));
        }
        Assert.Equal(":1\r\n", await c.CallAsync("EVAL", "redis.call('set', KEYS[1], 3); return 1", "1", key));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", key));
    }

    // scripting.tcl "SCRIPTING FLUSH ASYNC": INFO memory counts the cached scripts.
    [Fact]
    public async Task Info_memory_counts_the_cached_scripts()
    {
        await using var c = await ConnectAsync(2);
        Assert.Equal("+OK\r\n", await c.CallAsync("SCRIPT", "FLUSH"));
        for (var i = 0; i < 3; i++)
            Assert.Equal($":{i}\r\n", await c.CallAsync("EVAL", $"return {i}", "0"));
        Assert.Contains("\r\nnumber_of_cached_scripts:3\r\n", await c.CallAsync("INFO", "memory"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await c.CallAsync("SCRIPT", "FLUSH", "ASYNC"));
        Assert.Contains("\r\nnumber_of_cached_scripts:0\r\n", await c.CallAsync("INFO", "memory"), StringComparison.Ordinal);
    }

    // introspection.tcl "CLIENT REPLY OFF/ON", "CLIENT REPLY SKIP", "CLIENT REPLY ON: unset SKIP flag" (pubsub.tcl uses
    // it too): silenced replies are never sent, whether the command ran here or at another node.
    [Fact]
    public async Task Client_reply_off_on_and_skip_silence_replies_as_redis_does()
    {
        var remote = RespCluster.KeyOwnedBy(Cluster, 2, "replyoff");
        await using var c = await ConnectAsync(0);
        static string E(params string[] args) => RespTestClient.Encode(args);

        await c.SendAsync(E("CLIENT", "REPLY", "OFF") + E("PING", "pong") + E("SET", remote, "v") + E("GET", remote) + E("CLIENT", "REPLY", "ON"));
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("$5\r\npong3\r\n", await c.CallAsync("PING", "pong3"));
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GET", remote)); // the silenced SET ran

        await c.SendAsync(E("CLIENT", "REPLY", "SKIP") + E("PING", "pong") + E("PING", "pong2"));
        Assert.Equal("$5\r\npong2\r\n", await c.ReadReplyAsync());
        await c.SendAsync(E("CLIENT", "REPLY", "SKIP") + E("INCR", remote) + E("GET", remote));
        Assert.Equal("$1\r\nv\r\n", await c.ReadReplyAsync()); // the skipped INCR's error is not sent either
        await c.SendAsync(E("CLIENT", "REPLY", "SKIP") + E("CLIENT", "REPLY", "ON"));
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));

        // Under OFF a subscription is still confirmed (Redis sends those as pushes).
        await c.SendAsync(E("CLIENT", "REPLY", "OFF") + E("SUBSCRIBE", "replyoff-channel"));
        Assert.Equal("*3\r\n$9\r\nsubscribe\r\n$16\r\nreplyoff-channel\r\n:1\r\n", await c.ReadReplyAsync());
        await c.SendAsync(E("UNSUBSCRIBE") + E("ECHO", "silent") + E("CLIENT", "REPLY", "ON"));
        Assert.Equal("*3\r\n$11\r\nunsubscribe\r\n$16\r\nreplyoff-channel\r\n:0\r\n", await c.ReadReplyAsync());
        Assert.Equal("+OK\r\n", await c.ReadReplyAsync());

        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("CLIENT", "REPLY", "MAYBE"));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", remote));
    }

    // scripting.tcl "Binary code loading failed" and the SORT tests: loadstring compiles text into the script's own
    // environment (no bytecode), and SORT of a set BY a constant is ordered ALPHA inside a script, as in Redis.
    [Fact]
    public async Task Scripts_have_a_text_only_loadstring_and_sort_a_set_by_a_constant_in_alpha_order()
    {
        await using var c = await ConnectAsync(0);
        var set = RespCluster.KeyOwnedBy(Cluster, 0, "scriptsort");
        Assert.Equal(":2\r\n", await c.CallAsync("EVAL", "return loadstring('return 1 + 1')()", "0"));
        Assert.Equal("$5\r\nmykey\r\n", await c.CallAsync("EVAL", "return loadstring('return KEYS[1]')()", "1", "mykey"));
        Assert.Contains("Attempt to modify a readonly table", await c.CallAsync("EVAL", "return loadstring('x = 1')()", "0"), StringComparison.Ordinal);
        Assert.Contains("attempt to call a nil value", await c.CallAsync("EVAL", "return loadstring(string.dump(function() return 1 end))()", "0"), StringComparison.Ordinal);
        Assert.Contains("binary chunk", await c.CallAsync("EVAL", "local f, err = loadstring('\u001bLua') return err", "0"), StringComparison.Ordinal);

        Assert.Equal(":6\r\n", await c.CallAsync("SADD", set, "b", "aa", "c", "a", "azz", "10"));
        Assert.Equal("*6\r\n$2\r\n10\r\n$1\r\na\r\n$2\r\naa\r\n$3\r\nazz\r\n$1\r\nb\r\n$1\r\nc\r\n",
            await c.CallAsync("EVAL", "return redis.call('sort', KEYS[1], 'by', '_')", "1", set));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", set));
        Assert.Equal(":5\r\n", await c.CallAsync("SADD", set, "1", "2", "3", "4", "10"));
        Assert.Equal("*5\r\n$2\r\n10\r\n$1\r\n4\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n",
            await c.CallAsync("EVAL", "return redis.call('sort', KEYS[1], 'desc')", "1", set));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", set));
    }
}
