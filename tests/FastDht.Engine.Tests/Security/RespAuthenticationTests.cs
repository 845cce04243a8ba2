using FastDht.Engine.CommandTable;
using System.Net;
using FastDht.Engine.Plugins;
using FastDht.Engine.Resp.Internal;
using FastDht.Engine.Security;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol.Resp;
using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Security;

/// <summary>RESP clients of a node with users: -NOAUTH for everything before AUTH, WRONGPASS changes nothing, ACL users' rules hold.</summary>
public sealed class RespAuthenticationTests
{
    private const string Password = "s3cret-requirepass";

    private static Task<TestCluster> StartAsync(int nodes = 1) =>
        RespCluster.StartAsync(nodes, o => o.Users = UserDirectory.WithDefaultPassword(Password));

    /// <summary>A call of <paramref name="spec"/> with enough arguments for its arity, its keys being "guarded".</summary>
    private static string[] Attempt(RespCommandSpec spec)
    {
        var count = Math.Max(Math.Abs(spec.Arity), 2);
        var args = new string[count];
        args[0] = spec.Name;
        for (var i = 1; i < count; i++)
            args[i] = i == 1 ? "guarded" : "1";
        if (spec.Arity == 1 || spec.Arity == -1)
            return [spec.Name];
        return args;
    }

    [Fact]
    public async Task Before_AUTH_every_command_is_answered_NOAUTH_and_changes_nothing()
    {
        await using var cluster = await StartAsync();
        var ep = RespCluster.RespOf(cluster, 0);
        await using var admin = await RespTestClient.ConnectAsync(ep);
        Assert.Equal("+OK\r\n", await admin.CallAsync("AUTH", Password));
        Assert.Equal("+OK\r\n", await admin.CallAsync("SET", "guarded", "original"));

        await using var anonymous = await RespTestClient.ConnectAsync(ep);
        foreach (var spec in RespCommandSpecs.All)
        {
            if (spec.Kind is RespCommandKind.Auth or RespCommandKind.Quit)
                continue;
            var reply = await anonymous.CallAsync(Attempt(spec));
            Assert.True(reply.StartsWith("-NOAUTH", StringComparison.Ordinal), $"{spec.Name}: {reply}");
        }
        Assert.StartsWith("-NOAUTH", await anonymous.CallAsync("NOSUCHCOMMAND", "x"), StringComparison.Ordinal);
        Assert.StartsWith("-NOAUTH", await anonymous.CallAsync("HELLO", "3"), StringComparison.Ordinal);

        // Wrong credentials change nothing.
        Assert.StartsWith("-WRONGPASS", await anonymous.CallAsync("AUTH", "wrong"), StringComparison.Ordinal);
        Assert.StartsWith("-WRONGPASS", await anonymous.CallAsync("AUTH", "default", "wrong"), StringComparison.Ordinal);
        Assert.StartsWith("-WRONGPASS", await anonymous.CallAsync("HELLO", "3", "AUTH", "default", "wrong"), StringComparison.Ordinal);
        Assert.StartsWith("-NOAUTH", await anonymous.CallAsync("SET", "guarded", "evil"), StringComparison.Ordinal);

        Assert.Equal("$8\r\noriginal\r\n", await admin.CallAsync("GET", "guarded"));
        Assert.Equal("$7\r\ndefault\r\n", await admin.CallAsync("ACL", "WHOAMI"));
    }

    [Fact]
    public async Task HELLO_3_AUTH_authenticates_and_switches_protocol_and_RESET_forgets_the_user()
    {
        await using var cluster = await StartAsync();
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var hello = await c.CallAsync("HELLO", "3", "AUTH", "default", Password);
        Assert.StartsWith("%7", hello, StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "k", "v"));
        Assert.Equal("+RESET\r\n", await c.CallAsync("RESET"));
        Assert.StartsWith("-NOAUTH", await c.CallAsync("GET", "k"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_refused_by_ACL_while_queueing_aborts_the_transaction()
    {
        await using var cluster = await StartAsync();
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await admin.CallAsync("AUTH", Password));
        Assert.Equal("+OK\r\n", await admin.CallAsync("ACL", "SETUSER", "txreader", "on", ">tx-pw", "~app:*", "+@read", "+@transaction"));
        Assert.Equal("+OK\r\n", await admin.CallAsync("SET", "app:tx", "before"));

        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await reader.CallAsync("AUTH", "txreader", "tx-pw"));
        Assert.StartsWith("-NOPERM", await reader.CallAsync("WATCH", "other:tx"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await reader.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await reader.CallAsync("GET", "app:tx"));
        Assert.StartsWith("-NOPERM", await reader.CallAsync("SET", "app:tx", "evil"), StringComparison.Ordinal);
        Assert.StartsWith("-EXECABORT", await reader.CallAsync("EXEC"), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await reader.CallAsync("MULTI"));
        Assert.Equal("+QUEUED\r\n", await reader.CallAsync("GET", "app:tx"));
        Assert.Equal("*1\r\n$6\r\nbefore\r\n", await reader.CallAsync("EXEC"));
        Assert.Equal("$6\r\nbefore\r\n", await admin.CallAsync("GET", "app:tx"));
    }

    [Fact]
    public async Task A_script_runs_each_command_with_the_rights_of_the_user_who_sent_it()
    {
        await using var cluster = await StartAsync();
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await admin.CallAsync("AUTH", Password));
        Assert.Equal("+OK\r\n", await admin.CallAsync("ACL", "SETUSER", "scripter", "on", ">sc-pw", "~app:*", "+@read", "+@scripting"));
        Assert.Equal("+OK\r\n", await admin.CallAsync("MSET", "app:s", "one", "other:s", "two"));
        await using var scripter = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await scripter.CallAsync("AUTH", "scripter", "sc-pw"));
        Assert.Equal("$3\r\none\r\n", await scripter.CallAsync("EVAL", "return redis.call('get', KEYS[1])", "1", "app:s"));
        // A script is no way around the user's rules: no write, no key outside its prefix, no admin command.
        Assert.StartsWith("-NOPERM", await scripter.CallAsync("EVAL", "return redis.call('set', KEYS[1], 'evil')", "1", "app:s"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await scripter.CallAsync("EVAL", "return redis.call('get', KEYS[1])", "1", "other:s"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await scripter.CallAsync("SHUTDOWN", "NOSAVE"), StringComparison.Ordinal);
        Assert.Equal("$3\r\none\r\n", await admin.CallAsync("GET", "app:s"));
    }

    [Fact]
    public async Task An_ACL_user_that_reads_one_prefix_reads_it_and_nothing_else()
    {
        await using var cluster = await StartAsync();
        await using var admin = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await admin.CallAsync("AUTH", Password));
        Assert.Equal("+OK\r\n", await admin.CallAsync("ACL", "SETUSER", "reader", "on", ">reader-pw", "~app:*", "+@read"));
        Assert.Equal("+OK\r\n", await admin.CallAsync("MSET", "app:1", "one", "other:1", "two"));
        var list = await admin.CallAsync("ACL", "LIST");
        Assert.Contains("user reader on #pbkdf2-sha256$", list, StringComparison.Ordinal);
        Assert.DoesNotContain("reader-pw", list, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, list, StringComparison.Ordinal);
        Assert.Contains("reader", await admin.CallAsync("ACL", "USERS"), StringComparison.Ordinal);
        Assert.Contains("$3\r\nget\r\n", await admin.CallAsync("ACL", "CAT", "read"), StringComparison.Ordinal);
        Assert.DoesNotContain("$3\r\nset\r\n", await admin.CallAsync("ACL", "CAT", "read"), StringComparison.Ordinal);
        Assert.Contains("client|kill", await admin.CallAsync("ACL", "CAT", "dangerous"), StringComparison.Ordinal);

        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        Assert.Equal("+OK\r\n", await reader.CallAsync("AUTH", "reader", "reader-pw"));
        Assert.Equal("$6\r\nreader\r\n", await reader.CallAsync("ACL", "WHOAMI"));
        Assert.Equal("$3\r\none\r\n", await reader.CallAsync("GET", "app:1"));
        Assert.StartsWith("-NOPERM", await reader.CallAsync("GET", "other:1"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("MGET", "app:1", "other:1"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("SET", "app:1", "evil"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("DEL", "app:1"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("KEYS", "*"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("FLUSHALL"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("ACL", "SETUSER", "reader", "+@all"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("CLIENT", "KILL", "ID", "1"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("CLIENT", "LIST"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("MONITOR"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", await reader.CallAsync("CONFIG", "SET", "slowlog-log-slower-than", "0"), StringComparison.Ordinal);
        Assert.StartsWith(":", await reader.CallAsync("CLIENT", "ID"), StringComparison.Ordinal);
        Assert.StartsWith("*", await reader.CallAsync("CLUSTER", "SLOTS"), StringComparison.Ordinal);
        Assert.Equal("+PONG\r\n", await reader.CallAsync("PING"));
        Assert.Equal("$3\r\none\r\n", await admin.CallAsync("GET", "app:1"));

        Assert.Equal(":1\r\n", await admin.CallAsync("ACL", "DELUSER", "reader"));
        Assert.StartsWith("-NOAUTH", await reader.CallAsync("GET", "app:1"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await admin.CallAsync("ACL", "SETUSER", "x", "+nosuchcommand"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await admin.CallAsync("ACL", "DELUSER", "default"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StackExchange_Redis_with_a_password_works_across_the_cluster_and_without_one_is_refused()
    {
        await using var cluster = await StartAsync(3);
        var ep = RespCluster.RespOf(cluster, 0);
        var options = new ConfigurationOptions
        {
            EndPoints = { { ep.Address.ToString(), ep.Port } },
            Password = Password,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
        };
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect"))
        {
            Assert.Equal(3, redis.GetEndPoints().Length);
            var db = redis.GetDatabase();
            for (var i = 0; i < 30; i++)
                Assert.True(await db.StringSetAsync($"se:{i}", $"v{i}"));
            Assert.Equal("v17", (string?)await db.StringGetAsync("se:17"));
        }

        options.Password = null;
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2_000; // it cannot succeed: no need to wait long for its handshake to fail
        await using var anonymous = await ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect");
        await Assert.ThrowsAnyAsync<RedisException>(() => anonymous.GetDatabase().StringGetAsync("se:1"));
    }

    [Fact]
    public async Task MONITOR_never_shows_a_password()
    {
        await using var cluster = await StartAsync();
        var ep = RespCluster.RespOf(cluster, 0);
        await using var monitor = await RespTestClient.ConnectAsync(ep);
        Assert.Equal("+OK\r\n", await monitor.CallAsync("AUTH", Password));
        Assert.Equal("+OK\r\n", await monitor.CallAsync("MONITOR"));
        await using var other = await RespTestClient.ConnectAsync(ep);
        Assert.Equal("+OK\r\n", await other.CallAsync("AUTH", "default", Password));
        Assert.StartsWith("%", await other.CallAsync("HELLO", "3", "AUTH", "default", Password), StringComparison.Ordinal);
        Assert.Equal("+OK\r\n", await other.CallAsync("ACL", "SETUSER", "x", ">hidden-password"));
        Assert.Equal("+OK\r\n", await other.CallAsync("SET", "marker", "1"));
        // The first line the monitor sees is the SET: nothing before it carried a password.
        var line = await monitor.ReadReplyAsync();
        Assert.Contains("\"marker\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, line, StringComparison.Ordinal);
    }
}
