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
/// An abort of a transaction's attempt ends every wait of that attempt, including one that begins at a participant
/// after the abort passed there. Under "detect" such a wait left behind was a deadlock nobody broke: the detector named
/// its transaction every round, the coordinator dropped the wounds (its abort had already run), and the cycle lasted
/// until the coordinator's TxnLock call timed out at the transaction's deadline (the CI failure of
/// MultiPutAtomicityTests under "detect", 2026-12-02: "node 2 did not answer in time"). Each interleaving is driven
/// step by step on one thread, so every test is deterministic.
/// </summary>
public sealed class TxnAbortRaceTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TxnId Holder = new(1_000, 1, 1);
    private static readonly TxnId Txn = new(2_000, 0, 1);

    private readonly HookedStrategy _strategy = new(new DeadlockDetectStrategy());
    private readonly LockTable _table;
    private readonly TxnParticipant _participant;

    public TxnAbortRaceTests()
    {
        _table = new LockTable(_strategy, new LockTableOptions { ExpiryScanInterval = TimeSpan.Zero });
        _participant = new TxnParticipant(_table, new LocalKeyspace(new ShardedStore(), _table), new TxnDecisions());
    }

    public void Dispose() => _table.Dispose();

    [Fact]
    public async Task An_abort_that_lands_between_two_keys_ends_the_wait_the_next_key_begins()
    {
        byte[] free = "free"u8.ToArray(), held = "held"u8.ToArray();
        Assert.True((await _table.AcquireAsync(held, Holder, LockMode.Exclusive, 1, Lease)).IsGranted);
        // The TxnAbort runs after the batch took "free" and checked its mark, before its wait for "held" is queued:
        // here, at the moment the table decides that request must wait (the strategy is asked, under the shard lock).
        _strategy.OnFirstConflictOf(Txn, () => _participant.Decide(new TxnDecision(Txn, 0, Commit: false)));

        var locking = _participant.LockAsync(Txn, LockMode.Shared, Lease, 0, 2, [free, held], new long[2]);

        Assert.True(_strategy.Fired);
        Assert.True(locking.IsCompleted, "the wait for the second key outlived the abort of its attempt");
        Assert.Equal(StatusCode.Aborted, (await locking).Status);
        AssertNothingLeft();
    }

    [Fact]
    public async Task An_abort_repeated_after_a_lock_call_that_came_late_ends_its_wait()
    {
        byte[] held = "held"u8.ToArray();
        Assert.True((await _table.AcquireAsync(held, Holder, LockMode.Exclusive, 1, Lease)).IsGranted);
        // The TxnAbort overtook the TxnLock on the link: the attempt is aborted here before its lock call begins.
        Assert.True(_participant.Decide(new TxnDecision(Txn, 0, Commit: false)).IsOk);
        var locking = _participant.LockAsync(Txn, LockMode.Shared, Lease, 0, 2, [held], new long[1]);
        Assert.False(locking.IsCompleted); // the late call waits (the coordinator is still waiting for its answer)

        // The coordinator aborts again (a wound for the victim of a cycle through this wait): the wait must end.
        Assert.True(_participant.Decide(new TxnDecision(Txn, 0, Commit: false)).IsOk);

        // The wait's end resumes the call on the thread pool (the table runs continuations asynchronously): a bounded
        // await. Before the fix nothing ended the wait (its lease is a minute) and this failed after the bound.
        var step = await locking.AsTask().WithinAsync("the late lock call to end after the repeated abort");
        Assert.Equal(StatusCode.Aborted, step.Status);
        AssertNothingLeft();
    }

    [Fact]
    public async Task An_abort_repeated_after_a_lock_call_that_came_late_releases_what_it_took()
    {
        byte[] free = "free"u8.ToArray();
        // The TxnAbort overtook the TxnLock on the link; the late call finds its key free and takes it. The
        // coordinator's attempt has failed, so once every lock call answered it sends the abort again. Before the fix
        // that abort did nothing, under any strategy, and the key stayed locked by the aborted attempt until its lease ended.
        Assert.True(_participant.Decide(new TxnDecision(Txn, 0, Commit: false)).IsOk);
        var step = await _participant.LockAsync(Txn, LockMode.Exclusive, Lease, 0, 2, [free], new long[1]);
        Assert.True(step.IsOk);

        Assert.True(_participant.Decide(new TxnDecision(Txn, 0, Commit: false)).IsOk);

        Assert.False(_table.IsHeldBy(free, Txn), "a repeated abort left the late lock call's key locked");
        Assert.False(_table.IsLocked(free));
    }

    [Fact]
    public void A_wound_after_the_attempt_abort_completed_aborts_again_while_locks_are_still_awaited()
    {
        var txn = new CoordinatedTxn(Txn, LockMode.Shared, [], 0);
        var aborts = 0;
        var running = new TaskCompletionSource();
        Func<CoordinatedTxn, Task> abortAll = _ =>
        {
            aborts++;
            return aborts == 2 ? running.Task : Task.CompletedTask;
        };
        txn.BeginLocking();

        txn.TriggerAbort(abortAll, wound: false); // a participant refused: the attempt's abort, completed at once
        Assert.Equal(1, aborts);
        txn.TriggerAbort(abortAll, wound: false); // another refusal (the abort's own Released): nothing new
        Assert.Equal(1, aborts);
        txn.TriggerAbort(abortAll, wound: true); // a wound while a lock call is still out: abort again
        Assert.Equal(2, aborts);
        txn.TriggerAbort(abortAll, wound: true); // one abort in flight at a time
        Assert.Equal(2, aborts);
        Assert.True(txn.IsWounded);

        var pending = txn.EndLocking();
        Assert.NotNull(pending);
        Assert.False(pending.IsCompleted); // the attempt ends only after the abort it started last
        running.SetResult();
        Assert.True(pending.IsCompleted);
        txn.TriggerAbort(abortAll, wound: true); // after the lock phase a wound starts nothing
        Assert.Equal(2, aborts);
    }

    /// <summary>The transaction holds nothing and waits for nothing in the table; the holder still holds its key.</summary>
    private void AssertNothingLeft()
    {
        var edges = new List<WaitForEdge>();
        _table.CollectWaitsFor(edges);
        Assert.DoesNotContain(edges, e => e.Waiter == Txn);
        Assert.False(_table.IsHeldBy("free"u8, Txn));
        Assert.False(_table.IsHeldBy("held"u8, Txn));
        Assert.True(_table.IsHeldBy("held"u8, Holder));
    }
}
