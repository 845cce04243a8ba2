using System.Text;
using FastDht.Engine.Client;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Client;

/// <summary>Native Put and PutIfAbsent with a time to live (the EXPIRES flag): applied through the keyspace's expiry at the owner.</summary>
public sealed class PutWithTimeToLiveTests
{
    [Fact]
    public async Task A_put_with_a_time_to_live_is_read_until_it_expires_then_is_gone_on_every_node()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster, 1));
        var keys = new List<byte[]>();
        for (var i = 0; keys.Select(k => cluster.OwnerOf(k)).Distinct().Count() < 3; i++)
            keys.Add(Encoding.UTF8.GetBytes($"ttl:{i}"));
        foreach (var key in keys)
        {
            await client.PutAsync(key, "v"u8.ToArray(), TimeSpan.FromMinutes(10));
            Assert.Equal("v"u8.ToArray(), await client.GetAsync(key));
            // Stored at the owner with an expiry on its clock, not as a plain value.
            Assert.True(cluster[cluster.OwnerOf(key)].Store.TryGet(key, out _, out var metadata));
            Assert.True(metadata.HasExpiry);
            await client.PutAsync(key, "v"u8.ToArray(), TimeSpan.FromMilliseconds(200));
        }
        foreach (var key in keys)
            await Bounded.UntilAsync(async () => await client.GetAsync(key) is null, "the key to expire");
        // A plain Put after it carries no expiry, as Redis's SET drops one.
        await client.PutAsync(keys[0], "w"u8.ToArray());
        Assert.True(cluster[cluster.OwnerOf(keys[0])].Store.TryGet(keys[0], out _, out var plain));
        Assert.False(plain.HasExpiry);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await client.PutAsync(keys[0], "x"u8.ToArray(), TimeSpan.Zero));
    }

    [Fact]
    public async Task Put_if_absent_with_a_time_to_live_is_a_lease_that_frees_itself()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var client = await DhtClient.ConnectAsync(ClientClusterTests.OptionsFor(cluster));
        Assert.True(await client.PutIfAbsentAsync("lease", "a", TimeSpan.FromMinutes(10)));
        Assert.False(await client.PutIfAbsentAsync("lease", "b", TimeSpan.FromMinutes(1)));
        Assert.Equal("a", await client.GetStringAsync("lease"));
        Assert.True(await client.PutIfAbsentAsync("brief", "a", TimeSpan.FromMilliseconds(200)));
        await Bounded.UntilAsync(async () => await client.PutIfAbsentAsync("brief", "b", TimeSpan.FromMinutes(1)), "the lease to expire and be taken again");
        Assert.Equal("b", await client.GetStringAsync("brief"));
    }

    [Fact]
    public async Task A_forwarded_put_keeps_its_time_to_live_and_a_misplaced_EXPIRES_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var key = Enumerable.Range(0, 100).Select(i => Encoding.UTF8.GetBytes($"fwd:{i}")).First(k => cluster.OwnerOf(k) == 2);
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var put = await c.RequestAsync((w, id) => FrameWriter.WriteKeyValue(w, id, Opcode.Put, key, "v"u8, FrameFlags.None, 60_000));
        Assert.Equal(StatusCode.Ok, put.Status);
        Assert.True(cluster[2].Store.TryGet(key, out _, out var metadata));
        Assert.InRange(metadata.ExpiresAt, before + 60_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 60_000);
        var again = await c.RequestAsync((w, id) => FrameWriter.WriteKeyValue(w, id, Opcode.PutIfAbsent, key, "w"u8, FrameFlags.None, 60_000));
        Assert.Equal(StatusCode.Exists, again.Status);

        // EXPIRES on a Get: refused, nothing changes, the connection stays.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.WriteGet(buffer, 77, key);
        var frame = buffer.WrittenSpan.ToArray();
        frame[9] |= (byte)FrameFlags.Expires;
        await c.SendRawAsync(frame);
        var refused = await c.ReadResponseAsync();
        Assert.NotNull(refused);
        Assert.Equal(StatusCode.BadRequest, refused.Status);
        Assert.Equal("v"u8.ToArray(), (await c.GetAsync(key)).Value);
    }
}
