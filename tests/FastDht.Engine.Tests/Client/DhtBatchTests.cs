using System.Text;
using FastDht.Engine.Client;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>The smart client's batches: one result per request, matched to it, errors per request, a lost connection failing every pending one, and the batch's bounds.</summary>
public sealed class DhtBatchTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Every_result_answers_its_own_request_across_every_owner()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster));
        var keys = Enumerable.Range(0, 300).Select(i => Bytes($"batch:{i}")).ToArray();
        Assert.Equal(3, keys.Select(cluster.OwnerOf).Distinct().Count());

        var puts = new DhtBatch();
        foreach (var key in keys)
            puts.Put(key, Bytes("v-" + Encoding.UTF8.GetString(key)));
        await client.ExecuteAsync(puts);
        for (var i = 0; i < puts.Count; i++)
            Assert.Equal(StatusCode.Ok, puts[i].Status);

        // Gets of present and absent keys interleaved with deletes and put-if-absents: each index gets its own answer.
        var mixed = new DhtBatch(4);
        var expected = new List<(StatusCode Status, string? Value)>();
        for (var i = 0; i < keys.Length; i++)
        {
            mixed.Get(keys[i]);
            expected.Add((StatusCode.Ok, "v-batch:" + i));
            mixed.Get(Bytes($"absent:{i}"));
            expected.Add((StatusCode.NotFound, null));
            if (i % 10 == 0)
            {
                mixed.PutIfAbsent(keys[i], Bytes("other"));
                expected.Add((StatusCode.Exists, null));
                mixed.Delete(Bytes($"absent:{i}"));
                expected.Add((StatusCode.NotFound, null));
            }
        }
        await client.ExecuteAsync(mixed);
        Assert.Equal(expected.Count, mixed.Count);
        for (var i = 0; i < mixed.Count; i++)
        {
            Assert.Equal(expected[i].Status, mixed[i].Status);
            Assert.Equal(expected[i].Value, mixed[i].Value is { } value ? Encoding.UTF8.GetString(value) : null);
            Assert.False(mixed[i].IsError);
        }

        // A batch runs again as it is, with fresh results.
        await client.PutAsync(keys[0], Bytes("changed"));
        await client.ExecuteAsync(mixed);
        Assert.Equal("changed", Encoding.UTF8.GetString(mixed[0].Value!));
    }

    [Fact]
    public async Task A_request_that_cannot_be_sent_fails_alone()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster));
        var batch = new DhtBatch();
        batch.Put(Bytes("a"), Bytes("1"));
        var tooLarge = batch.Put(Bytes("b"), new byte[ProtocolLimits.DefaultMaxFrameSize + 1]);
        batch.Put(Bytes("c"), Bytes("3"));
        var get = batch.Get(Bytes("c"));
        await client.ExecuteAsync(batch);

        Assert.Equal(StatusCode.FrameTooLarge, batch[tooLarge].Status);
        Assert.True(batch[tooLarge].IsError);
        Assert.Contains("frame limit", batch[tooLarge].Error);
        Assert.Equal(StatusCode.Ok, batch[0].Status);
        Assert.Equal(StatusCode.Ok, batch[2].Status);
        Assert.Equal("3", Encoding.UTF8.GetString(batch[get].Value!));
        Assert.Null(await client.GetAsync(Bytes("b")));
    }

    [Fact]
    public async Task A_lost_connection_fails_every_pending_request_of_the_batch()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var proxy = LoopbackProxy.Start(cluster.EndPointOf(0));
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName, RequestTimeout = TimeSpan.FromMinutes(5) };
        options.Seeds.Add(proxy.EndPoint.ToString());
        await using var client = await DhtClient.ConnectAsync(options);

        var batch = new DhtBatch();
        for (var i = 0; i < 50; i++)
            batch.Get(Bytes($"k{i}"));
        // The requests reach the proxy and stop there: all fifty are pending when the link is cut.
        proxy.Stall(true, ProxyDirection.ClientToServer);
        var run = client.ExecuteAsync(batch).AsTask();
        await proxy.WaitUntilAsync(() => proxy.HeldChunks > 0, "the batch's frames to reach the proxy", TimeSpan.FromSeconds(30));
        Assert.False(run.IsCompleted);
        proxy.CutAll();
        await Bounded.WithinAsync(run, "the batch to end once its connection is lost");

        for (var i = 0; i < batch.Count; i++)
        {
            Assert.Equal(StatusCode.NodeUnavailable, batch[i].Status);
            Assert.Null(batch[i].Value);
            Assert.NotNull(batch[i].Error);
        }
    }

    [Fact]
    public async Task A_batch_is_bounded_and_cannot_change_or_run_twice_while_it_runs()
    {
        var batch = new DhtBatch(1);
        for (var i = 0; i < DhtBatch.MaxCount; i++)
            batch.Get("k"u8.ToArray());
        Assert.Throws<InvalidOperationException>(() => batch.Get("k"u8.ToArray()));
        Assert.Throws<ArgumentException>(() => new DhtBatch().Get(ReadOnlyMemory<byte>.Empty));
        batch.Clear();
        Assert.Equal(0, batch.Count);

        await using var cluster = await TestCluster.StartAsync(1);
        await using var proxy = LoopbackProxy.Start(cluster.EndPointOf(0));
        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName, RequestTimeout = TimeSpan.FromMinutes(5) };
        options.Seeds.Add(proxy.EndPoint.ToString());
        await using var client = await DhtClient.ConnectAsync(options);
        batch.Put("k"u8.ToArray(), "v"u8.ToArray());
        proxy.Stall(true, ProxyDirection.ClientToServer);
        var run = client.ExecuteAsync(batch).AsTask();
        await proxy.WaitUntilAsync(() => proxy.HeldChunks > 0, "the batch's frame to reach the proxy", TimeSpan.FromSeconds(30));
        Assert.Throws<InvalidOperationException>(() => batch.Get("k"u8.ToArray()));
        Assert.Throws<InvalidOperationException>(() => batch.Clear());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.ExecuteAsync(batch));
        proxy.Stall(false, ProxyDirection.ClientToServer);
        await Bounded.WithinAsync(run, "the batch to end once the proxy relays it");
        Assert.Equal(StatusCode.Ok, batch[0].Status);
        Assert.Equal("v"u8.ToArray(), await client.GetAsync("k"u8.ToArray()));
    }
}
