using System.Text;
using FastDht.Engine.Client;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>The client's multi-key API against real in-process nodes: MultiPut, MultiGet, locks, fenced writes.</summary>
public sealed class ClientTransactionTests
{
    private static ReadOnlyMemory<byte> B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task MultiPut_spans_every_node_and_MultiGet_reads_it_back_in_order()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster));
        var keys = Enumerable.Range(0, 12).Select(i => B($"tx:{i}")).ToArray();
        Assert.Equal(3, keys.Select(k => client.OwnerOf(k.Span)).Distinct().Count());

        var attempts = await client.MultiPutAsync(keys.Select((k, i) => KeyValuePair.Create(k, B($"v{i}"))).ToArray());
        Assert.Equal(1, attempts); // no contention: the first attempt commits

        var values = await client.MultiGetAsync([.. keys, B("tx:absent")]);
        Assert.Equal(13, values.Length);
        for (var i = 0; i < 12; i++)
            Assert.Equal($"v{i}", Encoding.UTF8.GetString(values[i]!));
        Assert.Null(values[12]);
        Assert.Equal("v5", await client.GetStringAsync("tx:5"));
    }

    [Fact]
    public async Task Locks_carry_fencing_tokens_and_a_stale_token_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var a = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 0));
        await using var b = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 2));
        var keys = new[] { B("lock:x"), B("lock:y"), B("lock:z") };

        var first = await a.LockAsync(keys, TimeSpan.FromSeconds(10));
        Assert.Equal(3, first.FencingTokens.Count);
        await a.PutAsync(keys[0], B("by a"), first.FencingTokens[0]);
        await first.RenewAsync(TimeSpan.FromSeconds(10));

        // A plain write by someone else respects the lock; so does a second locker (younger: under wait-die it dies).
        var locked = await Assert.ThrowsAsync<DhtServerException>(async () => await b.PutAsync(keys[1], B("by b")));
        Assert.Equal(StatusCode.Locked, locked.Status);
        var conflict = await Assert.ThrowsAsync<DhtServerException>(async () => await b.LockAsync(keys, TimeSpan.FromSeconds(5)));
        Assert.Equal(StatusCode.Aborted, conflict.Status);

        await first.DisposeAsync();
        var second = await b.LockAsync(keys, TimeSpan.FromSeconds(10));
        Assert.True(second.FencingTokens[0] > first.FencingTokens[0], "tokens grow per key");

        // a's token is from a lock it no longer holds: the owner refuses the write.
        var stale = await Assert.ThrowsAsync<DhtServerException>(async () => await a.PutAsync(keys[0], B("late"), first.FencingTokens[0]));
        Assert.Equal(StatusCode.StaleFence, stale.Status);
        await b.PutAsync(keys[0], B("by b"), second.FencingTokens[0]);
        await second.UnlockAsync();
        Assert.Equal("by b", await a.GetStringAsync("lock:x"));
    }
}
