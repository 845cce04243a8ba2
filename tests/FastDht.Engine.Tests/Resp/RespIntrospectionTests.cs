using System.Text.RegularExpressions;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>What clients and tools probe: COMMAND, CLIENT, CONFIG, INFO, MONITOR, SLOWLOG, MEMORY, OBJECT.</summary>
public sealed class RespIntrospectionTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private async Task<RespTestClient> ConnectAsync(int node = 0) => await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, node));

    [Fact]
    public async Task Command_describes_each_command_as_Redis_7_does()
    {
        await using var c = await ConnectAsync();
        var get = await c.CallAsync("COMMAND", "INFO", "get");
        Assert.StartsWith("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n", get, StringComparison.Ordinal);
        Assert.Contains("$12\r\nbegin_search\r\n", get, StringComparison.Ordinal);
        var mset = await c.CallAsync("COMMAND", "INFO", "mset");
        Assert.Contains("$4\r\nmset\r\n:-3\r\n", mset, StringComparison.Ordinal);
        Assert.Contains(":1\r\n:-1\r\n:2\r\n", mset, StringComparison.Ordinal);
        // Subcommands by their full names, and unknown names as nulls.
        Assert.Contains("$11\r\nclient|list\r\n:-2\r\n", await c.CallAsync("COMMAND", "INFO", "client|list"), StringComparison.Ordinal);
        Assert.Equal("*1\r\n*-1\r\n", await c.CallAsync("COMMAND", "INFO", "nosuch"));
        Assert.Equal("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", await c.CallAsync("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2", "c", "3"));
        Assert.Equal("*1\r\n$1\r\nk\r\n", await c.CallAsync("COMMAND", "GETKEYS", "memory", "usage", "k"));
        Assert.Equal("-ERR Invalid command specified\r\n", await c.CallAsync("COMMAND", "GETKEYS", "nosuch", "a"));
        Assert.Equal("-ERR The command has no key arguments\r\n", await c.CallAsync("COMMAND", "GETKEYS", "ping", "a"));
        Assert.Equal("-ERR Invalid number of arguments specified for command\r\n", await c.CallAsync("COMMAND", "GETKEYS", "get", "a", "b"));
        var docs = await c.CallAsync("COMMAND", "DOCS", "get");
        Assert.StartsWith("*2\r\n$3\r\nget\r\n*6\r\n$7\r\nsummary\r\n", docs, StringComparison.Ordinal);
        Assert.Contains("$5\r\ngroup\r\n$6\r\nstring\r\n", docs, StringComparison.Ordinal);
        var keyspace = await c.CallAsync("COMMAND", "LIST", "FILTERBY", "ACLCAT", "keyspace");
        Assert.Contains("$4\r\nscan\r\n", keyspace, StringComparison.Ordinal);
        Assert.DoesNotContain("$3\r\nget\r\n", keyspace, StringComparison.Ordinal);
        Assert.Equal("*1\r\n$11\r\nclient|kill\r\n", await c.CallAsync("COMMAND", "LIST", "FILTERBY", "PATTERN", "client|k*"));
    }

    [Fact]
    public async Task Scripts_and_migrate_name_their_keys_as_Redis_7_0_does()
    {
        await using var c = await ConnectAsync();
        // What a cluster client routes EVAL by: its numkeys keys (the audit found none named).
        Assert.Equal("*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n", await c.CallAsync("COMMAND", "GETKEYS", "eval", "return 1", "2", "k1", "k2", "a"));
        Assert.Equal("*1\r\n$1\r\nk\r\n", await c.CallAsync("COMMAND", "GETKEYS", "evalsha", "abc", "1", "k"));
        Assert.Equal("*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n", await c.CallAsync("COMMAND", "GETKEYSANDFLAGS", "eval", "r", "1", "k"));
        Assert.Equal("*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n", await c.CallAsync("COMMAND", "GETKEYSANDFLAGS", "evalsha_ro", "abc", "1", "k"));
        // Redis's fallback reading of a count its key spec cannot parse: atoi, and its keys carry no flags.
        Assert.Equal("*1\r\n*2\r\n$1\r\nk\r\n*0\r\n", await c.CallAsync("COMMAND", "GETKEYSANDFLAGS", "eval_ro", "r", "+1", "k"));
        // No key, or a count past the arguments: none (scripts need no key), never an error.
        Assert.Equal("*0\r\n", await c.CallAsync("COMMAND", "GETKEYS", "eval", "return 1", "0"));
        Assert.Equal("*0\r\n", await c.CallAsync("COMMAND", "GETKEYS", "eval", "return 1", "3", "k"));
        Assert.Equal("*0\r\n", await c.CallAsync("COMMAND", "GETKEYS", "eval", "return 1", "x", "k"));
        Assert.Equal("-ERR Invalid number of arguments specified for command\r\n", await c.CallAsync("COMMAND", "GETKEYS", "eval", "return 1"));
        // MIGRATE: its key argument, or the keys after KEYS (AUTH's password is not the option).
        Assert.Equal("*1\r\n$1\r\nk\r\n", await c.CallAsync("COMMAND", "GETKEYS", "migrate", "h", "1", "k", "0", "5"));
        Assert.Equal("*2\r\n$1\r\nx\r\n$1\r\ny\r\n", await c.CallAsync("COMMAND", "GETKEYS", "migrate", "h", "1", "", "0", "5", "COPY", "REPLACE", "KEYS", "x", "y"));
        Assert.Equal("*1\r\n$0\r\n\r\n", await c.CallAsync("COMMAND", "GETKEYS", "migrate", "h", "1", "", "0", "5", "AUTH", "KEYS", "x"));
        Assert.Equal("-ERR Invalid arguments specified for command\r\n", await c.CallAsync("COMMAND", "GETKEYS", "migrate", "h", "1", "k", "0", "5", "KEYS", "x"));
        // COMMAND INFO: the keynum key spec (with Redis's notes for EVAL), MIGRATE's and WAIT's entries byte for byte as redis-server 7.0.15's.
        var eval = await c.CallAsync("COMMAND", "INFO", "eval");
        Assert.Contains(":0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@scripting\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$78\r\nWe cannot tell how the keys will be used so we assume the worst, RW and UPDATE\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$6\r\nkeynum\r\n$4\r\nspec\r\n*6\r\n$9\r\nkeynumidx\r\n:0\r\n$8\r\nfirstkey\r\n:1\r\n$7\r\nkeystep\r\n:1\r\n*0\r\n", eval, StringComparison.Ordinal);
        Assert.Equal(
            "*1\r\n*10\r\n$7\r\nmigrate\r\n:-6\r\n*2\r\n+write\r\n+movablekeys\r\n:3\r\n:3\r\n:1\r\n*4\r\n+@keyspace\r\n+@write\r\n+@slow\r\n+@dangerous\r\n*1\r\n$23\r\nnondeterministic_output\r\n*2\r\n*6\r\n$5\r\nflags\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:3\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*6\r\n$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+delete\r\n+incomplete\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\nspec\r\n*4\r\n$7\r\nkeyword\r\n$4\r\nKEYS\r\n$9\r\nstartfrom\r\n:-2\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n",
            await c.CallAsync("COMMAND", "INFO", "migrate"));
        Assert.Equal(
            "*1\r\n*10\r\n$4\r\nwait\r\n:3\r\n*1\r\n+noscript\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$23\r\nresponse_policy:agg_min\r\n*0\r\n*0\r\n",
            await c.CallAsync("COMMAND", "INFO", "wait"));
    }

    [Fact]
    public async Task Reports_for_people_are_verbatim_strings_under_RESP3_as_in_Redis_7()
    {
        await using var c = await ConnectAsync();
        Assert.StartsWith("$", await c.CallAsync("CLIENT", "INFO"), StringComparison.Ordinal);
        Assert.StartsWith("%", await c.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        foreach (var command in new string[][] { ["CLIENT", "INFO"], ["CLIENT", "LIST"], ["CLUSTER", "NODES"], ["CLUSTER", "INFO"], ["INFO", "server"] })
        {
            var reply = await c.CallAsync(command);
            // =<length>\r\ntxt:<text>\r\n, the length counting "txt:".
            var match = Regex.Match(reply, "^=(\\d+)\r\ntxt:(.*)\r\n$", RegexOptions.Singleline);
            Assert.True(match.Success, $"{string.Join(' ', command)} answered {reply}");
            Assert.Equal(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 4 + System.Text.Encoding.Latin1.GetByteCount(match.Groups[2].Value));
        }
        Assert.Contains("resp=3", await c.CallAsync("CLIENT", "INFO"), StringComparison.Ordinal);
        // Back to RESP2: bulk strings again.
        Assert.StartsWith("*", await c.CallAsync("HELLO", "2"), StringComparison.Ordinal);
        Assert.StartsWith("$", await c.CallAsync("CLUSTER", "NODES"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_unblock_ends_another_connection_s_blocking_command_as_a_timeout_or_an_error()
    {
        // CLIENT UNBLOCK reaches the connections of the node it is sent to, as in Redis Cluster.
        await using var c = await ConnectAsync(1);
        await using var blocked = await ConnectAsync(1);
        var id = (await blocked.CallAsync("CLIENT", "ID"))[1..^2];
        var empty = RespCluster.KeyOwnedBy(Cluster, 2, "unblock"); // another node's key: the connection polls for it
        Assert.Equal(":0\r\n", await c.CallAsync("CLIENT", "UNBLOCK", id)); // not blocked: nothing to end
        foreach (var (how, expected) in new[] { ("TIMEOUT", "*-1\r\n"), ("ERROR", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n") })
        {
            await blocked.SendAsync(RespTestClient.Encode("BLPOP", empty, "0"));
            // It may not be blocked yet when the first CLIENT UNBLOCK arrives (then :0).
            await Bounded.UntilAsync(async () => await c.CallAsync("CLIENT", "UNBLOCK", id, how) == ":1\r\n", $"CLIENT UNBLOCK {how} to find the BLPOP blocked");
            Assert.Equal(expected, await blocked.ReadReplyAsync());
        }
        // WAIT without replicas and without a timeout blocks until unblocked; then it answers the count.
        await blocked.SendAsync(RespTestClient.Encode("WAIT", "1", "0"));
        await Bounded.UntilAsync(async () => await c.CallAsync("CLIENT", "UNBLOCK", id) == ":1\r\n", "CLIENT UNBLOCK to find the WAIT blocked");
        Assert.Equal(":0\r\n", await blocked.ReadReplyAsync());
        Assert.Equal("+PONG\r\n", await blocked.CallAsync("PING"));
        Assert.Equal("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n", await c.CallAsync("CLIENT", "UNBLOCK", id, "LATER"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("CLIENT", "UNBLOCK", "x"));
        Assert.Equal(":0\r\n", await c.CallAsync("CLIENT", "UNBLOCK", "999999999"));
    }

    [Fact]
    public async Task Every_command_the_table_lists_is_served_and_its_count_matches()
    {
        await using var c = await ConnectAsync();
        var all = await c.CallAsync("COMMAND");
        var count = await c.CallAsync("COMMAND", "COUNT");
        Assert.StartsWith("*" + count[1..^2] + "\r\n", all, StringComparison.Ordinal);
        var names = (await c.CallAsync("COMMAND", "LIST")).Split("\r\n").Where((_, i) => i > 0 && i % 2 == 0).Where(n => n.Length > 0).ToList();
        Assert.Contains("get", names);
        Assert.Contains("config|set", names);
        foreach (var name in names.Where(n => !n.Contains('|')))
        {
            // With too few arguments every served command answers its arity error, never "unknown command".
            var reply = await c.CallAsync("COMMAND", "INFO", name);
            Assert.DoesNotContain("*-1", reply, StringComparison.Ordinal);
        }
        foreach (var name in new[] { "lpush", "hset", "sadd", "zadd", "blpop", "lmpop", "eval" })
            Assert.Contains(name, names);
        foreach (var name in new[] { "xadd", "fcall" })
        {
            Assert.Equal($"-ERR unknown command '{name}', with args beginning with: 'k' 'v' \r\n", await c.CallAsync(name, "k", "v"));
            Assert.Equal("*1\r\n*-1\r\n", await c.CallAsync("COMMAND", "INFO", name));
        }
    }

    [Fact]
    public void Every_served_command_and_subcommand_has_a_summary_and_categories()
    {
        foreach (var spec in FastDht.Engine.CommandTable.RespCommandSpecs.All.SelectMany(s => s.Subcommands.Prepend(s)))
        {
            Assert.False(string.IsNullOrEmpty(spec.Doc.Summary), $"{spec.Name} has no summary in RespCommandDocs");
            Assert.NotEmpty(spec.Doc.Categories);
        }
    }

    [Fact]
    public async Task Client_list_info_and_kill_see_every_connection()
    {
        await using var c = await ConnectAsync();
        await using var other = await ConnectAsync();
        Assert.Equal("+OK\r\n", await other.CallAsync("CLIENT", "SETNAME", "victim"));
        var otherId = (await other.CallAsync("CLIENT", "ID"))[1..^2];
        var myId = (await c.CallAsync("CLIENT", "ID"))[1..^2];
        var info = await c.CallAsync("CLIENT", "INFO");
        Assert.Matches($@"^\$\d+\r\nid={myId} addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 cmd=client\|info user=default redir=-1 resp=2 lib-name= lib-ver=\n\r\n$", info);
        var list = await c.CallAsync("CLIENT", "LIST");
        Assert.Contains($"id={otherId} ", list, StringComparison.Ordinal);
        Assert.Contains(" name=victim ", list, StringComparison.Ordinal);
        Assert.Contains($"id={myId} ", list, StringComparison.Ordinal);
        var only = await c.CallAsync("CLIENT", "LIST", "ID", otherId);
        Assert.Contains($"id={otherId} ", only, StringComparison.Ordinal);
        Assert.DoesNotContain($"id={myId} ", only, StringComparison.Ordinal);
        Assert.Equal("$0\r\n\r\n", await c.CallAsync("CLIENT", "LIST", "TYPE", "pubsub"));
        Assert.Equal("-ERR Unknown client type 'bogus'\r\n", await c.CallAsync("CLIENT", "LIST", "TYPE", "bogus"));
        Assert.Equal("-ERR No such client\r\n", await c.CallAsync("CLIENT", "KILL", "127.0.0.1:1"));
        Assert.Equal(":0\r\n", await c.CallAsync("CLIENT", "KILL", "ID", myId)); // SKIPME yes by default
        Assert.Equal("-ERR client-id should be greater than 0\r\n", await c.CallAsync("CLIENT", "KILL", "ID", "0"));
        Assert.Equal(":1\r\n", await c.CallAsync("CLIENT", "KILL", "ID", otherId));
        Assert.True(await other.IsClosedByServerAsync());
        // The server closed the socket first; its session leaves the list when its read loop has ended, just after.
        await Bounded.UntilAsync(async () => !(await c.CallAsync("CLIENT", "LIST")).Contains($"id={otherId} ", StringComparison.Ordinal), "the killed client to leave CLIENT LIST");
        // Killing itself: the reply, then the connection closes.
        Assert.Equal(":1\r\n", await c.CallAsync("CLIENT", "KILL", "ID", myId, "SKIPME", "no"));
        Assert.True(await c.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Config_get_matches_globs_and_set_changes_only_what_can_change()
    {
        await using var c = await ConnectAsync();
        var reply = await c.CallAsync("CONFIG", "GET", "maxmemory", "databases", "save", "appendonly", "appendfsync", "timeout");
        Assert.Contains("$9\r\nmaxmemory\r\n$1\r\n0\r\n", reply, StringComparison.Ordinal);
        Assert.Contains("$9\r\ndatabases\r\n$1\r\n1\r\n", reply, StringComparison.Ordinal);
        Assert.Contains("$10\r\nappendonly\r\n$2\r\nno\r\n", reply, StringComparison.Ordinal);
        Assert.StartsWith("*12\r\n", reply, StringComparison.Ordinal);
        Assert.Equal("*4\r\n$23\r\nslowlog-log-slower-than\r\n$5\r\n10000\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n", await c.CallAsync("CONFIG", "GET", "SLOWLOG*"));
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - can't set immutable config\r\n", await c.CallAsync("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"));
        Assert.Equal("-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n", await c.CallAsync("CONFIG", "SET", "nosuch", "1"));
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument couldn't be parsed into an integer\r\n", await c.CallAsync("CONFIG", "SET", "slowlog-max-len", "x"));
        Assert.Equal("-ERR wrong number of arguments for 'config|set' command\r\n", await c.CallAsync("CONFIG", "SET", "slowlog-max-len"));
        Assert.Equal("-ERR unknown subcommand 'BOGUS'. Try CONFIG HELP.\r\n", await c.CallAsync("CONFIG", "BOGUS"));
        try
        {
            // Every command is slow from now on: each one is logged, newest first.
            Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "2"));
            Assert.Equal("+OK\r\n", await c.CallAsync("SLOWLOG", "RESET"));
            Assert.Equal("$-1\r\n", await c.CallAsync("GET", RespCluster.KeyOwnedBy(Cluster, 1, "slow")));
            Assert.Equal(":2\r\n", await c.CallAsync("SLOWLOG", "LEN"));
            // Newest first, at most slowlog-max-len: SLOWLOG LEN itself, then the GET.
            var log = await c.CallAsync("SLOWLOG", "GET", "-1");
            Assert.Matches(@"^\*2\r\n\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n\*2\r\n\$7\r\nSLOWLOG\r\n\$3\r\nLEN\r\n\$\d+\r\n127\.0\.0\.1:\d+\r\n\$0\r\n\r\n" +
                @"\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n\*2\r\n\$3\r\nGET\r\n\$\d+\r\nslow:\d+\r\n", log);
        }
        finally
        {
            await c.CallAsync("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128");
        }
    }

    [Fact]
    public async Task Info_prints_the_sections_asked_for_once_each()
    {
        await using var c = await ConnectAsync();
        await c.CallAsync("GET", "info-probe");
        foreach (var arg in new[] { "", "default", "all", "everything" })
        {
            var info = arg.Length == 0 ? await c.CallAsync("INFO") : await c.CallAsync("INFO", arg);
            Assert.Contains("redis_version:", info, StringComparison.Ordinal);
            Assert.Contains("used_cpu_user:", info, StringComparison.Ordinal);
            Assert.Contains("used_memory:", info, StringComparison.Ordinal);
            Assert.Contains("master_repl_offset:", info, StringComparison.Ordinal);
            Assert.Equal(arg is "all" or "everything", info.Contains("rejected_calls", StringComparison.Ordinal));
            Assert.Equal(arg == "everything", info.Contains("# Modules", StringComparison.Ordinal));
        }
        var cpu = await c.CallAsync("INFO", "CPU", "sentinel");
        Assert.Contains("# CPU\r\n", cpu, StringComparison.Ordinal);
        Assert.DoesNotContain("used_memory", cpu, StringComparison.Ordinal);
        var twice = await c.CallAsync("INFO", "cpu", "all");
        Assert.Single(Regex.Matches(twice, "used_cpu_user_children"));
        Assert.Matches(@"cmdstat_get:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0", await c.CallAsync("INFO", "commandstats"));
        Assert.Equal("$0\r\n\r\n", await c.CallAsync("INFO", "nosuchsection"));
        Assert.Matches(@"# Persistence\r\nloading:0\r\n", await c.CallAsync("INFO", "persistence"));
        // The GC's counts since start, which benchmarks/cpu-per-request-ab.sh reads per round.
        var memory = await c.CallAsync("INFO", "memory");
        Assert.Matches(@"fastdht_gc_gen0_collections:\d+\r\nfastdht_gc_gen1_collections:\d+\r\nfastdht_gc_gen2_collections:\d+\r\nfastdht_gc_pause_total_ms:\d+\r\n", memory);
        // The allocation and heap figures benchmarks/node-drift.sh reads per run; a node that has served requests has
        // allocated something, so the counter is not a constant 0.
        Assert.Matches(@"fastdht_gc_allocated_bytes:[1-9]\d*\r\nfastdht_gc_heap_bytes:\d+\r\nfastdht_gc_fragmented_bytes:\d+\r\nfastdht_gc_promoted_bytes:\d+\r\nfastdht_gc_gen2_bytes:\d+\r\nfastdht_gc_loh_bytes:\d+\r\nfastdht_gc_committed_bytes:\d+\r\n", memory);
        Assert.Matches(@"fastdht_threadpool_threads:\d+\r\nfastdht_threadpool_completed_items:\d+\r\n", await c.CallAsync("INFO", "cpu"));
    }

    [Fact]
    public async Task Monitor_shows_the_commands_of_other_connections_as_Redis_prints_them()
    {
        await using var monitor = await ConnectAsync(1);
        await using var c = await ConnectAsync(1);
        Assert.Equal("+OK\r\n", await monitor.CallAsync("MONITOR"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "mon key", "a\"b\n"));
        var line = await monitor.ReadReplyAsync();
        Assert.Matches(@"^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] ""SET"" ""mon key"" ""a\\""b\\n""\r\n$", line);
        Assert.Contains(" flags=O ", await c.CallAsync("CLIENT", "LIST"), StringComparison.Ordinal);
        Assert.Matches(@"""CLIENT"" ""LIST""", await monitor.ReadReplyAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Memory_usage_and_object_run_at_the_keys_owner(int owner)
    {
        await using var c = await ConnectAsync();
        var key = RespCluster.KeyOwnedBy(Cluster, owner, "obj");
        Assert.Equal("$-1\r\n", await c.CallAsync("MEMORY", "USAGE", key));
        Assert.Equal("$-1\r\n", await c.CallAsync("OBJECT", "ENCODING", key));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "12345"));
        Assert.Equal("$3\r\nint\r\n", await c.CallAsync("OBJECT", "ENCODING", key));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, new string('x', 45)));
        Assert.Equal("$3\r\nraw\r\n", await c.CallAsync("OBJECT", "ENCODING", key));
        Assert.Equal(":1\r\n", await c.CallAsync("OBJECT", "REFCOUNT", key));
        // The entry: 24-byte header + 1 (key length) + key + 45 value bytes, rounded to 8, plus 13 of index.
        var entry = 24 + 1 + key.Length + 45;
        Assert.Equal($":{((entry + 7) & ~7) + 13}\r\n", await c.CallAsync("MEMORY", "USAGE", key, "SAMPLES", "5"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("MEMORY", "USAGE", key, "BOGUS"));
        Assert.StartsWith("-ERR An LFU maxmemory policy is not selected", await c.CallAsync("OBJECT", "FREQ", key), StringComparison.Ordinal);
        Assert.Equal("-ERR wrong number of arguments for 'object|encoding' command\r\n", await c.CallAsync("OBJECT", "ENCODING"));
        Assert.StartsWith("*", await c.CallAsync("OBJECT", "HELP"), StringComparison.Ordinal);
    }
}
