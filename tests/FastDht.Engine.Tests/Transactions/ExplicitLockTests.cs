using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>Explicit Lock/Unlock/RenewLease across nodes: leases, connection drops, fencing, and who may release.</summary>
public sealed class ExplicitLockTests
{
    private static readonly byte[] Value = "v"u8.ToArray();

    /// <summary>One key owned by each node, so a lock on them spans the cluster.</summary>
    private static byte[][] OneKeyPerNode(TestCluster cluster, string prefix)
    {
        var keys = new byte[3][];
        for (var i = 0; keys.Any(k => k is null); i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}:{i}");
            keys[cluster.OwnerOf(key)] ??= key;
        }
        return keys;
    }

    private static async Task AssertAllLockedAsync(NativeTestClient client, byte[][] keys)
    {
        foreach (var key in keys)
            Assert.Equal(StatusCode.Locked, (await client.PutAsync(key, Value)).Status);
    }

    private static async Task AssertAllFreeSoonAsync(NativeTestClient client, byte[][] keys, string why)
    {
        // Bounded: 400 tries 25 ms apart, about 10 s.
        for (var attempt = 0; attempt < 400; attempt++)
        {
            var free = true;
            foreach (var key in keys)
                free &= (await client.PutAsync(key, Value)).Status == StatusCode.Ok;
            if (free)
                return;
            await Task.Delay(25);
        }
        Assert.Fail($"timed out waiting for {why}");
    }

    [Fact]
    public async Task Locked_keys_refuse_plain_writes_until_unlocked_and_only_the_owner_can_unlock()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var keys = OneKeyPerNode(cluster, "lock");
        using var owner = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var other = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var txn = TxnRequests.NewTxn(0);
        var tokens = (await owner.LockAsync(txn, keys, 10_000)).Tokens();
        Assert.Equal(3, tokens.Length);

        await AssertAllLockedAsync(other, keys);
        Assert.Equal(StatusCode.Locked, (await other.DeleteAsync(keys[2])).Status);
        Assert.Equal(StatusCode.Locked, (await other.PutIfAbsentAsync(keys[1], Value)).Status);

        // Another transaction (through another node) cannot release them, and the owner's locks stay.
        var stranger = TxnRequests.NewTxn(1);
        var refused = await other.UnlockAsync(stranger, keys);
        Assert.Equal(StatusCode.NotOwner, refused.Status);
        await AssertAllLockedAsync(other, keys);

        // The holder writes under its locks with its tokens.
        for (var i = 0; i < keys.Length; i++)
            Assert.Equal(StatusCode.Ok, (await owner.FencedPutAsync(keys[i], Encoding.UTF8.GetBytes($"fenced {i}"), tokens[i])).Status);

        Assert.Equal(StatusCode.Ok, (await owner.UnlockAsync(txn, keys)).Status);
        for (var i = 0; i < keys.Length; i++)
            Assert.Equal($"fenced {i}", Encoding.UTF8.GetString((await other.GetAsync(keys[i])).Value));
        foreach (var key in keys)
            Assert.Equal(StatusCode.Ok, (await other.PutAsync(key, Value)).Status);
    }

    [Fact]
    public async Task A_stale_fencing_token_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var keys = OneKeyPerNode(cluster, "fence");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var first = TxnRequests.NewTxn(1);
        var old = (await client.LockAsync(first, keys, 10_000)).Tokens();
        Assert.Equal(StatusCode.Ok, (await client.UnlockAsync(first, keys)).Status);
        var second = TxnRequests.NewTxn(1);
        var fresh = (await client.LockAsync(second, keys, 10_000)).Tokens();
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.True(fresh[i] > old[i], "tokens grow per key");
            var stale = await client.FencedPutAsync(keys[i], Value, old[i]);
            Assert.Equal(StatusCode.StaleFence, stale.Status);
            Assert.Equal(StatusCode.Ok, (await client.FencedPutAsync(keys[i], Value, fresh[i])).Status);
        }
        Assert.Equal(StatusCode.Ok, (await client.UnlockAsync(second, keys)).Status);
        // No lock at all: a fenced write has nothing to match.
        Assert.Equal(StatusCode.StaleFence, (await client.FencedPutAsync(keys[0], Value, fresh[0])).Status);
    }

    [Fact]
    public async Task A_dropped_connection_frees_its_locks_on_every_node()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var keys = OneKeyPerNode(cluster, "drop");
        using var other = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2));
        var holder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        (await holder.LockAsync(TxnRequests.NewTxn(0), keys, 60_000)).Tokens();
        await AssertAllLockedAsync(other, keys);

        holder.Dispose(); // the client dies while holding locks
        await AssertAllFreeSoonAsync(other, keys, "the dead client's locks to be freed");
    }

    [Fact]
    public async Task A_lease_not_renewed_expires_and_its_token_goes_stale()
    {
        await using var cluster = await TestCluster.StartAsync(3, o => o.LockExpiryScanInterval = TimeSpan.FromMilliseconds(20));
        var keys = OneKeyPerNode(cluster, "lease");
        using var holder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var other = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var txn = TxnRequests.NewTxn(0);
        var tokens = (await holder.LockAsync(txn, keys, 300)).Tokens();
        Assert.Equal(StatusCode.Ok, (await holder.RenewAsync(txn, keys, 300)).Status);

        // The holder stays connected but stops renewing: the leases end.
        await AssertAllFreeSoonAsync(other, keys, "the unrenewed leases to expire");
        Assert.Equal(StatusCode.NotOwner, (await holder.RenewAsync(txn, keys, 300)).Status);
        Assert.Equal(StatusCode.NotOwner, (await holder.UnlockAsync(txn, keys)).Status);

        // Someone else locks a key; the paused holder's token is refused.
        var next = TxnRequests.NewTxn(1);
        var newer = (await other.LockAsync(next, [keys[2]], 10_000)).Tokens();
        Assert.Equal(StatusCode.StaleFence, (await holder.FencedPutAsync(keys[2], Value, tokens[2])).Status);
        Assert.Equal(StatusCode.Ok, (await other.FencedPutAsync(keys[2], Value, newer[0])).Status);
    }

    [Fact]
    public async Task A_lock_request_naming_another_coordinator_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var r = await client.LockAsync(TxnRequests.NewTxn(2), [Value], 1000);
        Assert.Equal(StatusCode.BadRequest, r.Status);
    }

    [Fact]
    public async Task A_conflicting_lock_is_refused_and_MultiPut_gives_up_within_its_bound()
    {
        await using var cluster = await TestCluster.StartAsync(3, o =>
        {
            o.LockStrategy = "no-wait";
            o.TxnMaxAttempts = 3;
        });
        var keys = OneKeyPerNode(cluster, "conflict");
        using var holder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var other = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        (await holder.LockAsync(TxnRequests.NewTxn(0), keys, 60_000)).Tokens();

        var second = await other.LockAsync(TxnRequests.NewTxn(1), keys, 1000);
        Assert.Equal(StatusCode.Aborted, second.Status);

        var before = await holder.GetAsync(keys[1]);
        var put = await other.MultiPutAsync(keys, "multi"u8.ToArray());
        Assert.Equal(StatusCode.Aborted, put.Status);
        Assert.Contains("3 attempts", put.ErrorMessage);
        // The answer carries the attempts after its message (protocol.md 5.5), so a client can count every aborted one.
        Assert.True(ResponseDecoder.TryReadTxnError(put.Body, out _, out var attempts, out _));
        Assert.Equal(3u, attempts);
        Assert.Equal(before.Status, (await holder.GetAsync(keys[1])).Status); // nothing was written

        // The smart client hands the count on with the error.
        await using var client = await Engine.Client.DhtClient.ConnectAsync(Client.ClientClusterTests.OptionsFor(cluster, 1));
        var entries = keys.Select(k => KeyValuePair.Create<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>(k, Value)).ToArray();
        var gaveUp = await Assert.ThrowsAsync<Engine.Client.DhtServerException>(async () => await client.MultiPutAsync(entries));
        Assert.Equal(StatusCode.Aborted, gaveUp.Status);
        Assert.Equal(3, gaveUp.Attempts);
        var read = await Assert.ThrowsAsync<Engine.Client.DhtServerException>(async () => await client.MultiGetAsync(keys.Select(k => (ReadOnlyMemory<byte>)k).ToArray()));
        Assert.Equal(StatusCode.Aborted, read.Status);
        Assert.Equal(3, read.Attempts);
    }

    [Fact]
    public async Task An_unknown_strategy_fails_the_start_listing_the_known_ones()
    {
        await using var cluster = await TestCluster.StartAsync(1, o => o.LockStrategy = "optimistic", start: false);
        var e = await Assert.ThrowsAsync<ClusterConfigurationException>(() => cluster.StartNodeAsync(0));
        Assert.Contains("optimistic", e.Message);
        Assert.Contains("wait-die", e.Message);
        Assert.Contains("wound-wait", e.Message);
    }
}
