using System.Text;
using FastDht.Engine.Plugins;
using FastDht.Engine.Tests.Resp;
using FastDht.Engine.Tests.Transactions;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Keyspace;

/// <summary>
/// Every protocol writes through one keyspace with one lock rule: a key a transaction holds refuses plain writes from
/// the native protocol, RESP (at the owner and through another node) and the embedding API alike.
/// </summary>
public sealed class OneWritePathTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    // Every RESP command that writes a string key, as a client would send it against a locked key.
    private static readonly string[][] WritingCommands =
    [
        ["SET", "{0}", "x"],
        ["SET", "{0}", "x", "NX"],
        ["SET", "{0}", "x", "XX"],
        ["SET", "{0}", "x", "GET"],
        ["SETNX", "{0}", "x"],
        ["GETSET", "{0}", "x"],
        ["APPEND", "{0}", "x"],
        ["INCR", "{0}"],
        ["DECR", "{0}"],
        ["INCRBY", "{0}", "5"],
        ["DECRBY", "{0}", "5"],
        ["DEL", "{0}"],
        ["UNLINK", "{0}"],
        ["GETDEL", "{0}"],
        ["SETRANGE", "{0}", "1", "x"],
        ["INCRBYFLOAT", "{0}", "1.5"],
        ["SETBIT", "{0}", "3", "1"],
        ["BITFIELD", "{0}", "SET", "u8", "0", "1"],
        ["PFADD", "{0}", "a"],
    ];

    [Fact]
    public async Task A_natively_locked_key_refuses_every_resp_write_and_the_embedding_api()
    {
        var key = RespCluster.KeyOwnedBy(Cluster, 2, "gate");
        var keyBytes = Encoding.UTF8.GetBytes(key);
        using var native = await NativeTestClient.ConnectAsync(Cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await native.PutAsync(keyBytes, "7"u8.ToArray())).Status);
        var txn = TxnRequests.NewTxn(0);
        var tokens = (await native.LockAsync(txn, [keyBytes], 30_000)).Tokens();

        await using var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 2));
        await using var throughOther = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        foreach (var client in new[] { atOwner, throughOther })
        {
            foreach (var command in WritingCommands)
            {
                var args = Array.ConvertAll(command, a => a == "{0}" ? key : a);
                var reply = await client.CallAsync(args);
                Assert.True(reply.StartsWith("-TRYAGAIN", StringComparison.Ordinal), $"{string.Join(' ', args)} answered {reply}");
            }
        }

        foreach (var node in new[] { 0, 2 })
        {
            var context = Cluster[node].Context;
            Assert.Equal(KeyOperationStatus.Locked, (await context.PutAsync(keyBytes, "x"u8.ToArray())).Status);
            Assert.Equal(KeyOperationStatus.Locked, (await context.PutIfAbsentAsync(keyBytes, "x"u8.ToArray())).Status);
            Assert.Equal(KeyOperationStatus.Locked, (await context.DeleteAsync(keyBytes)).Status);
        }
        Assert.Equal(StatusCode.Locked, (await native.PutAsync(keyBytes, "x"u8.ToArray())).Status);

        // Nothing was applied; the holder's fenced write still goes through, and after Unlock plain writes do again.
        Assert.Equal("$1\r\n7\r\n", await atOwner.CallAsync("GET", key));
        Assert.Equal(StatusCode.Ok, (await native.FencedPutAsync(keyBytes, "8"u8.ToArray(), tokens[0])).Status);
        Assert.Equal(StatusCode.Ok, (await native.UnlockAsync(txn, [keyBytes])).Status);
        Assert.Equal(":9\r\n", await throughOther.CallAsync("INCR", key));
        Assert.Equal(KeyOperationStatus.Ok, (await Cluster[1].Context.PutAsync(keyBytes, "10"u8.ToArray())).Status);
        Assert.Equal("$2\r\n10\r\n", await atOwner.CallAsync("GET", key));
    }

    [Fact]
    public async Task Mget_is_serializable_with_plain_sets()
    {
        // One client sets a then b to i, each after the previous answer; so at every instant a == b or a == b + 1.
        // An MGET that reads a before a set and b after the next one would see a < b: impossible in any serial order.
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "ser");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "ser");
        await using var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        await using var reader = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        Assert.Equal("+OK\r\n", await writer.CallAsync("MSET", a, "0", b, "0"));
        const int rounds = 400;
        var writes = Task.Run(async () =>
        {
            for (var i = 1; i <= rounds; i++)
            {
                await SetRetryingAsync(writer, a, i);
                await SetRetryingAsync(writer, b, i);
            }
        });
        var reads = 0;
        while (!writes.IsCompleted && reads < 5 * rounds)
        {
            var lines = (await reader.CallAsync("MGET", a, b)).Split("\r\n");
            var va = long.Parse(lines[2], System.Globalization.CultureInfo.InvariantCulture);
            var vb = long.Parse(lines[4], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(va == vb || va == vb + 1, $"MGET saw a={va}, b={vb}");
            reads++;
        }
        await writes.WithinAsync("the writer");
    }

    /// <summary>SET, retried while a transaction (the reader's MGET) holds the key: TRYAGAIN is the retryable refusal.</summary>
    private static async Task SetRetryingAsync(RespTestClient client, string key, int value)
    {
        // Bounded: 2000 tries, each a round trip plus at most 1 ms.
        for (var attempt = 0; attempt < 2000; attempt++)
        {
            var reply = await client.CallAsync("SET", key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (reply == "+OK\r\n")
                return;
            Assert.StartsWith("-TRYAGAIN", reply, StringComparison.Ordinal);
            await Task.Delay(attempt % 2);
        }
        Assert.Fail($"SET {key} kept being refused");
    }
}
