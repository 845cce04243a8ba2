using System.Text;
using FastDht.Engine.Tests.Transactions;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>
/// A participant that stops after it voted yes and before the commit reaches it, then starts again: with a data
/// directory its prepare is in its log, it installs the attempt again and the coordinator's delivery applies it, so
/// the client hears Ok and the group is whole; without one its part is lost and the client is told so, never Ok.
/// </summary>
public sealed class PreparedRestartTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "keyspace-prepared-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private static byte[] KeyOwnedBy(TestCluster cluster, int node, string prefix)
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}{i}");
            if (cluster.OwnerOf(key) == node)
                return key;
        }
    }

    private static string? Stored(TestCluster cluster, int node, byte[] key) =>
        cluster[node].Core.Keyspace.TryGet(key, out var v) ? Encoding.UTF8.GetString(v.Span) : null;

    /// <summary>
    /// Runs a MultiPut of a (node 0, the coordinator) and b (node 1) until node 1 has voted yes and the coordinator has
    /// applied its own part, with the TxnCommit to node 1 held in the proxy; then stops node 1 (the held commit is cut
    /// with the link) and starts it again. Returns the MultiPut's answer.
    /// </summary>
    private static async Task<RawResponse> RestartTheParticipantBeforeItsCommitAsync(TestCluster cluster, byte[] a, byte[] b, Func<Task>? beforeStop = null)
    {
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        // Node 1's grant is held until both keys are locked; then its grant flows and the prepare is held.
        cluster.StallLink(1, 0, true);
        var put = client.MultiPutAsync([a, b], "v1"u8.ToArray());
        await Bounded.UntilAsync(() => cluster[1].Core.Locks.IsLocked(b) && cluster[0].Core.Locks.IsLocked(a), "both keys are locked");
        cluster.StallLink(0, 1, true);
        cluster.StallLink(1, 0, false);
        await Bounded.UntilAsync(() => cluster[0].Core.Coordinator.DecidingCount == 1, "the coordinator sends its prepare");
        // The prepare reaches node 1, whose vote is held; then the vote flows and the commit that follows it is held.
        cluster.StallLink(1, 0, true);
        cluster.StallLink(0, 1, false);
        await Bounded.UntilAsync(() => cluster[1].Core.Participant.PreparedCount == 1, "node 1 prepares");
        cluster.StallLink(0, 1, true);
        cluster.StallLink(1, 0, false);
        await Bounded.UntilAsync(() => Stored(cluster, 0, a) == "v1", "the coordinator decides commit and applies its own part");
        Assert.Null(Stored(cluster, 1, b));
        if (beforeStop is not null)
            await beforeStop();

        await cluster.StopNodeAsync(1);
        cluster.ProxyOf(0).CutAll();
        cluster.ProxyOf(1).CutAll();
        cluster.StallLink(0, 1, false);
        await cluster.StartNodeAsync(1);
        return await put.WithinAsync("the MultiPut");
    }

    [Fact]
    public async Task With_a_data_directory_a_participant_restarted_between_prepare_and_commit_applies_its_part()
    {
        await using var cluster = await TestCluster.StartAsync(2, o =>
        {
            o.DataDir = Path.Combine(_root, $"node{o.NodeId}");
            o.TxnTimeout = TimeSpan.FromSeconds(15); // the client waits for the restart instead of hearing "in doubt"
            o.TxnLockLease = TimeSpan.FromSeconds(30);
        }, proxied: true);
        var a = KeyOwnedBy(cluster, 0, "pa");
        var b = KeyOwnedBy(cluster, 1, "pb");

        var r = await RestartTheParticipantBeforeItsCommitAsync(cluster, a, b);

        Assert.True(r.Status == StatusCode.Ok, $"{r.Status} {r.ErrorMessage}");
        Assert.Equal("v1", Stored(cluster, 1, b));
        Assert.Equal("v1", Stored(cluster, 0, a));
        Assert.Equal(0, cluster[1].Core.Participant.PreparedCount);
        Assert.False(cluster[1].Core.Locks.IsLocked(b));

        // The commit and its end are in node 1's log: another restart neither loses b nor installs the attempt again.
        await cluster.StopNodeAsync(1);
        await cluster.StartNodeAsync(1);
        Assert.Equal("v1", Stored(cluster, 1, b));
        Assert.Equal(0, cluster[1].Core.Participant.PreparedCount);
        Assert.False(cluster[1].Core.Locks.IsLocked(b));
    }

    [Fact]
    public async Task A_prepare_whose_log_two_snapshots_dropped_is_installed_again_from_the_snapshot_and_applied()
    {
        var dir1 = Path.Combine(_root, "node1");
        await using var cluster = await TestCluster.StartAsync(2, o =>
        {
            o.DataDir = Path.Combine(_root, $"node{o.NodeId}");
            o.TxnTimeout = TimeSpan.FromSeconds(15);
            o.TxnLockLease = TimeSpan.FromSeconds(30);
        }, proxied: true);
        var a = KeyOwnedBy(cluster, 0, "sa");
        var b = KeyOwnedBy(cluster, 1, "sb");

        var r = await RestartTheParticipantBeforeItsCommitAsync(cluster, a, b, async () =>
        {
            // Two snapshots while the attempt is prepared: the segment holding its prepare record is deleted, so only
            // the snapshots carry it.
            var log = cluster[1].Core.Keyspace.Log!;
            for (var i = 0; i < 2; i++)
            {
                Assert.True(log.TryStartSnapshot(out var done));
                await done.WaitAsync(TimeSpan.FromSeconds(30));
            }
            Assert.False(File.Exists(Path.Combine(dir1, "00000000000000000000.wal")));
        });

        Assert.True(r.Status == StatusCode.Ok, $"{r.Status} {r.ErrorMessage}");
        Assert.Equal("v1", Stored(cluster, 1, b));
        Assert.Equal(0, cluster[1].Core.Participant.PreparedCount);
        Assert.False(cluster[1].Core.Locks.IsLocked(b));
    }

    [Fact]
    public async Task Without_a_data_directory_the_client_is_told_the_restarted_participant_lost_its_part()
    {
        await using var cluster = await TestCluster.StartAsync(2, o =>
        {
            o.TxnTimeout = TimeSpan.FromSeconds(15);
            o.TxnLockLease = TimeSpan.FromSeconds(30);
        }, proxied: true);
        var a = KeyOwnedBy(cluster, 0, "na");
        var b = KeyOwnedBy(cluster, 1, "nb");

        var r = await RestartTheParticipantBeforeItsCommitAsync(cluster, a, b);

        // Documented (docs/transactions.md): prepared writes live in memory only; the group is torn and the client hears it.
        Assert.Equal(StatusCode.InternalError, r.Status);
        Assert.Contains("node 1", r.ErrorMessage);
        Assert.Contains("without a data directory", r.ErrorMessage);
        Assert.Null(Stored(cluster, 1, b));
    }
}
