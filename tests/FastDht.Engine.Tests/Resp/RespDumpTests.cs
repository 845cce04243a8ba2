using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>DUMP and RESTORE through a 3-node cluster: every type, Redis 7.0's own payloads, the options and the errors.</summary>
public sealed class RespDumpTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    /// <summary>Payloads redis-server 7.0.15 answered to DUMP (made here, not copied): its compact encodings, which FastDht reads.</summary>
    public static TheoryData<string, string, string[], string> RedisPayloads => new()
    {
        { "string", "000568656c6c6f0a006372df766534200a", ["GET"], "$5\r\nhello\r\n" },
        { "int string", "00c139300a009d94ea2793fc08b9", ["GET"], "$5\r\n12345\r\n" },
        { "lzf string", "00c30b3c0361626361e02d020162630a006f6029e4afd764ac", ["GET"], "$60\r\n" + string.Concat(Enumerable.Repeat("abc", 20)) + "\r\n" },
        { "quicklist", "120102141400000004008161028162020701f26079fe04ff0a001e0cdf4640080069", ["LRANGE", "0", "-1"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n7\r\n$7\r\n-100000\r\n" },
        { "intset", "0b14040000000300000090eefeff01000000030000000a00090eec49a6504d88", ["SMISMEMBER", "-70000", "1", "3", "2"], "*4\r\n:1\r\n:1\r\n:1\r\n:0\r\n" },
        { "hash listpack", "1012120000000400816602817602816e020501ff0a008490939f57b4f3c2", ["HMGET", "f", "n"], "*2\r\n$1\r\nv\r\n$1\r\n5\r\n" },
        { "zset listpack", "1115150000000400816202dffe0281610283312e3504ff0a006c359df633d08b5d", ["ZRANGE", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$2\r\n-2\r\n$1\r\na\r\n$3\r\n1.5\r\n" },
    };

    [Theory]
    [MemberData(nameof(RedisPayloads))]
    public async Task A_payload_from_redis_server_restores_with_its_value(string name, string hex, string[] read, string expected)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var key = RespCluster.KeyOwnedBy(Cluster, 2, "rdb-" + name.Replace(' ', '-'));
        await c.CallAsync("DEL", key);
        Assert.Equal("+OK\r\n", await c.CallAsync("RESTORE", key, "0", Latin1(Convert.FromHexString(hex))));
        Assert.Equal(expected, await c.CallAsync([read[0], key, .. read[1..]]));
        if (name == "string")
            Assert.Equal($"${hex.Length / 2}\r\n{Latin1(Convert.FromHexString(hex))}\r\n", await c.CallAsync("DUMP", key)); // byte for byte what Redis dumps
    }

    [Fact]
    public async Task Every_type_round_trips_to_a_key_of_another_node_with_its_ttl()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var source = RespCluster.KeyOwnedBy(Cluster, 0, "dump-src");
        var target = RespCluster.KeyOwnedBy(Cluster, 2, "dump-dst");
        var writes = new (string[] Write, string[] Read)[]
        {
            (["SET", source, "v\r\n\0binary"], ["GET"]),
            (["RPUSH", source, "a", "", "12", "a"], ["LRANGE", "0", "-1"]),
            (["SADD", source, "x", "y", "10"], ["SMEMBERS"]),
            (["HSET", source, "f1", "v1", "f2", ""], ["HGETALL"]),
            (["ZADD", source, "1.5", "m", "-inf", "n", "0.1", "o"], ["ZRANGE", "0", "-1", "WITHSCORES"]),
        };
        foreach (var (write, read) in writes)
        {
            await c.CallAsync("DEL", source, target);
            await c.CallAsync(write);
            var dump = await c.CallAsync("DUMP", source);
            var payload = dump[(dump.IndexOf("\r\n", StringComparison.Ordinal) + 2)..^2];
            Assert.Equal("+OK\r\n", await c.CallAsync("RESTORE", target, "100000", payload));
            Assert.Equal(await c.CallAsync([read[0], source, .. read[1..]]), await c.CallAsync([read[0], target, .. read[1..]]));
            Assert.Equal(await c.CallAsync("TYPE", source), await c.CallAsync("TYPE", target));
            Assert.InRange(long.Parse((await c.CallAsync("PTTL", target))[1..^2]), 1, 100_000);
        }
        Assert.Equal("$-1\r\n", await c.CallAsync("DUMP", "dump-absent"));
    }

    [Fact]
    public async Task Restore_options_and_errors_are_Redis()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "restore-opt");
        await c.CallAsync("DEL", key);
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "first"));
        var dump = await c.CallAsync("DUMP", key);
        var payload = dump[(dump.IndexOf("\r\n", StringComparison.Ordinal) + 2)..^2];
        Assert.Equal("-BUSYKEY Target key name already exists.\r\n", await c.CallAsync("RESTORE", key, "0", payload));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("RESTORE", key, "0", payload, "REPLACE", "BOGUS"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("RESTORE", key, "0", payload, "IDLETIME", "1", "FREQ", "2"));
        Assert.Equal("-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n", await c.CallAsync("RESTORE", key, "0", payload, "FREQ", "256"));
        Assert.Equal("-ERR Invalid IDLETIME value, must be >= 0\r\n", await c.CallAsync("RESTORE", key, "0", payload, "IDLETIME", "-1"));
        Assert.Equal("-ERR Invalid TTL value, must be >= 0\r\n", await c.CallAsync("RESTORE", key, "-1", payload, "REPLACE"));
        Assert.Equal("-ERR DUMP payload version or checksum are wrong\r\n", await c.CallAsync("RESTORE", key, "0", payload[..^1] + "?", "REPLACE"));
        // An intact payload (right version and checksum) of a type FastDht does not read: refused, nothing changed.
        Assert.Equal("-ERR Bad data format\r\n", await c.CallAsync("RESTORE", key, "0", Latin1(Sealed([15, 0])), "REPLACE"));
        Assert.Equal("$5\r\nfirst\r\n", await c.CallAsync("GET", key));

        Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "second"));
        Assert.Equal("+OK\r\n", await c.CallAsync("RESTORE", key, "0", payload, "REPLACE", "FREQ", "100"));
        Assert.Equal("$5\r\nfirst\r\n", await c.CallAsync("GET", key));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", key));
        var inAnHour = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        Assert.Equal("+OK\r\n", await c.CallAsync("RESTORE", key, inAnHour.ToString(), payload, "REPLACE", "ABSTTL", "IDLETIME", "5"));
        Assert.Equal($":{inAnHour}\r\n", await c.CallAsync("PEXPIRETIME", key));
        // An absolute time in the past: nothing is created, and REPLACE still removes the old key.
        Assert.Equal("+OK\r\n", await c.CallAsync("RESTORE", key, "1000", payload, "REPLACE", "ABSTTL"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", key));
    }

    [Fact]
    public async Task Corrupt_payloads_with_a_valid_checksum_are_bad_data_and_harm_nothing()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        var key = RespCluster.KeyOwnedBy(Cluster, 1, "rdb-corrupt");
        // A string declaring 2 GiB, a list declaring 2^31 elements in a few bytes, a quicklist node of an unknown kind.
        foreach (var body in new byte[][] { [0, 0x80, 0x7f, 0xff, 0xff, 0xff, 1], [1, 0x80, 0x7f, 0xff, 0xff, 0xff], [18, 1, 7, 1, 0x61] })
            Assert.Equal("-ERR Bad data format\r\n", await c.CallAsync("RESTORE", key, "0", Latin1(Sealed(body)), "REPLACE"));
        // Every single-byte change of Redis's listpack and quicklist payloads, re-sealed: a value or "Bad data format", never more.
        var random = new Random(13);
        foreach (var hex in new[] { "1115150000000400816202dffe0281610283312e3504ff", "120102141400000004008161028162020701f26079fe04ff" })
        {
            var body = Convert.FromHexString(hex);
            for (var i = 0; i < 60; i++)
            {
                var mutated = (byte[])body.Clone();
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                var reply = await c.CallAsync("RESTORE", key, "0", Latin1(Sealed(mutated)), "REPLACE");
                Assert.True(reply is "+OK\r\n" or "-ERR Bad data format\r\n", reply);
            }
        }
        Assert.Equal("+PONG\r\n", await c.CallAsync("PING"));
    }

    /// <summary>A payload with Redis's footer: RDB version 10 and the CRC-64 of everything before it.</summary>
    private static byte[] Sealed(byte[] body)
    {
        var payload = new byte[body.Length + 10];
        body.CopyTo(payload, 0);
        payload[body.Length] = 10;
        ulong crc = 0;
        foreach (var b in payload.AsSpan(0, body.Length + 2))
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x95AC9329AC4BC9B5 : crc >> 1;
        }
        BitConverter.GetBytes(crc).CopyTo(payload, body.Length + 2);
        return payload;
    }

    private static string Latin1(byte[] bytes) => Encoding.Latin1.GetString(bytes);
}
