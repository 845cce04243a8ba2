using FastDht.Engine.Keyspace;
using FastDht.Engine.Transactions.Internal;
using FastDht.Locking;
using FastDht.Locking.Strategies;
using FastDht.Protocol;
using FastDht.Storage;
using FastDht.TestUtilities;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// docs/known-issues.md §3: at a participant, a peer's TxnLock of several keys is served one key at a time under the
/// link's lock-table session, and the link's close releases that session once. A batch still running then (its wait
/// granted, or its continuation run, after the close's release passed) took its next keys under the closed session,
/// and if the coordinator's abort could not be delivered (no link yet), they stayed locked until their lease
/// (TxnLockLease, 30 s). Now the link marks its session closed before the release, and a batch that takes a key or
/// queues a wait after the mark releases again. Each interleaving is driven step by step on one thread.
/// </summary>
public sealed class LinkCloseLockTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TxnId Txn = new(1_000, 0, 1);
    private static readonly TxnId Holder = new(2_000, 1, 1); // younger: under wait-die the older Txn waits for it
    private const long LinkSession = 2;
    private const long HolderSession = 1;

    private readonly HookedStrategy _strategy = new(new WaitDieStrategy()); // the default strategy
    private readonly LockTable _table;
    private readonly TxnParticipant _participant;
    private readonly LinkLockSession _link;

    public LinkCloseLockTests()
    {
        _table = new LockTable(_strategy, new LockTableOptions { ExpiryScanInterval = TimeSpan.Zero });
        _participant = new TxnParticipant(_table, new LocalKeyspace(new ShardedStore(), _table), new TxnDecisions());
        _link = new LinkLockSession(_table, LinkSession);
    }

    public void Dispose() => _table.Dispose();

    [Fact]
    public async Task A_wait_queued_after_the_links_close_released_ends_and_takes_nothing()
    {
        byte[] free = "free"u8.ToArray(), held = "held"u8.ToArray();
        Assert.True((await _table.AcquireAsync(held, Holder, LockMode.Exclusive, HolderSession, Lease)).IsGranted);
        // The link closes after the batch took "free", before its wait for "held" is queued: here, at the moment the
        // table decides that request must wait. The close's release finds "free" and no wait yet.
        _strategy.OnFirstConflictOf(Txn, () => _link.Close());

        var locking = _participant.LockAsync(Txn, LockMode.Exclusive, Lease, 0, _link, [free, held], new long[2]);
        Assert.True(_strategy.Fired);

        // The holder lets go. Before the fix the wait queued after the close was granted now, under the closed
        // session, and nothing was left to release it (the coordinator's abort had no link): held until the lease.
        Assert.True(_table.Release(held, Holder));
        var step = await locking.AsTask().WithinAsync("the lock call to end");

        Assert.False(step.IsOk, "a TxnLock whose link closed while it took its keys answered Ok");
        AssertNothingHeldByTxn(free, held);
    }

    [Fact]
    public async Task Keys_a_batch_takes_after_its_links_close_are_released()
    {
        byte[] first = "first"u8.ToArray(), second = "second"u8.ToArray();
        // What a batch's continuation meets when it runs after the close (its wait granted just before the close, the
        // continuation queued on the pool): the session is already closed and released when it takes its next keys.
        Assert.Equal(0, _link.Close());

        var step = await _participant.LockAsync(Txn, LockMode.Exclusive, Lease, 0, _link, [first, second], new long[2]);

        Assert.Equal(StatusCode.Aborted, step.Status);
        AssertNothingHeldByTxn(first, second);
    }

    [Fact]
    public async Task A_batch_on_an_open_link_keeps_its_keys_until_the_close()
    {
        byte[] first = "first"u8.ToArray(), second = "second"u8.ToArray();
        var tokens = new long[2];

        var step = await _participant.LockAsync(Txn, LockMode.Exclusive, Lease, 0, _link, [first, second], tokens);

        Assert.True(step.IsOk);
        Assert.True(_table.IsHeldBy(first, Txn) && _table.IsHeldBy(second, Txn));
        Assert.All(tokens, t => Assert.NotEqual(0, t));
        Assert.Equal(2, _link.Close());
        AssertNothingHeldByTxn(first, second);
    }

    /// <summary>The transaction holds none of the keys and waits for nothing; no key is locked at all.</summary>
    private void AssertNothingHeldByTxn(params byte[][] keys)
    {
        var edges = new List<WaitForEdge>();
        _table.CollectWaitsFor(edges);
        Assert.DoesNotContain(edges, e => e.Waiter == Txn);
        foreach (var key in keys)
        {
            Assert.False(_table.IsHeldBy(key, Txn), $"{System.Text.Encoding.ASCII.GetString(key)} was left locked under the closed link's session");
            Assert.False(_table.IsLocked(key));
        }
    }
}
