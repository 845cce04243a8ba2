using System.Security.Cryptography;
using System.Text;
using FastDht.Engine.Tests.Resp;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// BITOP, BITFIELD/BITFIELD_RO, the HyperLogLog commands and GEOADD/GEOPOS/GEODIST/GEOHASH against replies recorded
/// from redis-server 7.0.15 for the same command sequences (errors included), through a node that owns none of the keys
/// and at an owner; BITOP and PFMERGE over keys of all three nodes. A HyperLogLog's bytes must be Redis's, so that
/// GET/SET and DUMP/RESTORE move one between Redis and FastDht.
/// </summary>
public sealed class RespBitmapHyperLogLogTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    public static TheoryData<int> Entry => [0, 2];

    private static string Sha256(string latin1Bulk)
    {
        // The reply is "$len\r\n<bytes>\r\n" read as Latin-1: the value's bytes are its characters.
        var start = latin1Bulk.IndexOf("\r\n", StringComparison.Ordinal) + 2;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.Latin1.GetBytes(latin1Bulk[start..^2])));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Bitop_over_keys_of_every_node_answers_as_redis(int entry)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        // Sources and destination spread over the three nodes: BITOP runs as one transaction of the coordinator.
        var a = RespCluster.KeyOwnedBy(Cluster, 0, $"bitop{entry}a");
        var b = RespCluster.KeyOwnedBy(Cluster, 1, $"bitop{entry}b");
        var d = RespCluster.KeyOwnedBy(Cluster, 2, $"bitop{entry}d");
        var l = RespCluster.KeyOwnedBy(Cluster, 1, $"bitop{entry}l");
        var e = RespCluster.KeyOwnedBy(Cluster, 0, $"bitop{entry}e");
        var sk = RespCluster.KeyOwnedBy(Cluster, 2, $"bitop{entry}s");
        var lk = RespCluster.KeyOwnedBy(Cluster, 1, $"bitop{entry}lk");
        var nokey = RespCluster.KeyOwnedBy(Cluster, 0, $"bitop{entry}none");
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", a, "foobar"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", b, "abcdef"));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "AND", d, a, b));
        Assert.Equal("$6\r\n`bc`ab\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "OR", d, a, b));
        Assert.Equal("$6\r\ngoofev\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "XOR", d, a, b));
        Assert.Equal("$6\r\n\u0007\r\u000c\u0006\u0004\u0014\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "NOT", d, a));
        Assert.Equal("$6\r\n\u0099\u0090\u0090\u009d\u009e\u008d\r\n", await c.CallAsync("GET", d));
        Assert.Equal("-ERR BITOP NOT must be called with a single source key.\r\n", await c.CallAsync("BITOP", "not", d, a, b));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("BITOP", "nand", d, a));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "AND", d, a, nokey));
        Assert.Equal("$6\r\n\u0000\u0000\u0000\u0000\u0000\u0000\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":0\r\n", await c.CallAsync("BITOP", "OR", d, nokey, nokey));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", d));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", sk, "ab"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", lk, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789"));
        Assert.Equal(":62\r\n", await c.CallAsync("BITOP", "AND", d, lk, sk));
        Assert.Equal("$62\r\nab\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":62\r\n", await c.CallAsync("BITOP", "OR", d, sk, lk));
        Assert.Equal("$62\r\nabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":62\r\n", await c.CallAsync("BITOP", "XOR", d, lk, sk, a));
        Assert.Equal("$62\r\nfo\u000c\u0006\u0004\u0014ghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789\r\n", await c.CallAsync("GET", d));
        Assert.Equal(":1\r\n", await c.CallAsync("RPUSH", l, "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("BITOP", "AND", d, a, l));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "AND", l, a, b));
        Assert.Equal("+string\r\n", await c.CallAsync("TYPE", l));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", e, "x", "EX", "100"));
        Assert.Equal(":6\r\n", await c.CallAsync("BITOP", "OR", e, a));
        Assert.Equal(":-1\r\n", await c.CallAsync("TTL", e));
        Assert.Equal("-ERR wrong number of arguments for 'bitop' command\r\n", await c.CallAsync("BITOP", "AND", d));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Bitfield_and_bitfield_ro_answer_as_redis(int entry)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        var f = RespCluster.KeyOwnedBy(Cluster, 2, $"bitfield{entry}f");
        var g = RespCluster.KeyOwnedBy(Cluster, 2, $"bitfield{entry}g");
        var e = RespCluster.KeyOwnedBy(Cluster, 2, $"bitfield{entry}e");
        var l = RespCluster.KeyOwnedBy(Cluster, 2, $"bitfield{entry}l");
        var nokey = RespCluster.KeyOwnedBy(Cluster, 2, $"bitfield{entry}none");
        Assert.Equal("*2\r\n:0\r\n:100\r\n", await c.CallAsync("BITFIELD", f, "SET", "i8", "0", "100", "GET", "i8", "0"));
        Assert.Equal("*2\r\n:1\r\n:6\r\n", await c.CallAsync("BITFIELD", f, "INCRBY", "i5", "100", "1", "GET", "u4", "0"));
        Assert.Equal("*2\r\n:1\r\n:1\r\n", await c.CallAsync("BITFIELD", f, "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1"));
        Assert.Equal("*2\r\n:2\r\n:2\r\n", await c.CallAsync("BITFIELD", f, "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1"));
        Assert.Equal("*2\r\n:3\r\n:3\r\n", await c.CallAsync("BITFIELD", f, "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1"));
        Assert.Equal("*1\r\n$-1\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "FAIL", "INCRBY", "u2", "102", "1"));
        Assert.Equal("*3\r\n:-56\r\n:44\r\n:50\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-250"));
        Assert.Equal("*4\r\n:127\r\n:127\r\n:-123\r\n:-128\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-250", "INCRBY", "i8", "0", "-250"));
        Assert.Equal("*2\r\n$-1\r\n$-1\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-100", "INCRBY", "i8", "0", "-100"));
        Assert.Equal("$14\r\n\u0080\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u000f\u0080\r\n", await c.CallAsync("GET", f));
        Assert.Equal("*7\r\n:0\r\n:255\r\n:-1\r\n:0\r\n:65535\r\n:-9151595917793492993\r\n:71776119061282815\r\n", await c.CallAsync("BITFIELD", f, "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "i8", "#1", "SET", "i16", "#3", "-1", "GET", "u16", "48", "GET", "i64", "0", "GET", "u63", "1"));
        Assert.Equal("*2\r\n:-9151595917793492993\r\n:-9223372036854775808\r\n", await c.CallAsync("BITFIELD", f, "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"));
        Assert.Equal("*5\r\n:-9223372036854775808\r\n:9223372036854775807\r\n:-1\r\n:-9223372036854775808\r\n:-9223372036854775808\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-9223372036854775808"));
        Assert.Equal("*2\r\n:-9223372036854775808\r\n:9223372036854775807\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "WRAP", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"));
        Assert.Equal("*5\r\n:4611686018427387903\r\n:9223372036854775807\r\n:255\r\n:-1\r\n:7\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "SAT", "SET", "u63", "0", "-1", "GET", "u63", "0", "SET", "u8", "0", "300", "SET", "i4", "0", "100", "SET", "i4", "0", "-100"));
        Assert.Equal("*8\r\n:143\r\n:44\r\n:2\r\n:4\r\n:0\r\n:-1\r\n:1\r\n:1\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "WRAP", "SET", "u8", "0", "300", "GET", "u8", "0", "SET", "i4", "0", "100", "GET", "i4", "0", "SET", "i1", "0", "1", "GET", "i1", "0", "SET", "u1", "0", "3", "GET", "u1", "0"));
        Assert.Equal("*4\r\n$-1\r\n$-1\r\n$-1\r\n:-4\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "FAIL", "SET", "u8", "0", "300", "SET", "i4", "0", "8", "SET", "i4", "0", "-9", "SET", "i4", "0", "-8"));
        Assert.Equal("*3\r\n:5080060379673919486\r\n:5080060379673919485\r\n:5080060379673919485\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "WRAP", "INCRBY", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "-9223372036854775808"));
        Assert.Equal("*3\r\n:5080060379673919484\r\n:0\r\n:1023\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-1", "INCRBY", "u63", "0", "-9223372036854775808", "INCRBY", "u10", "3", "2000"));
        Assert.Equal("$14\r\n\u001f\u00f8\u0000\u0000\u0000\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u000f\u0080\r\n", await c.CallAsync("GET", f));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD", f, "GET", "u64", "0"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD", f, "GET", "i65", "0"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD", f, "GET", "i0", "0"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD", f, "GET", "x8", "0"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD", f, "GET", "i", "0"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD", f, "GET", "", "0"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "-1"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "#-1"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "4294967296"));
        Assert.Equal("*1\r\n:0\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "4294967295"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "#536870912"));
        Assert.Equal("*1\r\n:0\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "#536870911"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "abc"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "##1"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "SET", "i8", "0", "abc"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "SET", "i8", "0", "99999999999999999999"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("BITFIELD", f, "INCRBY", "i8", "0"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW"));
        Assert.Equal("-ERR Invalid OVERFLOW type specified\r\n", await c.CallAsync("BITFIELD", f, "OVERFLOW", "foo", "GET", "i8", "0"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("BITFIELD", f, "FOO", "i8", "0"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "0", "SET"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", f, "GET", "i8", "0", "GET", "u8", "x"));
        Assert.Equal("*0\r\n", await c.CallAsync("BITFIELD", f));
        Assert.Equal("*0\r\n", await c.CallAsync("BITFIELD", nokey));
        Assert.Equal("*2\r\n:0\r\n:0\r\n", await c.CallAsync("BITFIELD", nokey, "GET", "u8", "0", "GET", "i32", "1000"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", nokey));
        Assert.Equal("*1\r\n$-1\r\n", await c.CallAsync("BITFIELD", g, "OVERFLOW", "FAIL", "SET", "u2", "10", "7"));
        Assert.Equal(":1\r\n", await c.CallAsync("EXISTS", g));
        Assert.Equal("$2\r\n\u0000\u0000\r\n", await c.CallAsync("GET", g));
        Assert.Equal(":1\r\n", await c.CallAsync("RPUSH", l, "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("BITFIELD", l, "GET", "u8", "0"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("BITFIELD", l, "SET", "u8", "0", "1"));
        Assert.Equal("-ERR bit offset is not an integer or out of range\r\n", await c.CallAsync("BITFIELD", l, "SET", "u8", "x", "1"));
        Assert.Equal("*2\r\n:31\r\n:0\r\n", await c.CallAsync("BITFIELD_RO", f, "GET", "u8", "0", "GET", "i16", "#2"));
        Assert.Equal("-ERR BITFIELD_RO only supports the GET subcommand\r\n", await c.CallAsync("BITFIELD_RO", f, "SET", "u8", "0", "1"));
        Assert.Equal("-ERR BITFIELD_RO only supports the GET subcommand\r\n", await c.CallAsync("BITFIELD_RO", f, "INCRBY", "u8", "0", "1", "GET", "u8", "0"));
        Assert.Equal("*1\r\n:31\r\n", await c.CallAsync("BITFIELD_RO", f, "OVERFLOW", "SAT", "GET", "u8", "0"));
        Assert.Equal("-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n", await c.CallAsync("BITFIELD_RO", f, "SET", "x8", "0", "1"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("BITFIELD_RO", l, "GET", "u8", "0"));
        Assert.Equal("-ERR BITFIELD_RO only supports the GET subcommand\r\n", await c.CallAsync("BITFIELD_RO", l, "SET", "u8", "0", "1"));
        Assert.Equal("*1\r\n:0\r\n", await c.CallAsync("BITFIELD_RO", nokey, "GET", "u8", "0"));
        Assert.Equal("-ERR wrong number of arguments for 'bitfield_ro' command\r\n", await c.CallAsync("BITFIELD_RO"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", e, "x", "EX", "100"));
        Assert.Equal("*1\r\n:0\r\n", await c.CallAsync("BITFIELD", e, "SET", "u8", "100", "1"));
        Assert.InRange(long.Parse((await c.CallAsync("TTL", e))[1..^2]), 1, 100); // kept
        // Past the node's largest value (64 MiB here; Redis's limit is its 512 MB proto-max-bulk-len): SETBIT's error.
        Assert.Equal("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", await c.CallAsync("BITFIELD", g, "SET", "u8", "4294967000", "1"));
        Assert.Equal("$2\r\n\u0000\u0000\r\n", await c.CallAsync("GET", g));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Pfadd_pfcount_pfmerge_answer_as_redis_with_redis_bytes(int entry)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        // Keys of all three nodes: PFCOUNT of several keys and PFMERGE run as transactions of the coordinator.
        var h = RespCluster.KeyOwnedBy(Cluster, 0, $"hll{entry}h");
        var h2 = RespCluster.KeyOwnedBy(Cluster, 1, $"hll{entry}h2");
        var h3 = RespCluster.KeyOwnedBy(Cluster, 2, $"hll{entry}h3");
        var hnew = RespCluster.KeyOwnedBy(Cluster, 2, $"hll{entry}new");
        var hc = RespCluster.KeyOwnedBy(Cluster, 2, $"hll{entry}c");
        var hc2 = RespCluster.KeyOwnedBy(Cluster, 1, $"hll{entry}c2");
        var hd = RespCluster.KeyOwnedBy(Cluster, 0, $"hll{entry}d");
        var hs = RespCluster.KeyOwnedBy(Cluster, 1, $"hll{entry}s");
        var hl = RespCluster.KeyOwnedBy(Cluster, 0, $"hll{entry}l");
        var he = RespCluster.KeyOwnedBy(Cluster, 2, $"hll{entry}e");
        var bin = RespCluster.KeyOwnedBy(Cluster, 1, $"hll{entry}bin");
        var nokey = RespCluster.KeyOwnedBy(Cluster, 0, $"hll{entry}none");
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", h, "a", "b", "c", "d", "e", "f", "g"));
        Assert.Equal(":7\r\n", await c.CallAsync("PFCOUNT", h));
        Assert.Equal("$38\r\nHYLL\u0001\u0000\u0000\u0000\u0007\u0000\u0000\u0000\u0000\u0000\u0000\u0000Fm\u0080V\u000c\u0080D<\u00848\u0080P\u00b1\u0084I\u008c\u0080Bm\u0080BZ\r\n", await c.CallAsync("GET", h));
        Assert.Equal(":0\r\n", await c.CallAsync("PFADD", h, "a", "b"));
        Assert.Equal(":0\r\n", await c.CallAsync("PFADD", h));
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", hnew));
        Assert.Equal("$18\r\nHYLL\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080\u007f\u00ff\r\n", await c.CallAsync("GET", hnew));
        Assert.Equal(":0\r\n", await c.CallAsync("PFCOUNT", hnew));
        Assert.Equal("$18\r\nHYLL\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u007f\u00ff\r\n", await c.CallAsync("GET", hnew));
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", h2, "x", "y", "z", "a"));
        Assert.Equal(":10\r\n", await c.CallAsync("PFCOUNT", h, h2));
        Assert.Equal(":10\r\n", await c.CallAsync("PFCOUNT", h, h2, nokey));
        Assert.Equal(":0\r\n", await c.CallAsync("PFCOUNT", nokey));
        Assert.Equal("+OK\r\n", await c.CallAsync("PFMERGE", hc, h, h2));
        Assert.Equal(":10\r\n", await c.CallAsync("PFCOUNT", hc));
        Assert.Equal("$46\r\nHYLL\u0001\u0000\u0000\u0000\n\u0000\u0000\u0000\u0000\u0000\u0000\u0000Fm\u0080V\u000c\u0080D<\u00848\u0080@\u008f\u0080P \u0084H\u00ab\u0088@\u00df\u0080Bm\u0080BP\u0084\u0008\r\n", await c.CallAsync("GET", hc));
        Assert.Equal("+OK\r\n", await c.CallAsync("PFMERGE", hc2));
        Assert.Equal("$18\r\nHYLL\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080\u007f\u00ff\r\n", await c.CallAsync("GET", hc2));
        Assert.Equal("+OK\r\n", await c.CallAsync("PFMERGE", hd, nokey));
        Assert.Equal("$18\r\nHYLL\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080\u007f\u00ff\r\n", await c.CallAsync("GET", hd));
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", bin, "\u0000", "\u0000\u0001", "\u00ff\u00fe\u00fd", "abcdefghijklmnopqrstuvwxyz0123456789"));
        Assert.Equal("$30\r\nHYLL\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080[\u00f6\u0088F\u008f\u0084O\u00a4\u0084K\u00b6\u0080B\u0018\r\n", await c.CallAsync("GET", bin));
        Assert.Equal(":4\r\n", await c.CallAsync("PFCOUNT", bin));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", hs, "hello"));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFADD", hs, "a"));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFCOUNT", hs));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFCOUNT", h, hs));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFMERGE", hc, hs));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFMERGE", hs, h));
        Assert.Equal(":1\r\n", await c.CallAsync("RPUSH", hl, "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("PFADD", hl, "a"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("PFCOUNT", hl));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("PFCOUNT", h, hl));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("PFMERGE", hl, h));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("PFMERGE", hc, hl));
        Assert.Equal("-ERR wrong number of arguments for 'pfadd' command\r\n", await c.CallAsync("PFADD"));
        Assert.Equal("-ERR wrong number of arguments for 'pfcount' command\r\n", await c.CallAsync("PFCOUNT"));
        Assert.Equal("-ERR wrong number of arguments for 'pfmerge' command\r\n", await c.CallAsync("PFMERGE"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", h3, "HYLL\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080\u007f"));
        Assert.Equal("-INVALIDOBJ Corrupted HLL object detected\r\n", await c.CallAsync("PFCOUNT", h3));
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", h3, "a"));
        Assert.Equal("-INVALIDOBJ Corrupted HLL object detected\r\n", await c.CallAsync("PFMERGE", hc, h3));
        Assert.Equal("-INVALIDOBJ Corrupted HLL object detected\r\n", await c.CallAsync("PFCOUNT", h3, h));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", h3, "HYLL\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080\u007f"));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFCOUNT", h3));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", h3, "HYLL\u0002\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0080\u007f\u0000"));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFCOUNT", h3));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", h3, "HYLL"));
        Assert.Equal("-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n", await c.CallAsync("PFCOUNT", h3));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", he, "x", "EX", "100"));
        Assert.Equal(":1\r\n", await c.CallAsync("DEL", he));
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", he, "a"));
        Assert.Equal(":1\r\n", await c.CallAsync("EXPIRE", he, "100"));
        Assert.Equal(":1\r\n", await c.CallAsync("PFADD", he, "b"));
        Assert.Equal("+OK\r\n", await c.CallAsync("PFMERGE", he, h));
        Assert.InRange(long.Parse((await c.CallAsync("TTL", he))[1..^2]), 1, 100); // PFADD and PFMERGE keep the expiry
    }

    // PFCOUNT after each PFADD of 500 new elements ("item:0".."item:19999"), from redis-server 7.0.15.
    private static readonly long[] DenseCounts =
    [
        501, 1002, 1502, 2006, 2500, 3004, 3523, 4034, 4539, 5052, 5559, 6075, 6613, 7101, 7575, 8078, 8607, 9092, 9581, 10083,
        10577, 11064, 11574, 12073, 12553, 13068, 13555, 14065, 14538, 15023, 15530, 16062, 16574, 17061, 17571, 18046, 18521,
        19014, 19517, 20021,
    ];

    // The value's length and encoding (1 sparse) after each PFADD of 100 new elements ("m0".."m1499"), from Redis.
    private static readonly (int Length, int Encoding, string Sha256Prefix)[] SparseSteps =
    [
        (279, 1, "074c43808f750588"), (504, 1, "e104337ac202c6d9"), (694, 1, "c825acb521dc0de6"), (879, 1, "1ea7dc555cfb84b5"),
        (1050, 1, "198a1bcf3e40e33c"), (1226, 1, "3ce9f0df3e8598bd"), (1396, 1, "edac511cbc6d2ebb"), (1564, 1, "071e550db6e8f570"),
        (1733, 1, "ca84754ae10bba8b"), (1901, 1, "d99dc7099934fc90"), (2072, 1, "29a49181bc58a1d5"), (2248, 1, "7e7b6062aab64877"),
        (2421, 1, "685f667eeb04b4c1"), (2586, 1, "6545737e9dce6f7b"), (2753, 1, "32c12607b8cb513b"),
    ];

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Sparse_and_dense_values_count_and_merge_byte_for_byte_as_redis(int entry)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        var big = RespCluster.KeyOwnedBy(Cluster, 2, $"dense{entry}big");
        var mid = RespCluster.KeyOwnedBy(Cluster, 1, $"dense{entry}mid");
        var merged = RespCluster.KeyOwnedBy(Cluster, 0, $"dense{entry}m");
        for (var step = 0; step < DenseCounts.Length; step++)
        {
            var args = new string[502];
            args[0] = "PFADD";
            args[1] = big;
            for (var j = 0; j < 500; j++)
                args[j + 2] = $"item:{(step * 500) + j}";
            Assert.Equal(":1\r\n", await c.CallAsync(args));
            Assert.Equal($":{DenseCounts[step]}\r\n", await c.CallAsync("PFCOUNT", big));
        }
        var dense = await c.CallAsync("GET", big);
        Assert.StartsWith("$12304\r\nHYLL\u0000", dense, StringComparison.Ordinal);
        Assert.Equal("84383340c727d7c53c5e857581debdf707f80c8ef2cccbef9a109241272a2a3a", Sha256(dense));

        for (var step = 0; step < SparseSteps.Length; step++)
        {
            var args = new string[102];
            args[0] = "PFADD";
            args[1] = mid;
            for (var j = 0; j < 100; j++)
                args[j + 2] = $"m{(step * 100) + j}";
            Assert.Equal(":1\r\n", await c.CallAsync(args));
            var value = await c.CallAsync("GET", mid);
            var (length, encoding, prefix) = SparseSteps[step];
            Assert.StartsWith($"${length}\r\nHYLL{(char)encoding}", value, StringComparison.Ordinal);
            Assert.StartsWith(prefix, Sha256(value), StringComparison.Ordinal);
        }
        Assert.Equal(":1507\r\n", await c.CallAsync("PFCOUNT", mid));
        Assert.Equal(":21653\r\n", await c.CallAsync("PFCOUNT", big, mid));
        Assert.Equal("+OK\r\n", await c.CallAsync("PFMERGE", merged, mid, big));
        Assert.Equal("f551168fe467832a6e0f3f3f0978817dacb4821bea20bbf46b2be2f026061e76", Sha256(await c.CallAsync("GET", merged)));
        Assert.Equal(":21653\r\n", await c.CallAsync("PFCOUNT", merged));
        // The count is cached in the header as Redis caches it: the bytes after PFCOUNT are Redis's too.
        Assert.Equal("1551fea4c6c60d2d01b39903b30b0488157246d05c930c16ca6f48c59b0ab1c8", Sha256(await c.CallAsync("GET", merged)));

        // A value copied out and back in (GET/SET, DUMP/RESTORE) is the same HyperLogLog.
        var copy = RespCluster.KeyOwnedBy(Cluster, 1, $"dense{entry}copy");
        var dump = await c.CallAsync("DUMP", mid);
        Assert.Equal("+OK\r\n", await c.CallAsync("RESTORE", copy, "0", dump[(dump.IndexOf("\r\n", StringComparison.Ordinal) + 2)..^2]));
        Assert.Equal(":1507\r\n", await c.CallAsync("PFCOUNT", copy));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Geoadd_geopos_geodist_geohash_answer_as_redis(int entry)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        var g = RespCluster.KeyOwnedBy(Cluster, 2, $"geo{entry}g");
        var z = RespCluster.KeyOwnedBy(Cluster, 2, $"geo{entry}z");
        var str = RespCluster.KeyOwnedBy(Cluster, 2, $"geo{entry}s");
        var nokey = RespCluster.KeyOwnedBy(Cluster, 2, $"geo{entry}none");
        Assert.Equal(":2\r\n", await c.CallAsync("GEOADD", g, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"));
        Assert.Equal(":1\r\n", await c.CallAsync("GEOADD", g, "NX", "13.361389", "38.115556", "Palermo", "2.349014", "48.864716", "Paris"));
        Assert.Equal(":1\r\n", await c.CallAsync("GEOADD", g, "XX", "CH", "13.361389", "38.115556", "Palermo", "2.35", "48.864716", "Paris", "0", "0", "Null"));
        Assert.Equal(":0\r\n", await c.CallAsync("GEOADD", g, "CH", "NX", "1", "1", "Palermo"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOADD", g, "NX", "XX", "1", "1", "x"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOADD", g, "GT", "1", "1", "x"));
        Assert.Equal("-ERR wrong number of arguments for 'geoadd' command\r\n", await c.CallAsync("GEOADD", g, "1", "1"));
        Assert.Equal("-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n", await c.CallAsync("GEOADD", g, "200", "10", "x"));
        Assert.Equal("-ERR invalid longitude,latitude pair 10.000000,86.000000\r\n", await c.CallAsync("GEOADD", g, "10", "86", "x"));
        Assert.Equal(":2\r\n", await c.CallAsync("GEOADD", g, "-180", "-85.05112878", "Corner", "180", "85.05112878", "Corner2"));
        Assert.Equal("-ERR value is not a valid float\r\n", await c.CallAsync("GEOADD", g, "abc", "1", "x"));
        Assert.Equal("-ERR value is not a valid float\r\n", await c.CallAsync("GEOADD", g, "1", "1 ", "x"));
        Assert.Equal("$16\r\n3479099956230698\r\n", await c.CallAsync("ZSCORE", g, "Palermo"));
        Assert.Equal("$1\r\n0\r\n", await c.CallAsync("ZSCORE", g, "Corner"));
        Assert.Equal("$17\r\n13510798882111488\r\n", await c.CallAsync("ZSCORE", g, "Corner2"));
        Assert.Equal("*7\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*2\r\n$19\r\n2.34999865293502808\r\n$20\r\n48.86471570750150306\r\n*-1\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n*-1\r\n", await c.CallAsync("GEOPOS", g, "Palermo", "Catania", "Paris", "Null", "Corner", "Corner2", "nope"));
        Assert.Equal("*2\r\n*-1\r\n*-1\r\n", await c.CallAsync("GEOPOS", nokey, "a", "b"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOPOS", g));
        Assert.Equal("$11\r\n166274.1516\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania"));
        Assert.Equal("$8\r\n166.2742\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania", "km"));
        Assert.Equal("$8\r\n103.3182\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania", "MI"));
        Assert.Equal("$11\r\n545518.8700\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania", "ft"));
        Assert.Equal("$12\r\n1486344.4607\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Paris", "m"));
        Assert.Equal("$6\r\n0.0000\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Palermo"));
        Assert.Equal("$10\r\n18919.8446\r\n", await c.CallAsync("GEODIST", g, "Corner", "Corner2", "km"));
        Assert.Equal("$-1\r\n", await c.CallAsync("GEODIST", g, "Palermo", "nope"));
        Assert.Equal("$-1\r\n", await c.CallAsync("GEODIST", nokey, "a", "b"));
        Assert.Equal("-ERR unsupported unit provided. please use M, KM, FT, MI\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania", "yards"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania", "km", "extra"));
        Assert.Equal("*7\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$11\r\nu09tvrx1wg0\r\n$-1\r\n$11\r\n00bh0hbj200\r\n$11\r\nbp05b5048p0\r\n$-1\r\n", await c.CallAsync("GEOHASH", g, "Palermo", "Catania", "Paris", "Null", "Corner", "Corner2", "nope"));
        Assert.Equal("*1\r\n$-1\r\n", await c.CallAsync("GEOHASH", nokey, "a"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOHASH", g));
        Assert.Equal(":1\r\n", await c.CallAsync("ZADD", z, "1.5", "plain"));
        Assert.Equal("*1\r\n*2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112497791824921\r\n", await c.CallAsync("GEOPOS", z, "plain"));
        Assert.Equal("*1\r\n$11\r\n00bh0hbj210\r\n", await c.CallAsync("GEOHASH", z, "plain"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", str, "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("GEOADD", str, "1", "1", "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("GEOPOS", str, "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("GEODIST", str, "a", "b"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("GEOHASH", str, "a"));
        Assert.Equal("-ERR wrong number of arguments for 'geoadd' command\r\n", await c.CallAsync("GEOADD"));
        Assert.Equal("-ERR wrong number of arguments for 'geodist' command\r\n", await c.CallAsync("GEODIST", g, "a"));
        // RESP3: positions are doubles.
        Assert.StartsWith("%", await c.CallAsync("HELLO", "3"), StringComparison.Ordinal);
        Assert.Equal("*1\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n", await c.CallAsync("GEOPOS", g, "Palermo"));
        Assert.Equal("*1\r\n_\r\n", await c.CallAsync("GEOPOS", g, "nope"));
        Assert.Equal("$11\r\n166274.1516\r\n", await c.CallAsync("GEODIST", g, "Palermo", "Catania"));
        Assert.Equal("_\r\n", await c.CallAsync("GEODIST", g, "Palermo", "nope"));
    }

    [Theory]
    [MemberData(nameof(Entry))]
    public async Task Geosearch_geosearchstore_and_georadius_ro_answer_as_redis(int entry)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, entry));
        // GEOSEARCHSTORE's source and destination on different nodes: it runs as a transaction of the coordinator.
        var s = RespCluster.KeyOwnedBy(Cluster, 1, $"geosearch{entry}s");
        var st = RespCluster.KeyOwnedBy(Cluster, 2, $"geosearch{entry}st");
        var str = RespCluster.KeyOwnedBy(Cluster, 1, $"geosearch{entry}str");
        var nokey = RespCluster.KeyOwnedBy(Cluster, 0, $"geosearch{entry}none");
        Assert.Equal(":6\r\n", await c.CallAsync("GEOADD", s, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "12.758489", "38.788135", "edge1", "17.241510", "38.222733", "edge2", "2.349014", "48.864716", "Paris", "-0.127758", "51.507351", "London"));
        Assert.Equal(":40\r\n", await c.CallAsync("GEOADD", s, "15.115414", "36.125054", "p0", "12.200235", "37.116054", "p1", "15.89177", "39.383497", "p2", "17.137437", "36.434694", "p3", "13.375375", "36.148986", "p4", "11.749104", "38.526776", "p5", "10.212288", "36.994188", "p6", "15.199076", "38.724707", "p7", "11.763525", "38.946328", "p8", "16.475444", "36.032494", "p9", "16.446554", "39.490697", "p10", "12.722004", "36.777397", "p11", "17.657705", "37.682973", "p12", "10.741967", "36.483582", "p13", "16.779955", "39.01863", "p14", "16.457026", "39.648659", "p15", "14.289825", "40.865579", "p16", "13.028275", "38.760203", "p17", "16.635237", "39.092599", "p18", "16.893655", "38.886761", "p19", "15.636575", "36.229122", "p20", "11.823186", "37.44694", "p21", "10.638336", "37.163954", "p22", "10.808011", "37.389868", "p23", "15.085476", "37.824161", "p24", "12.961448", "37.047535", "p25", "12.135823", "40.683273", "p26", "15.184283", "39.045655", "p27", "11.369109", "39.645634", "p28", "11.30722", "37.897277", "p29", "17.916187", "39.199999", "p30", "14.455598", "39.423071", "p31", "16.742815", "39.88", "p32", "11.832385", "36.160501", "p33", "12.523624", "37.338704", "p34", "11.687863", "40.714549", "p35", "17.010941", "37.573389", "p36", "15.243509", "37.97816", "p37", "17.316381", "38.294259", "p38", "12.119041", "37.233138", "p39"));
        Assert.Equal("*11\r\n$7\r\nCatania\r\n$3\r\np24\r\n$2\r\np0\r\n$3\r\np20\r\n$3\r\np37\r\n$2\r\np9\r\n$2\r\np4\r\n$3\r\np25\r\n$3\r\np36\r\n$7\r\nPalermo\r\n$2\r\np7\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"));
        Assert.Equal("*11\r\n*4\r\n$2\r\np7\r\n$8\r\n192.6276\r\n:3479726867793927\r\n*2\r\n$19\r\n15.1990780234336853\r\n$20\r\n38.72470818867211761\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*4\r\n$3\r\np36\r\n$8\r\n189.0327\r\n:3481071748952034\r\n*2\r\n$20\r\n17.01094239950180054\r\n$20\r\n37.57338967839833543\r\n*4\r\n$3\r\np25\r\n$8\r\n181.1000\r\n:3476061496630183\r\n*2\r\n$20\r\n12.96145051717758179\r\n$20\r\n37.04753389196071822\r\n*4\r\n$2\r\np4\r\n$8\r\n173.2550\r\n:3476008331872557\r\n*2\r\n$20\r\n13.37537437677383423\r\n$19\r\n36.1489853798596954\r\n*4\r\n$2\r\np9\r\n$8\r\n170.2186\r\n:3476556829901043\r\n*2\r\n$19\r\n16.4754447340965271\r\n$20\r\n36.03249466481879182\r\n*4\r\n$3\r\np37\r\n$8\r\n110.8992\r\n:3479517935610532\r\n*2\r\n$20\r\n15.24351149797439575\r\n$20\r\n37.97815930033316789\r\n*4\r\n$3\r\np20\r\n$8\r\n102.8657\r\n:3476536242490149\r\n*2\r\n$20\r\n15.63657313585281372\r\n$20\r\n36.22912312403335733\r\n*4\r\n$2\r\np0\r\n$7\r\n97.8616\r\n:3476422763515686\r\n*2\r\n$20\r\n15.11541455984115601\r\n$20\r\n36.12505507739437149\r\n*4\r\n$3\r\np24\r\n$7\r\n91.9787\r\n:3479464365583572\r\n*2\r\n$20\r\n15.08547574281692505\r\n$20\r\n37.82415978157637682\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "DESC", "WITHCOORD", "WITHDIST", "WITHHASH"));
        Assert.Equal("*11\r\n$2\r\np4\r\n$3\r\np25\r\n$2\r\np0\r\n$3\r\np20\r\n$2\r\np9\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n$3\r\np24\r\n$3\r\np37\r\n$2\r\np7\r\n$3\r\np36\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"));
        Assert.Equal("*19\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$3\r\np17\r\n$7\r\n77.3520\r\n*2\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n*2\r\n$3\r\np34\r\n$8\r\n113.5674\r\n*2\r\n$3\r\np25\r\n$8\r\n123.9122\r\n*2\r\n$3\r\np39\r\n$8\r\n146.9495\r\n*2\r\n$2\r\np5\r\n$8\r\n147.9373\r\n*2\r\n$2\r\np1\r\n$8\r\n151.0763\r\n*2\r\n$3\r\np21\r\n$8\r\n154.3187\r\n*2\r\n$3\r\np24\r\n$8\r\n154.6068\r\n*2\r\n$3\r\np11\r\n$8\r\n159.1865\r\n*2\r\n$3\r\np37\r\n$8\r\n165.5618\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n*2\r\n$2\r\np8\r\n$8\r\n166.9314\r\n*2\r\n$3\r\np31\r\n$8\r\n173.6455\r\n*2\r\n$2\r\np7\r\n$8\r\n173.8804\r\n*2\r\n$3\r\np29\r\n$8\r\n181.6529\r\n*2\r\n$3\r\np27\r\n$8\r\n189.2662\r\n*2\r\n$3\r\np28\r\n$8\r\n242.3079\r\n", await c.CallAsync("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "ASC", "WITHDIST"));
        Assert.Equal("*5\r\n$3\r\np29\r\n$2\r\np5\r\n$7\r\nPalermo\r\n$3\r\np24\r\n$3\r\np37\r\n", await c.CallAsync("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYBOX", "400", "100", "km"));
        Assert.Equal("*3\r\n$7\r\nCatania\r\n$3\r\np24\r\n$2\r\np0\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km", "COUNT", "3"));
        Assert.Equal("*3\r\n$3\r\np33\r\n$2\r\np1\r\n$2\r\np4\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km", "COUNT", "3", "ANY"));
        Assert.Equal("*3\r\n$3\r\np33\r\n$3\r\np21\r\n$5\r\nedge1\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "300", "km", "COUNT", "3", "DESC"));
        Assert.Equal("*19\r\n*2\r\n$5\r\nParis\r\n$7\r\n80.0154\r\n*2\r\n$2\r\np6\r\n$8\r\n987.2412\r\n*2\r\n$3\r\np22\r\n$8\r\n985.3743\r\n*2\r\n$3\r\np23\r\n$8\r\n974.7637\r\n*2\r\n$3\r\np21\r\n$8\r\n994.7467\r\n*2\r\n$3\r\np29\r\n$8\r\n954.3990\r\n*2\r\n$2\r\np5\r\n$8\r\n926.4576\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n994.0851\r\n*2\r\n$2\r\np8\r\n$8\r\n901.3309\r\n*2\r\n$3\r\np28\r\n$8\r\n848.8478\r\n*2\r\n$5\r\nedge1\r\n$8\r\n937.4555\r\n*2\r\n$3\r\np17\r\n$8\r\n946.6030\r\n*2\r\n$3\r\np27\r\n$8\r\n994.6356\r\n*2\r\n$3\r\np31\r\n$8\r\n950.6292\r\n*2\r\n$2\r\np2\r\n$8\r\n998.9203\r\n*2\r\n$3\r\np35\r\n$8\r\n794.3238\r\n*2\r\n$3\r\np26\r\n$8\r\n809.0447\r\n*2\r\n$3\r\np16\r\n$8\r\n866.0557\r\n*2\r\n$6\r\nLondon\r\n$8\r\n139.6611\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "2", "50", "BYRADIUS", "1000", "mi", "WITHDIST"));
        Assert.Equal("*10\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$3\r\np24\r\n$7\r\n91.9787\r\n*2\r\n$2\r\np0\r\n$7\r\n97.8616\r\n*2\r\n$3\r\np20\r\n$8\r\n102.8657\r\n*2\r\n$3\r\np37\r\n$8\r\n110.8992\r\n*2\r\n$2\r\np9\r\n$8\r\n170.2186\r\n*2\r\n$2\r\np4\r\n$8\r\n173.2550\r\n*2\r\n$3\r\np25\r\n$8\r\n181.1000\r\n*2\r\n$3\r\np36\r\n$8\r\n189.0327\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "5000", "km", "COUNT", "10", "WITHDIST"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYBOX", "100000", "100000", "ft", "WITHDIST", "ASC"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "0", "0", "BYRADIUS", "10", "m"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "0", "km"));
        Assert.Equal("*1\r\n$7\r\nCatania\r\n", await c.CallAsync("GEOSEARCH", s, "FROMMEMBER", "Catania", "BYRADIUS", "0", "km"));
        Assert.Equal("-ERR could not decode requested zset member\r\n", await c.CallAsync("GEOSEARCH", s, "FROMMEMBER", "nope", "BYRADIUS", "10", "km"));
        Assert.Equal("-ERR wrong number of arguments for 'geosearch' command\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37"));
        Assert.Equal("-ERR wrong number of arguments for 'geosearch' command\r\n", await c.CallAsync("GEOSEARCH", s, "BYRADIUS", "10", "km"));
        Assert.Equal("-ERR wrong number of arguments for 'geosearch' command\r\n", await c.CallAsync("geosearch", s, "BYRADIUS", "10", "km"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "BYBOX", "1", "1", "km"));
        Assert.Equal("-ERR radius cannot be negative\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"));
        Assert.Equal("-ERR need numeric radius\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"));
        Assert.Equal("-ERR unsupported unit provided. please use M, KM, FT, MI\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "1", "yards"));
        Assert.Equal("-ERR need numeric width\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"));
        Assert.Equal("-ERR need numeric height\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"));
        Assert.Equal("-ERR height or width cannot be negative\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"));
        Assert.Equal("-ERR invalid longitude,latitude pair 200.000000,37.000000\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "200", "37", "BYRADIUS", "1", "km"));
        Assert.Equal("-ERR COUNT must be > 0\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "COUNT", "0"));
        Assert.Equal("-ERR value is not an integer or out of range\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "COUNT", "x"));
        Assert.Equal("-ERR the ANY argument requires COUNT argument\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "ANY"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "STOREDIST"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "STORE", "x"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEOSEARCH", s, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km", "COUNT"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOSEARCH", nokey, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEOSEARCH", nokey, "FROMMEMBER", "x", "BYRADIUS", "10", "km"));
        Assert.Equal("-ERR the ANY argument requires COUNT argument\r\n", await c.CallAsync("GEOSEARCH", nokey, "FROMMEMBER", "x", "BYRADIUS", "10", "km", "ANY"));
        Assert.Equal(":11\r\n", await c.CallAsync("GEOSEARCHSTORE", st, s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"));
        Assert.Equal("*22\r\n$2\r\np4\r\n$16\r\n3476008331872557\r\n$3\r\np25\r\n$16\r\n3476061496630183\r\n$2\r\np0\r\n$16\r\n3476422763515686\r\n$3\r\np20\r\n$16\r\n3476536242490149\r\n$2\r\np9\r\n$16\r\n3476556829901043\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n$3\r\np24\r\n$16\r\n3479464365583572\r\n$3\r\np37\r\n$16\r\n3479517935610532\r\n$2\r\np7\r\n$16\r\n3479726867793927\r\n$3\r\np36\r\n$16\r\n3481071748952034\r\n", await c.CallAsync("ZRANGE", st, "0", "-1", "WITHSCORES"));
        Assert.Equal(":5\r\n", await c.CallAsync("GEOSEARCHSTORE", st, s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST", "COUNT", "5"));
        Assert.Equal("*10\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n$3\r\np24\r\n$18\r\n91.978735326924848\r\n$2\r\np0\r\n$18\r\n97.861561061979373\r\n$3\r\np20\r\n$18\r\n102.86570755339507\r\n$3\r\np37\r\n$17\r\n110.8991827169518\r\n", await c.CallAsync("ZRANGE", st, "0", "-1", "WITHSCORES"));
        Assert.Equal("-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n", await c.CallAsync("GEOSEARCHSTORE", st, s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"));
        Assert.Equal(":0\r\n", await c.CallAsync("GEOSEARCHSTORE", st, s, "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", st));
        Assert.Equal(":11\r\n", await c.CallAsync("GEOSEARCHSTORE", st, s, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"));
        Assert.Equal(":0\r\n", await c.CallAsync("GEOSEARCHSTORE", st, nokey, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"));
        Assert.Equal(":0\r\n", await c.CallAsync("EXISTS", st));
        Assert.Equal("*11\r\n*2\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$3\r\np24\r\n$7\r\n91.9787\r\n*2\r\n$2\r\np0\r\n$7\r\n97.8616\r\n*2\r\n$3\r\np20\r\n$8\r\n102.8657\r\n*2\r\n$3\r\np37\r\n$8\r\n110.8992\r\n*2\r\n$2\r\np9\r\n$8\r\n170.2186\r\n*2\r\n$2\r\np4\r\n$8\r\n173.2550\r\n*2\r\n$3\r\np25\r\n$8\r\n181.1000\r\n*2\r\n$3\r\np36\r\n$8\r\n189.0327\r\n*2\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$2\r\np7\r\n$8\r\n192.6276\r\n", await c.CallAsync("GEORADIUS_RO", s, "15", "37", "200", "km", "WITHDIST", "ASC"));
        Assert.Equal("*2\r\n*2\r\n$7\r\nCatania\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*2\r\n$3\r\np24\r\n*2\r\n$20\r\n15.08547574281692505\r\n$20\r\n37.82415978157637682\r\n", await c.CallAsync("GEORADIUS_RO", s, "15", "37", "200", "km", "COUNT", "2", "WITHCOORD"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEORADIUS_RO", s, "15", "37", "200", "km", "STORE", "x"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEORADIUS_RO", s, "15", "37", "200", "km", "FROMLONLAT", "1", "1"));
        Assert.Equal("-ERR invalid longitude,latitude pair 200.000000,37.000000\r\n", await c.CallAsync("GEORADIUS_RO", s, "200", "37", "200", "km"));
        Assert.Equal("-ERR radius cannot be negative\r\n", await c.CallAsync("GEORADIUS_RO", s, "15", "37", "-200", "km"));
        Assert.Equal("*3\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$5\r\nedge1\r\n$7\r\n91.4007\r\n*2\r\n$3\r\np17\r\n$7\r\n77.3520\r\n", await c.CallAsync("GEORADIUSBYMEMBER_RO", s, "Palermo", "100", "km", "WITHDIST"));
        Assert.Equal("*3\r\n$7\r\nPalermo\r\n$5\r\nedge1\r\n$3\r\np17\r\n", await c.CallAsync("GEORADIUSBYMEMBER_RO", s, "Palermo", "100", "km"));
        Assert.Equal("-ERR could not decode requested zset member\r\n", await c.CallAsync("GEORADIUSBYMEMBER_RO", s, "nope", "100", "km"));
        Assert.Equal("*0\r\n", await c.CallAsync("GEORADIUSBYMEMBER_RO", nokey, "nope", "100", "km"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEORADIUSBYMEMBER_RO", nokey, "nope", "x", "y", "z"));
        Assert.Equal("-ERR syntax error\r\n", await c.CallAsync("GEORADIUSBYMEMBER_RO", s, "Palermo", "100", "km", "STOREDIST", "x"));
        Assert.Equal("+OK\r\n", await c.CallAsync("SET", str, "x"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("GEOSEARCH", str, "FROMLONLAT", "15", "37", "BYRADIUS", "10", "km"));
        Assert.Equal("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", await c.CallAsync("GEORADIUS_RO", str, "15", "37", "200", "km"));
        Assert.Equal("-ERR wrong number of arguments for 'geosearch' command\r\n", await c.CallAsync("GEOSEARCH", s));
    }

    [Fact]
    public async Task Command_info_gives_redis_key_specs()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var bitop = await c.CallAsync("COMMAND", "INFO", "bitop");
        // Redis's legacy range (2 -1 1) and two key specs: the destination OW, the sources RO from index 3.
        Assert.StartsWith("*1\r\n*10\r\n$5\r\nbitop\r\n:-4\r\n*2\r\n+write\r\n+denyoom\r\n:2\r\n:-1\r\n:1\r\n", bitop, StringComparison.Ordinal);
        Assert.Contains("$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n", bitop, StringComparison.Ordinal);
        Assert.Contains("$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:3\r\n", bitop, StringComparison.Ordinal);
        var pfmerge = await c.CallAsync("COMMAND", "INFO", "pfmerge");
        Assert.StartsWith("*1\r\n*10\r\n$7\r\npfmerge\r\n:-2\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:1\r\n", pfmerge, StringComparison.Ordinal);
        Assert.Contains("*3\r\n+RW\r\n+access\r\n+insert\r\n", pfmerge, StringComparison.Ordinal);
        Assert.Equal("*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n", await c.CallAsync("COMMAND", "GETKEYS", "BITOP", "AND", "d", "a", "b"));
        Assert.Equal("-ERR Invalid arguments specified for command\r\n", await c.CallAsync("COMMAND", "GETKEYS", "PFMERGE", "d"));
        Assert.Contains("RW because it may change the internal representation of the key", await c.CallAsync("COMMAND", "INFO", "pfcount"), StringComparison.Ordinal);
        Assert.Contains("This command allows both access and modification of the key", await c.CallAsync("COMMAND", "INFO", "bitfield"), StringComparison.Ordinal);

        // SINTERSTORE/SUNIONSTORE/SDIFFSTORE give Redis's two key specs the same way (destination, then the sources).
        Assert.Contains("*2\r\n+RW\r\n+update\r\n", await c.CallAsync("COMMAND", "INFO", "sinterstore"), StringComparison.Ordinal);
        Assert.Contains("$5\r\nindex\r\n:2\r\n", await c.CallAsync("COMMAND", "INFO", "sunionstore"), StringComparison.Ordinal);
        Assert.Equal("*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n", await c.CallAsync("COMMAND", "GETKEYS", "SDIFFSTORE", "d", "a", "b"));
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "setstore-a");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "setstore-b");
        var d = RespCluster.KeyOwnedBy(Cluster, 1, "setstore-d");
        Assert.Equal(":2\r\n", await c.CallAsync("SADD", a, "x", "y"));
        Assert.Equal(":2\r\n", await c.CallAsync("SADD", b, "y", "z"));
        Assert.Equal(":3\r\n", await c.CallAsync("SUNIONSTORE", d, a, b));
        Assert.Equal(":1\r\n", await c.CallAsync("SINTERSTORE", d, a, b));
        Assert.Equal(":1\r\n", await c.CallAsync("SDIFFSTORE", d, a, b));
        Assert.Equal("*1\r\n$1\r\nx\r\n", await c.CallAsync("SMEMBERS", d));
    }
}
