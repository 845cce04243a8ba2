using System.Text;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>
/// A MultiPut whose vote or decision goes wrong at one participant, on two nodes whose one link runs through proxies:
/// a refused prepare (remote or local) is never committed over, and the client hears Ok only once every participant
/// applied the commit. Each test fails if the coordinator ignores the refusal or the failed delivery.
/// </summary>
public sealed class TwoPhaseCommitTests
{
    private static Task<TestCluster> StartAsync(TimeSpan lease) => TestCluster.StartAsync(2, o =>
    {
        o.TxnLockLease = lease;
        o.TxnTimeout = lease * 0.9;
        o.LockExpiryScanInterval = TimeSpan.FromMilliseconds(20);
    }, proxied: true);

    private static byte[] KeyOwnedBy(TestCluster cluster, int node, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}{i}");
            if (cluster.OwnerOf(key) == node)
                return key;
        }
    }

    private static string? Stored(TestCluster cluster, byte[] key) =>
        cluster[cluster.OwnerOf(key)].Core.Keyspace.TryGet(key, out var v) ? Encoding.UTF8.GetString(v.Span) : null;

    /// <summary>Ok (after a retry) with every key written, or a refusal with none written: never a part.</summary>
    private static void AssertAllOrNothing(TestCluster cluster, RawResponse r, params byte[][] keys)
    {
        var values = keys.Select(k => Stored(cluster, k)).ToArray();
        if (r.Status == StatusCode.Ok)
        {
            Assert.True(r.Attempts() >= 2, "the refused attempt was aborted and retried");
            Assert.All(values, v => Assert.Equal("v1", v));
        }
        else
        {
            Assert.All(values, Assert.Null);
        }
    }

    [Fact]
    public async Task A_remote_participant_that_lost_its_lease_before_prepare_is_never_committed_over()
    {
        await using var cluster = await StartAsync(TimeSpan.FromSeconds(1));
        var a = KeyOwnedBy(cluster, 0, "ra");
        var b = KeyOwnedBy(cluster, 1, "rb");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        // Node 1's grant reaches the coordinator only once node 1 holds the key; then the coordinator's prepare to node 1
        // is held until node 1's lease has ended, so node 1 refuses to prepare (it holds nothing any more).
        cluster.StallLink(1, 0, true);
        var put = client.MultiPutAsync([a, b], "v1"u8.ToArray());
        await Bounded.UntilAsync(() => cluster[1].Core.Locks.IsLocked(b), "node 1 grants the coordinator's lock");
        cluster.StallLink(0, 1, true);
        cluster.StallLink(1, 0, false);
        await Bounded.UntilAsync(() => cluster[0].Core.Participant.PreparedCount == 1, "the coordinator prepares its own part");
        await Bounded.UntilAsync(() => !cluster[1].Core.Locks.IsLocked(b), "node 1's lease ends before the prepare arrives");
        cluster.StallLink(0, 1, false);

        AssertAllOrNothing(cluster, await put.WithinAsync("the MultiPut"), a, b);
    }

    [Fact]
    public async Task A_local_prepare_refusal_is_never_committed_over()
    {
        await using var cluster = await StartAsync(TimeSpan.FromSeconds(1));
        var a = KeyOwnedBy(cluster, 0, "la");
        var b = KeyOwnedBy(cluster, 1, "lb");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        // The coordinator's TxnLock to node 1 is held until the coordinator's own lock has expired: node 1 then grants
        // and prepares with a fresh lease, while the coordinator's local prepare finds nothing to pin and refuses.
        cluster.StallLink(0, 1, true);
        var put = client.MultiPutAsync([a, b], "v1"u8.ToArray());
        await Bounded.UntilAsync(() => cluster[0].Core.Locks.IsLocked(a), "the coordinator locks its own key");
        await Bounded.UntilAsync(() => !cluster[0].Core.Locks.IsLocked(a), "the coordinator's own lease ends");
        cluster.StallLink(0, 1, false);

        AssertAllOrNothing(cluster, await put.WithinAsync("the MultiPut"), a, b);
    }

    [Fact]
    public async Task The_client_hears_Ok_only_once_every_participant_applied_the_commit_even_when_the_delivery_fails()
    {
        await using var cluster = await StartAsync(TimeSpan.FromSeconds(30));
        var a1 = KeyOwnedBy(cluster, 0, "ca");
        var a2 = KeyOwnedBy(cluster, 0, "cc");
        var b = KeyOwnedBy(cluster, 1, "cb");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var blocker = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        // A younger explicit lock on a2 holds the MultiPut in its lock phase (wait-die: the older one waits), after
        // node 1 has granted b.
        var young = new TxnId((ulong)(DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds() * 1000), 0, 1);
        Assert.Equal(StatusCode.Ok, (await blocker.LockAsync(young, [a2], 30_000)).Status);
        var put = client.MultiPutAsync([a1, a2, b], "v1"u8.ToArray());
        await Bounded.UntilAsync(() => cluster[1].Core.Locks.IsLocked(b), "node 1 grants b");
        await Task.Delay(100); // node 1's grant travels back to the coordinator (nothing is held yet)
        // Node 1's answers are held from now: it prepares, and its vote waits in the proxy.
        cluster.StallLink(1, 0, true);
        Assert.Equal(StatusCode.Ok, (await blocker.UnlockAsync(young, [a2])).Status);
        await Bounded.UntilAsync(() => cluster[1].Core.Participant.PreparedCount == 1, "node 1 prepares");
        // The vote goes through, the commit to node 1 does not: the link is cut under it, so its delivery fails.
        cluster.StallLink(0, 1, true);
        cluster.StallLink(1, 0, false);
        await Bounded.UntilAsync(() => Stored(cluster, a1) == "v1", "the coordinator applies its own part");
        cluster.ProxyOf(0).CutAll();
        cluster.ProxyOf(1).CutAll();
        cluster.StallLink(0, 1, false);

        var r = await put.WithinAsync("the MultiPut");
        // Read at once: an Ok must mean node 1 has its part already.
        var atNode1 = Stored(cluster, b);
        Assert.True(r.Status == StatusCode.Ok, $"{r.Status} {r.ErrorMessage}");
        Assert.Equal("v1", atNode1);
        Assert.Equal("v1", Stored(cluster, a2));
    }

    [Fact]
    public async Task A_prepare_whose_fencing_token_is_not_the_held_one_is_refused_and_nothing_is_written()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var participant = cluster[0].Core.Participant;
        var key = "fence"u8.ToArray();
        var txn = new Locking.TxnId(1000, 0, 7);
        var tokens = new long[1];
        Assert.True((await participant.LockAsync(txn, Locking.LockMode.Exclusive, TimeSpan.FromSeconds(30), 0, 99, [key], tokens)).IsOk);
        TxnMember[] members = [new(0, cluster[0].Core.Incarnation)];

        var stale = participant.Prepare(txn, 0, cluster[0].Core.Incarnation, members, [key], ["v"u8.ToArray()], [tokens[0] - 1], long.MaxValue);
        Assert.Equal(StatusCode.StaleFence, stale.Status);
        Assert.True(participant.Decide(new TxnDecision(txn, 0, Commit: true)).IsOk);
        Assert.False(cluster[0].Core.Keyspace.TryGet(key, out _));
        Assert.False(cluster[0].Core.Locks.IsLocked(key));

        // The same with the token it was granted goes through.
        Assert.True((await participant.LockAsync(txn, Locking.LockMode.Exclusive, TimeSpan.FromSeconds(30), 1, 99, [key], tokens)).IsOk);
        Assert.True(participant.Prepare(txn, 1, cluster[0].Core.Incarnation, members, [key], ["v"u8.ToArray()], [tokens[0]], long.MaxValue).IsOk);
        Assert.True(participant.Decide(new TxnDecision(txn, 1, Commit: true)).IsOk);
        Assert.True(cluster[0].Core.Keyspace.TryGet(key, out var value));
        Assert.Equal("v"u8.ToArray(), value.ToArray());
    }
}
