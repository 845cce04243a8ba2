using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Transactions.Internal;
using FastDht.Locking;
using FastDht.Locking.Strategies;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// docs/known-issues.md §5 (audit of session 10, finding 6): after node 1 was frozen for 8 s, a writer's keys answered
/// "gave up after 50 attempts ... died (wait-die)" for 34 s, until TxnLockLease; the writer's MSET before that got
/// "-CLUSTERDOWN node 0 ... is unavailable: no live link" from the resumed coordinator (node 1). That answer is this
/// interleaving: the groups are locked in parallel in node-id order; node 0's group fails at once (no link), which
/// aborts the attempt before node 1's own group has begun, so that abort finds nothing held here and is remembered;
/// then the local group takes its locks (session Coordinator: no link closes them). The attempt's second abort (the
/// one RunAsync sends after the failed lock phase) was answered Ok without releasing anything, because the abort was
/// already remembered: the local locks stayed until their lease. Fixed on branch detect (a repeated abort releases).
/// </summary>
public sealed class CoordinatorUnreachableAbortTests : IDisposable
{
    private static readonly MemberList Three = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");

    private readonly LockTable _table = new(new WaitDieStrategy(), new LockTableOptions { ExpiryScanInterval = TimeSpan.Zero });
    private readonly CancellationTokenSource _stopping = new();

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _table.Dispose();
    }

    [Fact]
    public async Task A_multiput_that_finds_no_link_to_one_owner_leaves_no_lock_at_the_coordinators_own_node()
    {
        var state = ClusterState.Initial(Three);
        byte[] remote = KeyOwnedBy(state, 0), local = KeyOwnedBy(state, 1);
        var decisions = new TxnDecisions();
        var keyspace = new LocalKeyspace(new ShardedStore(), _table);
        var participant = new TxnParticipant(_table, keyspace, decisions);
        var settings = new TxnSettings(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), 50, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        // Node 1 with no peers attached: every other node answers "no live link", as node 0 did right after the freeze.
        var coordinator = new TransactionCoordinator(1, 1, settings, new ClusterStateHolder(state), keyspace, participant, decisions, ordered: false, NullLogger.Instance, _stopping.Token);

        var result = await coordinator.MultiPutAsync([remote, local], ["a"u8.ToArray(), "b"u8.ToArray()]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(StatusCode.NodeUnavailable, result.Step.Status);
        // A younger transaction dies at once under wait-die if anything still holds the key, and is granted at once
        // if nothing does: either way the answer is synchronous, no wait.
        var younger = new TxnId(long.MaxValue / 2, 2, 1);
        var acquiring = _table.AcquireAsync(local, younger, LockMode.Exclusive, 7, TimeSpan.FromMinutes(1));
        Assert.True(acquiring.IsCompleted);
        Assert.True((await acquiring).IsGranted, "the coordinator's own lock of the failed attempt was left held until its lease");
    }

    private static byte[] KeyOwnedBy(ClusterState state, ushort node)
    {
        for (var i = 0; i < 100_000; i++)
        {
            var key = System.Text.Encoding.ASCII.GetBytes($"k{i}");
            if (state.OwnerOf(key) == node)
                return key;
        }
        throw new InvalidOperationException($"no key of node {node} among the first 100000");
    }
}
