using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>MULTI/EXEC/DISCARD/WATCH and RENAME/RENAMENX/COPY over keys on different nodes, through a node that owns few of them.</summary>
public sealed class RespTransactionTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Exec_runs_the_queued_commands_of_every_node_with_each_reply_and_nothing_runs_before_it()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "tx");
        var b = RespCluster.KeyOwnedBy(Cluster, 1, "tx");
        var d = RespCluster.KeyOwnedBy(Cluster, 2, "tx");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var other = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", d, "text"));
        var id = (await c.CallAsync("CLIENT", "ID"))[1..^2];
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", a, "5"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("INCRBY", a, "2"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("APPEND", b, "xy"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("INCR", d)); // a runtime error: reported in its place, the rest applies
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("MGET", a, b, d));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("PING"));
        // CLIENT LIST shows the connection in a transaction with its queue, as Redis does (flag x, multi=count).
        var listed = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using (listed)
            Assert.Matches(@"flags=x .* multi=6 ", await listed.CallAsync("CLIENT", "LIST", "ID", id));
        // Queued, not run: another connection sees nothing yet (the defect was that queued commands ran at once).
        Assert.Equal("$-1\r\n", await other.CallAsync("GET", a));
        Assert.Equal("$-1\r\n", await other.CallAsync("GET", b));
        Assert.Equal(
            "*6\r\n+OK\r\n:7\r\n:2\r\n-ERR value is not an integer or out of range\r\n*3\r\n$1\r\n7\r\n$2\r\nxy\r\n$4\r\ntext\r\n+PONG\r\n",
            await c.CallAsync("EXEC"));
        Assert.Equal("$1\r\n7\r\n", await other.CallAsync("GET", a));
        Assert.Equal("$2\r\nxy\r\n", await other.CallAsync("GET", b));
        Assert.Equal("*0\r\n", await c.CallAsync("MULTI") is "+OK\r\n" ? await c.CallAsync("EXEC") : "not in MULTI");
    }

    [Fact]
    public async Task A_queueing_error_aborts_exec_and_discard_drops_the_queue()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "txabort");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "txabort");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("-ERR EXEC without MULTI\r\n", await c.CallAsync("EXEC"));
        Assert.Equal("-ERR DISCARD without MULTI\r\n", await c.CallAsync("DISCARD"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("-ERR MULTI calls can not be nested\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", a, "1"));
        Assert.StartsWith("-ERR unknown command 'NOSUCH'", await c.CallAsync("NOSUCH", "x"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command\r\n", await c.CallAsync("GET"));
        Assert.Equal("-ERR Command not allowed inside a transaction\r\n", await c.CallAsync("SAVE")); // Redis's no-multi flag
        Assert.Equal("-ERR WATCH inside MULTI is not allowed\r\n", await c.CallAsync("WATCH", a));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", b, "2"));
        Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", await c.CallAsync("EXEC"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", a, b));

        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", a, "1"));
        Assert.Equal("+OK\r\n", await c.CallAsync("DISCARD"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", a));
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING")); // out of MULTI again
    }

    [Fact]
    public async Task Watch_of_a_key_on_another_node_aborts_exec_when_the_key_changed()
    {
        var w = RespCluster.KeyOwnedBy(Cluster, 2, "watched");
        var t = RespCluster.KeyOwnedBy(Cluster, 0, "watchtarget");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var other = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", w, "30"));

        // Unchanged: EXEC runs.
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", w, "watch:absent"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("INCR", w));
        Assert.Equal("*1\r\n:31\r\n", await c.CallAsync("EXEC"));

        // Written by another client (even with the same value): EXEC answers null and runs nothing.
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", w));
        Assert.Equal("+OK\r\n", await other.CallAsync("SET", w, "31"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", t, "moved"));
        Assert.Equal("*-1\r\n", await c.CallAsync("EXEC"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", t));

        // A key watched while absent and created since is a change too (it passed as unchanged: absent and
        // unversioned both read as version 0).
        var created = RespCluster.KeyOwnedBy(Cluster, 2, "watchcreated");
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", created));
        Assert.Equal("+OK\r\n", await other.CallAsync("SET", created, "new"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", t, "moved"));
        Assert.Equal("*-1\r\n", await c.CallAsync("EXEC"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", t));

        // EXEC unwatches: the same transaction now runs.
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", t, "moved"));
        Assert.Equal("*1\r\n+OK\r\n", await c.CallAsync("EXEC"));

        // An expiry set by another client is a change too; UNWATCH forgets it.
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", w));
        Assert.Equal(":1\r\n", await other.CallAsync("EXPIRE", w, "100"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("PING"));
        Assert.Equal("*-1\r\n", await c.CallAsync("EXEC"));
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", w));
        Assert.Equal(":1\r\n", await other.CallAsync("PERSIST", w));
        Assert.Equal("+OK\r\n", await c.CallAsync("UNWATCH"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("PING"));
        Assert.Equal("*1\r\n+PONG\r\n", await c.CallAsync("EXEC"));
    }

    [Fact]
    public async Task Node_commands_queue_inside_multi_and_run_in_their_place_at_exec()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "txnode");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "txnode");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var other = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", a, "old"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", b, "1"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("FLUSHALL"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", a, "new"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("CONFIG", "SET", "slowlog-max-len", "77"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("CONFIG", "SET", "maxmemory", "bla"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("DBSIZE"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("GET", a));
        // Queued, not run: the setting and the keys are as they were (the defect: CONFIG, FLUSHALL... were refused).
        Assert.Equal("*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n", await other.CallAsync("CONFIG", "GET", "slowlog-max-len"));
        Assert.Equal("$3\r\nold\r\n", await other.CallAsync("GET", a));
        // Each reply in its place, a run-time error included; effects in queue order: b was set, then flushed, then a set.
        Assert.Equal(
            "*7\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n:1\r\n$3\r\nnew\r\n",
            await c.CallAsync("EXEC"));
        Assert.Equal(":0\r\n", await other.CallAsync("EXISTS", b));
        Assert.Equal("$3\r\nnew\r\n", await other.CallAsync("GET", a));
        Assert.Equal("*2\r\n$15\r\nslowlog-max-len\r\n$2\r\n77\r\n", await other.CallAsync("CONFIG", "GET", "slowlog-max-len"));
        Assert.Equal("+OK\r\n", await other.CallAsync("CONFIG", "SET", "slowlog-max-len", "128"));

        // A WATCHed key changed: nothing of the queue runs, the node commands neither.
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", b));
        Assert.Equal("+OK\r\n", await other.CallAsync("SET", b, "changed"));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("CONFIG", "SET", "slowlog-max-len", "5"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("DEL", a));
        Assert.Equal("*-1\r\n", await c.CallAsync("EXEC"));
        Assert.Equal(":1\r\n", await other.CallAsync("EXISTS", a));
        Assert.Equal("*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n", await other.CallAsync("CONFIG", "GET", "slowlog-max-len"));
        // Unchanged: it runs.
        Assert.Equal("+OK\r\n", await c.CallAsync("WATCH", b));
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("DEL", a));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("CONFIG", "GET", "maxmemory"));
        Assert.Equal("*2\r\n:1\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", await c.CallAsync("EXEC"));
    }

    [Fact]
    public async Task A_connection_that_kills_itself_inside_exec_gets_the_whole_reply_and_the_rest_runs()
    {
        var k = RespCluster.KeyOwnedBy(Cluster, 2, "killself");
        var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var _ = c;
        var id = (await c.CallAsync("CLIENT", "ID"))[1..^2];
        Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("CLIENT", "KILL", "ID", id, "SKIPME", "no"));
        Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", k, "after"));
        // As Redis closes a client that kills itself after its reply: EXEC's whole array, then the close (the defect:
        // the connection closed right after the kill's reply, cutting the array short, and the SET never ran).
        Assert.Equal("*2\r\n:1\r\n+OK\r\n", await c.CallAsync("EXEC"));
        Assert.True(await c.IsClosedByServerAsync());
        await using var other = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        Assert.Equal("$5\r\nafter\r\n", await other.CallAsync("GET", k));
    }

    [Fact]
    public async Task Maxmemory_refuses_commands_that_add_memory_outside_and_inside_multi()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 2, "oom");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        const string Oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", a, "1"));
        Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "maxmemory", "2mb"));
        Assert.Equal("*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n", await admin.CallAsync("CONFIG", "GET", "maxmemory"));
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n", await admin.CallAsync("CONFIG", "SET", "maxmemory", "-1"));
        try
        {
            // 1 byte: the node is over it whatever it holds.
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "maxmemory", "1"));
            Assert.Contains("maxmemory:1\r\n", await admin.CallAsync("INFO", "memory"), StringComparison.Ordinal);
            Assert.Equal(Oom, await c.CallAsync("SET", a, "2"));
            Assert.Equal(Oom, await c.CallAsync("INCR", a));
            Assert.Equal(Oom, await c.CallAsync("MSET", a, "3", a + ":x", "4"));
            Assert.Equal("$1\r\n1\r\n", await c.CallAsync("GET", a)); // reads and deletes go on
            // Queueing a command that adds memory is refused and dooms the EXEC; DISCARD still works.
            Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
            Assert.Equal("+QUEUED\r\n", await c.CallAsync("GET", a));
            Assert.Equal(Oom, await c.CallAsync("SET", a, "2"));
            Assert.Equal("-EXECABORT Transaction discarded because of previous errors.\r\n", await c.CallAsync("EXEC"));
            Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
            Assert.Equal(Oom, await c.CallAsync("SET", a, "2"));
            Assert.Equal("+OK\r\n", await c.CallAsync("DISCARD"));
            // A read-only transaction runs while over the limit.
            Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
            Assert.Equal("+QUEUED\r\n", await c.CallAsync("GET", a));
            Assert.Equal("*1\r\n$1\r\n1\r\n", await c.CallAsync("EXEC"));
            // Queued under the limit, executed over it: EXEC refuses, as Redis does, and nothing runs.
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "maxmemory", "0"));
            Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
            Assert.Equal("+QUEUED\r\n", await c.CallAsync("SET", a, "5"));
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "maxmemory", "1"));
            Assert.Equal("-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n", await c.CallAsync("EXEC"));
            Assert.Equal(":1\r\n", await c.CallAsync("DEL", a));
        }
        finally
        {
            Assert.Equal("+OK\r\n", await admin.CallAsync("CONFIG", "SET", "maxmemory", "0"));
        }
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", a, "6"));
    }

    [Fact]
    public async Task Maxmemory_can_be_set_at_start()
    {
        await using var cluster = await RespCluster.StartAsync(1, o => o.MaxMemory = 1);
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("*2\r\n$9\r\nmaxmemory\r\n$1\r\n1\r\n", await c.CallAsync("CONFIG", "GET", "maxmemory"));
        Assert.Equal("-OOM command not allowed when used memory > 'maxmemory'.\r\n", await c.CallAsync("SET", "k", "v"));
        Assert.Equal("+OK\r\n", await c.CallAsync("CONFIG", "SET", "maxmemory", "0"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "k", "v"));
    }

    [Fact]
    public async Task Concurrent_transfers_between_keys_on_two_nodes_keep_the_total()
    {
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "acct");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "acct");
        await using var setup = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await setup.CallAsync("MSET", a, "1000", b, "1000"));
        const int clients = 4;
        const int transfers = 25;
        var workers = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
        {
            await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, i % 3));
            for (var n = 0; n < transfers; n++)
            {
                Assert.Equal("+OK\r\n", await c.CallAsync("MULTI"));
                Assert.Equal("+QUEUED\r\n", await c.CallAsync("DECRBY", i % 2 == 0 ? a : b, "3"));
                Assert.Equal("+QUEUED\r\n", await c.CallAsync("INCRBY", i % 2 == 0 ? b : a, "3"));
                var reply = await c.CallAsync("EXEC");
                Assert.StartsWith("*2\r\n:", reply);
            }
        })).ToArray();
        var all = Task.WhenAll(workers);
        // A reader never sees one side of a transfer without the other.
        for (var n = 0; n < 200 && !all.IsCompleted; n++)
        {
            var lines = (await setup.CallAsync("MGET", a, b)).Split("\r\n");
            Assert.Equal(2000, long.Parse(lines[2]) + long.Parse(lines[4]));
        }
        await all.WithinAsync("the transfers");
        var final = (await setup.CallAsync("MGET", a, b)).Split("\r\n");
        Assert.Equal(2000, long.Parse(final[2]) + long.Parse(final[4]));
    }

    [Fact]
    public async Task Rename_renamenx_and_copy_move_values_and_ttls_between_nodes()
    {
        var src = RespCluster.KeyOwnedBy(Cluster, 0, "mvsrc");
        var dst = RespCluster.KeyOwnedBy(Cluster, 2, "mvdst");
        var third = RespCluster.KeyOwnedBy(Cluster, 1, "mvthird");
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", src, "v1", "EX", "100"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", dst, "old", "EX", "5000"));
        Assert.Equal("+OK\r\n", await c.CallAsync("RENAME", src, dst));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", src));
        Assert.Equal("$2\r\nv1\r\n", await c.CallAsync("GET", dst));
        var ttl = long.Parse((await c.CallAsync("TTL", dst))[1..^2]);
        Assert.InRange(ttl, 90, 100); // the source's TTL moved with it, not the destination's
        Assert.Equal("-ERR no such key\r\n", await c.CallAsync("RENAME", src, dst));
        Assert.Equal("+OK\r\n", await c.CallAsync("RENAME", dst, dst));

        Assert.Equal("+OK\r\n", await c.CallAsync("SET", src, "v2"));
        Assert.Equal(":0\r\n", await c.CallAsync("RENAMENX", src, dst));
        Assert.Equal(":1\r\n", await c.CallAsync("RENAMENX", dst, third));
        Assert.Equal("$2\r\nv1\r\n", await c.CallAsync("GET", third));

        Assert.Equal(":1\r\n", await c.CallAsync("COPY", third, dst));
        Assert.Equal(":0\r\n", await c.CallAsync("COPY", src, dst));
        Assert.Equal(":1\r\n", await c.CallAsync("COPY", src, dst, "REPLACE"));
        Assert.Equal("$2\r\nv2\r\n", await c.CallAsync("GET", dst));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", dst));
        Assert.Equal(":1\r\n", await c.CallAsync("COPY", third, dst, "DB", "0", "REPLACE"));
        Assert.InRange(long.Parse((await c.CallAsync("TTL", dst))[1..^2]), 90, 100);
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("COPY", src, dst, "DB", "x"));
        Assert.Equal("-ERR DB index is out of range\r\n", await c.CallAsync("COPY", src, dst, "DB", "1"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("COPY", src, dst, "NOPE"));
        Assert.Equal("-ERR source and destination objects are the same\r\n", await c.CallAsync("COPY", src, src));
        Assert.Equal(":0\r\n", await c.CallAsync("COPY", "mv:absent", dst));
    }
}
