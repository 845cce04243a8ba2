using System.Globalization;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>Expiry through RESP, at the key's owner and through another node: Redis's commands, options and errors.</summary>
public sealed class RespExpiryTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<int> Entry => [0, 2];

    private async Task<(RespTestClient Client, string Key)> OpenAsync(int entry, string name)
    {
        var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        return (client, RespCluster.KeyOwnedBy(Cluster, 2, $"{name}{entry}"));
    }

    private static long Integer(string reply)
    {
        Assert.StartsWith(":", reply, StringComparison.Ordinal);
        return long.Parse(reply.AsSpan(1, reply.Length - 3), CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Set_with_an_expiry_reports_its_ttl_and_a_plain_set_drops_it(int entry)
    {
        var (c, k) = await OpenAsync(entry, "ttl");
        await using var _ = c;
        Assert.Equal(":-2\r\n", await c.CallAsync("TTL", k));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "v", "EX", "100"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 99, 100);
        Assert.InRange(Integer(await c.CallAsync("PTTL", k)), 90_000, 100_000);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(Integer(await c.CallAsync("EXPIRETIME", k)), now + 95, now + 105);
        Assert.Equal(":1\r\n", await c.CallAsync("INCR", k + ":n"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "w", "KEEPTTL"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 90, 100);
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "x"));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", k));
        Assert.Equal(":-1\r\n", await c.CallAsync("PEXPIRETIME", k));
        Assert.Equal("+OK\r\n", await c.CallAsync("SETEX", k, "100", "y"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 99, 100);
        Assert.Equal("+OK\r\n", await c.CallAsync("PSETEX", k, "100000", "z"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 99, 100);
        // Commands that change a value keep its expiry, as in Redis.
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "1", "EX", "100"));
        Assert.Equal(":2\r\n", await c.CallAsync("INCR", k));
        Assert.Equal(":2\r\n", await c.CallAsync("APPEND", k, "0"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 90, 100);
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task A_key_past_its_expiry_is_gone_for_every_command(int entry)
    {
        var (c, k) = await OpenAsync(entry, "gone");
        await using var _ = c;
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "v", "PX", "30"));
        await Bounded.UntilAsync(async () => await c.CallAsync("GET", k) == "$-1\r\n", "the key to expire");
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", k));
        Assert.Equal(":-2\r\n", await c.CallAsync("TTL", k));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "v", "PX", "30"));
        await Bounded.UntilAsync(async () => await c.CallAsync("EXISTS", k) == ":0\r\n", "the key to expire");
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "again", "NX"));   // an expired key is absent for NX
        Assert.Equal("$5\r\nagain\r\n", await c.CallAsync("GET", k));
        Assert.Equal(":1\r\n", await c.CallAsync("PEXPIRE", k, "30"));
        await Bounded.UntilAsync(async () => await c.CallAsync("EXISTS", k) == ":0\r\n", "the key to expire");
        Assert.Equal(":0\r\n", await c.CallAsync("DEL", k));                // and for DEL
        Assert.Equal(":1\r\n", await c.CallAsync("INCR", k));               // and INCR starts from zero
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Expire_options_persist_and_getex_follow_redis(int entry)
    {
        var (c, k) = await OpenAsync(entry, "opts");
        await using var _ = c;
        Assert.Equal(":0\r\n", await c.CallAsync("EXPIRE", k, "100"));       // absent
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", k, "v"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXPIRE", k, "100", "XX"));  // has none
        Assert.Equal(":0\r\n", await c.CallAsync("EXPIRE", k, "100", "GT"));  // none is infinite: not greater
        Assert.Equal(":1\r\n", await c.CallAsync("EXPIRE", k, "100", "NX"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXPIRE", k, "200", "NX"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXPIRE", k, "50", "GT"));
        Assert.Equal(":1\r\n", await c.CallAsync("EXPIRE", k, "200", "GT"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXPIRE", k, "300", "LT"));
        Assert.Equal(":1\r\n", await c.CallAsync("EXPIRE", k, "150", "LT"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 149, 150);
        var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 500;
        Assert.Equal(":1\r\n", await c.CallAsync("EXPIREAT", k, at.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal($":{at}\r\n", await c.CallAsync("EXPIRETIME", k));
        Assert.Equal(":1\r\n", await c.CallAsync("PEXPIREAT", k, (at * 1000).ToString(CultureInfo.InvariantCulture)));
        Assert.Equal($":{at * 1000}\r\n", await c.CallAsync("PEXPIRETIME", k));
        Assert.Equal(":1\r\n", await c.CallAsync("PERSIST", k));
        Assert.Equal(":0\r\n", await c.CallAsync("PERSIST", k));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", k));
        Assert.Equal("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", await c.CallAsync("EXPIRE", k, "1", "NX", "XX"));
        Assert.Equal("-ERR GT and LT options at the same time are not compatible\r\n", await c.CallAsync("EXPIRE", k, "1", "GT", "LT"));
        Assert.Equal("-ERR Unsupported option FOO\r\n", await c.CallAsync("EXPIRE", k, "1", "FOO"));
        Assert.Equal("-ERR invalid expire time in 'expire' command\r\n", await c.CallAsync("EXPIRE", k, "9223372036854775807"));

        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GETEX", k, "EX", "100"));
        Assert.InRange(Integer(await c.CallAsync("TTL", k)), 99, 100);
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GETEX", k, "PERSIST"));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", k));
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GETEX", k));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GETEX", k, "EX", "10", "PERSIST"));
        Assert.Equal("-ERR invalid expire time in 'getex' command\r\n", await c.CallAsync("GETEX", k, "EX", "0"));

        // A time already past removes the key (and EXPIRE answers 1, as Redis does).
        Assert.Equal(":1\r\n", await c.CallAsync("EXPIRE", k, "-1"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", k));
    }

    [Fact]
    public async Task Set_expiry_arguments_are_checked_in_redis_words()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("-ERR invalid expire time in 'set' command\r\n", await c.CallAsync("SET", "exp:k", "v", "EX", "0"));
        Assert.Equal("-ERR invalid expire time in 'set' command\r\n", await c.CallAsync("SET", "exp:k", "v", "PX", "-5"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("SET", "exp:k", "v", "EX", "abc"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SET", "exp:k", "v", "PX", "10", "KEEPTTL"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("SET", "exp:k", "v", "EX", "10", "PX", "10"));
        Assert.Equal("-ERR invalid expire time in 'setex' command\r\n", await c.CallAsync("SETEX", "exp:k", "0", "v"));
        Assert.Equal("-ERR invalid expire time in 'psetex' command\r\n", await c.CallAsync("PSETEX", "exp:k", "-1", "v"));
        var past = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000).ToString(CultureInfo.InvariantCulture);
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "exp:k", "v", "PXAT", past));
        Assert.Equal("$-1\r\n", await c.CallAsync("GET", "exp:k"));
    }

    [Fact]
    public async Task Keys_nobody_reads_again_are_reclaimed_by_the_active_pass()
    {
        await using var cluster = await RespCluster.StartAsync(1);
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        for (var i = 0; i < 300; i++)
            Assert.Equal("+OK\r\n", await c.CallAsync("SET", $"reclaim:{i}", "v", "PX", "20"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", "reclaim:kept", "v"));
        // Never read: only the background pass can remove them.
        await Bounded.UntilAsync(() => cluster[0].Store.Count == 1, "the active expiry pass to remove every expired key");
        Assert.Equal("$1\r\nv\r\n", await c.CallAsync("GET", "reclaim:kept"));
    }
}
