using System.Text;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>
/// A MultiPut whose vote or decision goes wrong at one participant, on two nodes whose one link runs through proxies:
/// a refused prepare (remote or the coordinator's own) is never committed over, a refused commit is never reported as
/// Ok, a participant's commit checks its fences, and the client hears Ok only once every participant applied the
/// commit. Each test fails if the coordinator ignores the refusal or the failed delivery, or the participant its fence.
/// </summary>
public sealed class TwoPhaseCommitTests
{
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

    /// <summary>
    /// Brings a MultiPut of a (node 0, the coordinator) and b (node 1) to the point where the coordinator's TxnPrepare
    /// to node 1 is held in the proxy: both keys locked, nothing prepared. Returns the MultiPut's pending answer.
    /// </summary>
    private static async Task<Task<RawResponse>> HoldThePrepareAsync(TestCluster cluster, NativeTestClient client, byte[] a, byte[] b)
    {
        // Node 1's grant is held until node 1 holds b; then the grant flows and the prepare that follows it is held.
        cluster.StallLink(1, 0, true);
        var put = client.MultiPutAsync([a, b], "v1"u8.ToArray());
        await Bounded.UntilAsync(() => cluster[1].Core.Locks.IsLocked(b) && cluster[0].Core.Locks.IsLocked(a), "both keys are locked");
        cluster.StallLink(0, 1, true);
        cluster.StallLink(1, 0, false);
        await Bounded.UntilAsync(() => cluster[0].Core.Coordinator.DecidingCount == 1, "the coordinator ends the lock phase and sends its prepare");
        return put;
    }

    /// <summary>An older transaction (explicit Lock, id timestamp 1) asks for <paramref name="key"/> at <paramref name="node"/>: under wound-wait it wounds the MultiPut there.</summary>
    private static async Task<Task<RawResponse?>> WoundAtAsync(NativeTestClient older, int node, byte[] key)
    {
        var old = new TxnId(1, (ushort)node, 1);
        await older.SendRawAsync(Frame(w => FrameWriter.WriteLock(w, 1000, old, LockMode.Exclusive, 30_000, [key])));
        // Requests on one connection are dispatched in order, and the Lock wounds the holder before it waits: once the
        // Ping is answered, the wound has happened.
        await older.SendRawAsync(Frame(w => FrameWriter.WritePing(w, 1001, default)));
        var ping = await older.ReadResponseAsync();
        Assert.True(ping!.Header.RequestId == 1001, $"the older Lock was answered at once: {ping.Status} {ping.ErrorMessage}");
        return older.ReadResponseAsync();
    }

    private static byte[] Frame(Action<System.Buffers.ArrayBufferWriter<byte>> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public async Task A_remote_participant_wounded_before_its_prepare_is_never_committed_over()
    {
        await using var cluster = await TestCluster.StartAsync(2, o => o.LockStrategy = "wound-wait", proxied: true);
        var a = KeyOwnedBy(cluster, 0, "ra");
        var b = KeyOwnedBy(cluster, 1, "rb");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var older = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));

        var put = await HoldThePrepareAsync(cluster, client, a, b);
        var granted = await WoundAtAsync(older, 1, b);
        cluster.StallLink(0, 1, false); // node 1 refuses the prepare: the MultiPut was wounded there
        var lockOld = await granted.WithinAsync("the older lock");
        Assert.Equal(StatusCode.Ok, lockOld!.Status);
        Assert.Equal(StatusCode.Ok, (await older.UnlockAsync(new TxnId(1, 1, 1), [b])).Status);

        AssertAllOrNothing(cluster, await put.WithinAsync("the MultiPut"), a, b);
    }

    [Fact]
    public async Task The_client_hears_Ok_only_once_every_participant_applied_the_commit_even_when_the_delivery_fails()
    {
        await using var cluster = await TestCluster.StartAsync(2, proxied: true);
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

        var stale = participant.Prepare(txn, 0, cluster[0].Core.Incarnation, members, [new TxnWrite(key, "v"u8.ToArray(), (ulong)(tokens[0] - 1))], long.MaxValue);
        Assert.Equal(StatusCode.StaleFence, stale.Status);
        // A commit of the refused attempt finds nothing prepared: NotOwner, and nothing is written.
        Assert.Equal(StatusCode.NotOwner, participant.Decide(new TxnDecision(txn, 0, Commit: true)).Status);
        Assert.False(cluster[0].Core.Keyspace.TryGet(key, out _));
        Assert.False(cluster[0].Core.Locks.IsLocked(key));

        // The same with the token it was granted goes through.
        Assert.True((await participant.LockAsync(txn, Locking.LockMode.Exclusive, TimeSpan.FromSeconds(30), 1, 99, [key], tokens)).IsOk);
        Assert.True(participant.Prepare(txn, 1, cluster[0].Core.Incarnation, members, [new TxnWrite(key, "v"u8.ToArray(), (ulong)tokens[0])], long.MaxValue).IsOk);
        Assert.True(participant.Decide(new TxnDecision(txn, 1, Commit: true)).IsOk);
        Assert.True(cluster[0].Core.Keyspace.TryGet(key, out var value));
        Assert.Equal("v"u8.ToArray(), value.ToArray());
    }

    [Fact]
    public async Task A_local_participant_that_lost_its_lock_before_its_prepare_is_never_committed_over()
    {
        await using var cluster = await TestCluster.StartAsync(2, proxied: true);
        var a = KeyOwnedBy(cluster, 0, "la");
        var b = KeyOwnedBy(cluster, 1, "lb");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        // Node 1's grant is held in the proxy while the coordinator's own lock on a is lost, as the end of its lease
        // would release it: the lock phase still ends Ok, and only the local prepare can notice.
        cluster.StallLink(1, 0, true);
        var put = client.MultiPutAsync([a, b], "v1"u8.ToArray());
        await Bounded.UntilAsync(() => cluster[1].Core.Locks.IsLocked(b) && cluster[0].Core.Locks.IsLocked(a), "both keys are locked");
        Assert.True(cluster[0].Core.Locks.TryGetHolder(a, out var holder, out _));
        Assert.True(cluster[0].Core.Locks.Release(a, holder));
        cluster.StallLink(1, 0, false);

        AssertAllOrNothing(cluster, await put.WithinAsync("the MultiPut"), a, b);
    }

    [Fact]
    public async Task A_participant_that_refuses_the_commit_is_never_reported_as_committed()
    {
        await using var cluster = await TestCluster.StartAsync(2, proxied: true);
        var a = KeyOwnedBy(cluster, 0, "ka");
        var b = KeyOwnedBy(cluster, 1, "kb");
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));

        var put = await HoldThePrepareAsync(cluster, client, a, b);
        // Node 1 prepares; its vote is held while its prepared lock is lost (an invariant broken there), so the
        // commit that follows the vote is refused at node 1.
        cluster.StallLink(1, 0, true);
        cluster.StallLink(0, 1, false);
        await Bounded.UntilAsync(() => cluster[1].Core.Participant.PreparedCount == 1, "node 1 prepares");
        Assert.True(cluster[1].Core.Locks.TryGetHolder(b, out var holder, out _));
        Assert.Equal(1, cluster[1].Core.Locks.ReleaseAll(holder));
        cluster.StallLink(1, 0, false);

        var r = await put.WithinAsync("the MultiPut");
        Assert.True(r.Status == StatusCode.InternalError, $"{r.Status} {r.ErrorMessage}");
        Assert.Contains("node 1", r.ErrorMessage, StringComparison.Ordinal);
        Assert.Null(Stored(cluster, b));
    }

    [Fact]
    public async Task A_commit_whose_prepared_lock_was_lost_is_refused_and_writes_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var participant = cluster[0].Core.Participant;
        var key = "lost-fence"u8.ToArray();
        var txn = new Locking.TxnId(1000, 0, 7);
        var tokens = new long[1];
        Assert.True((await participant.LockAsync(txn, Locking.LockMode.Exclusive, TimeSpan.FromSeconds(30), 0, 99, [key], tokens)).IsOk);
        TxnMember[] members = [new(0, cluster[0].Core.Incarnation)];
        Assert.True(participant.Prepare(txn, 0, cluster[0].Core.Incarnation, members, [new TxnWrite(key, "v"u8.ToArray(), (ulong)tokens[0])], long.MaxValue).IsOk);

        // The prepared lock is lost (an invariant broken) and another transaction takes the key: the commit's fence
        // check refuses, and nothing is written over the new holder.
        Assert.Equal(1, cluster[0].Core.Locks.ReleaseAll(txn));
        var other = new Locking.TxnId(2000, 0, 8);
        Assert.True((await participant.LockAsync(other, Locking.LockMode.Exclusive, TimeSpan.FromSeconds(30), 0, 98, [key], new long[1])).IsOk);

        var commit = participant.Decide(new TxnDecision(txn, 0, Commit: true));
        Assert.Equal(StatusCode.InternalError, commit.Status);
        Assert.False(cluster[0].Core.Keyspace.TryGet(key, out _));
        Assert.True(cluster[0].Core.Locks.IsHeldBy(key, other));
    }
}
