using FastDht.Locking.Strategies;
using static FastDht.Locking.Tests.TestKeys;

namespace FastDht.Locking.Tests;

public sealed class LockTableTests
{
    private static readonly TxnId Old = Txn(100);
    private static readonly TxnId Mid = Txn(200);
    private static readonly TxnId Young = Txn(300);
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void Free_key_is_granted_synchronously_and_release_frees_it()
    {
        using LockTable table = NewTable(null, _clock);
        byte[] key = K("a");
        ValueTask<LockResult> pending = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.True(pending.IsCompletedSuccessfully);
        Assert.True(pending.Now().IsGranted);
        Assert.True(table.IsLocked(key));
        Assert.True(table.TryGetHolder(key, out TxnId holder, out LockMode mode));
        Assert.Equal(Old, holder);
        Assert.Equal(LockMode.Exclusive, mode);

        Assert.True(table.Release(key, Old));
        Assert.False(table.IsLocked(key));
        Assert.False(table.TryGetHolder(key, out _, out _));
        AssertEmpty(table);
    }

    [Fact]
    public void Release_by_a_non_owner_is_refused_and_the_owner_keeps_its_lock()
    {
        using LockTable table = NewTable(null, _clock);
        byte[] key = K("a");
        long token = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now().FencingToken;

        Assert.False(table.Release(key, Young));
        Assert.False(table.Release(K("other"), Old));
        Assert.True(table.TryGetHolder(key, out TxnId holder, out _));
        Assert.Equal(Old, holder);
        Assert.True(table.ValidateFence(key, Old, token));
        Assert.Equal(0, table.ReleaseAll(Young));
        Assert.True(table.IsLocked(key));

        Assert.True(table.Release(key, Old));
        Assert.False(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Shared_locks_coexist_and_exclude_exclusive()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        byte[] key = K("s");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(key, Mid, LockMode.Shared, 1, Lease).Now().IsGranted);

        ValueTask<LockResult> writer = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease);
        Assert.False(writer.IsCompleted);

        Assert.True(table.Release(key, Old));
        Assert.False(writer.IsCompleted);
        Assert.True(table.Release(key, Mid));
        Assert.True((await Within(writer)).IsGranted);
        Assert.True(table.Release(key, Young));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Waiters_are_woken_in_FIFO_order_and_a_newcomer_does_not_barge()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        byte[] key = K("fifo");
        TxnId a = Txn(1), b = Txn(2), c = Txn(3), d = Txn(4);
        Assert.True(table.AcquireAsync(key, a, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> wb = table.AcquireAsync(key, b, LockMode.Exclusive, 1, Lease);
        ValueTask<LockResult> wc = table.AcquireAsync(key, c, LockMode.Shared, 1, Lease);

        // d asks for shared while c (shared) waits behind b (exclusive): it queues rather than barging.
        ValueTask<LockResult> wd = table.AcquireAsync(key, d, LockMode.Shared, 1, Lease);
        Assert.False(wd.IsCompleted);

        Assert.True(table.Release(key, a));
        Assert.True((await Within(wb)).IsGranted);
        Assert.False(wc.IsCompleted);
        Assert.False(wd.IsCompleted);

        // Releasing b lets both shared waiters in at once.
        Assert.True(table.Release(key, b));
        Assert.True((await Within(wc)).IsGranted);
        Assert.True((await Within(wd)).IsGranted);
        Assert.Equal(2, table.ReleaseAll(c) + table.ReleaseAll(d));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Reentrant_acquire_and_upgrade()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        byte[] key = K("up");
        long shared = table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().FencingToken;
        Assert.Equal(shared, table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().FencingToken);
        Assert.False(table.ValidateFence(key, Old, shared));

        // The only holder upgrades at once, with a new token.
        LockResult upgraded = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now();
        Assert.True(upgraded.IsGranted);
        Assert.True(upgraded.FencingToken > shared);
        Assert.True(table.ValidateFence(key, Old, upgraded.FencingToken));

        // Exclusive covers shared: asking for shared again keeps the exclusive hold and token.
        Assert.Equal(upgraded.FencingToken, table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().FencingToken);
        Assert.True(table.TryGetHolder(key, out _, out LockMode mode));
        Assert.Equal(LockMode.Exclusive, mode);

        // Not counted: one release frees it.
        Assert.True(table.Release(key, Old));
        Assert.False(table.IsLocked(key));

        // An upgrade next to another shared holder waits for it.
        Assert.True(table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(key, Young, LockMode.Shared, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> upgrade = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(upgrade.IsCompleted);
        Assert.True(table.Release(key, Young));
        LockResult late = await Within(upgrade);
        Assert.True(table.ValidateFence(key, Old, late.FencingToken));
        Assert.Equal(1, table.ReleaseAll(Old));
        AssertEmpty(table);
    }

    [Fact]
    public void ReleaseAll_frees_every_key_of_the_transaction_only()
    {
        using LockTable table = NewTable(null, _clock);
        for (int i = 0; i < 20; i++)
        {
            Assert.True(table.AcquireAsync(K("k" + i), Old, i % 2 == 0 ? LockMode.Exclusive : LockMode.Shared, 1, Lease).Now().IsGranted);
        }

        Assert.True(table.AcquireAsync(K("k1"), Young, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(K("y"), Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);

        Assert.Equal(20, table.ReleaseAll(Old));
        Assert.False(table.IsLocked(K("k0")));
        Assert.True(table.IsLocked(K("k1")));
        Assert.True(table.IsLocked(K("y")));
        Assert.Equal(2, table.ReleaseAll(Young));
        AssertEmpty(table);
    }

    [Fact]
    public async Task ReleaseAll_aborts_the_transactions_pending_wait()
    {
        using LockTable table = NewTable(null, _clock);
        Assert.True(table.AcquireAsync(K("mine"), Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(K("busy"), Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> wait = table.AcquireAsync(K("busy"), Old, LockMode.Exclusive, 1, Lease);
        Assert.False(wait.IsCompleted);

        Assert.Equal(1, table.ReleaseAll(Old));
        Assert.Equal(LockResult.Aborted(LockAbortReason.Released), await Within(wait));
        Assert.Equal(1, table.ReleaseAll(Young));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Session_drop_frees_its_locks_and_aborts_its_waits_only()
    {
        using LockTable table = NewTable(null, _clock);
        Assert.True(table.AcquireAsync(K("a"), Young, LockMode.Exclusive, sessionId: 7, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(K("b"), Young, LockMode.Exclusive, sessionId: 7, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(K("c"), Mid, LockMode.Exclusive, sessionId: 8, Lease).Now().IsGranted);
        ValueTask<LockResult> otherSessionWaits = table.AcquireAsync(K("a"), Old, LockMode.Exclusive, sessionId: 9, Lease);
        ValueTask<LockResult> droppedSessionWaits = table.AcquireAsync(K("c"), Txn(50), LockMode.Exclusive, sessionId: 7, Lease);

        Assert.Equal(2, table.ReleaseSession(7));
        Assert.Equal(LockResult.Aborted(LockAbortReason.SessionClosed), await Within(droppedSessionWaits));
        Assert.True((await Within(otherSessionWaits)).IsGranted);
        Assert.False(table.IsLocked(K("b")));
        Assert.True(table.IsLocked(K("c")));
        Assert.Equal(0, table.ReleaseSession(7));

        Assert.Equal(1, table.ReleaseSession(8));
        Assert.Equal(1, table.ReleaseSession(9));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Lease_expiry_frees_the_lock_and_wakes_the_waiter()
    {
        using LockTable table = NewTable(null, _clock);
        byte[] key = K("lease");
        Assert.True(table.AcquireAsync(key, Young, LockMode.Exclusive, 1, TimeSpan.FromSeconds(5)).Now().IsGranted);
        ValueTask<LockResult> waiter = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, TimeSpan.FromSeconds(60));

        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, table.ExpireLeases());
        Assert.False(waiter.IsCompleted);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, table.ExpireLeases());
        Assert.True((await Within(waiter)).IsGranted);
        Assert.True(table.TryGetHolder(key, out TxnId holder, out _));
        Assert.Equal(Old, holder);

        // The expired owner's release is refused now: it is no longer the owner.
        Assert.False(table.Release(key, Young));

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, table.ExpireLeases());
        AssertEmpty(table);
    }

    [Fact]
    public async Task A_prepared_hold_outlives_its_lease_and_session_and_ends_only_by_ReleaseAll()
    {
        using LockTable table = NewTable(new FastDht.Locking.Strategies.WoundWaitStrategy(), _clock);
        byte[] a = K("prep-a"), b = K("prep-b");
        Assert.True(table.AcquireAsync(a, Young, LockMode.Exclusive, 7, TimeSpan.FromSeconds(5)).Now().IsGranted);
        Assert.True(table.AcquireAsync(b, Young, LockMode.Exclusive, 7, TimeSpan.FromSeconds(5)).Now().IsGranted);
        Assert.True(table.MarkPrepared(Young));
        Assert.True(table.MarkPrepared(Young)); // idempotent

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, table.ExpireLeases());
        Assert.Equal(0, table.ReleaseSession(7));
        Assert.False(table.Release(a, Young)); // a single-key release cannot take it apart either
        Assert.True(table.IsLocked(a) && table.IsLocked(b));

        // An older transaction cannot wound it (wound-wait): it waits for the decision.
        ValueTask<LockResult> older = table.AcquireAsync(a, Old, LockMode.Exclusive, 8, TimeSpan.FromSeconds(60));
        Assert.False(older.IsCompleted);

        Assert.Equal(2, table.ReleaseAll(Young));
        Assert.True((await Within(older)).IsGranted);
        Assert.Equal(1, table.ReleaseAll(Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task A_wounded_or_empty_transaction_cannot_be_prepared()
    {
        using LockTable table = NewTable(new FastDht.Locking.Strategies.WoundWaitStrategy(), _clock);
        byte[] key = K("prep-w");
        Assert.False(table.MarkPrepared(Young));
        Assert.True(table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> older = table.AcquireAsync(key, Old, LockMode.Exclusive, 2, Lease);
        Assert.False(table.MarkPrepared(Young));
        Assert.Equal(1, table.ReleaseAll(Young));
        Assert.True((await Within(older)).IsGranted);
        Assert.Equal(1, table.ReleaseAll(Old));
        AssertEmpty(table);
    }

    [Fact]
    public void Renew_extends_the_lease_for_the_owner_only()
    {
        using LockTable table = NewTable(null, _clock);
        byte[] key = K("renew");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Exclusive, 1, TimeSpan.FromSeconds(5)).Now().IsGranted);
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.True(table.Renew(key, Old, TimeSpan.FromSeconds(5)));
        Assert.False(table.Renew(key, Young, TimeSpan.FromSeconds(5)));
        Assert.False(table.Renew(K("nothing"), Old, TimeSpan.FromSeconds(5)));

        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, table.ExpireLeases());
        Assert.True(table.IsLocked(key));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, table.ExpireLeases());
        Assert.False(table.IsLocked(key));
        AssertEmpty(table);
    }

    [Fact]
    public void Fencing_tokens_grow_per_key_and_stale_or_foreign_tokens_are_refused()
    {
        using LockTable table = NewTable(null, _clock);
        byte[] key = K("fence");
        long first = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now().FencingToken;
        Assert.True(table.ValidateFence(key, Old, first));
        Assert.False(table.ValidateFence(key, Young, first));
        Assert.False(table.ValidateFence(key, Old, first + 1));
        Assert.True(table.Release(key, Old));

        // The entry was dropped and is re-created: the token still grows.
        Assert.False(table.ValidateFence(key, Old, first));
        long second = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease).Now().FencingToken;
        Assert.True(second > first);
        Assert.False(table.ValidateFence(key, Young, first));
        Assert.True(table.ValidateFence(key, Young, second));
        Assert.True(table.Release(key, Young));

        long third = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now().FencingToken;
        Assert.True(third > second);
        Assert.False(table.ValidateFence(key, Old, first));
        Assert.True(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public void Fencing_tokens_of_a_new_table_exceed_those_of_an_earlier_one()
    {
        long earlier;
        using (LockTable table = NewTable(null, _clock))
        {
            earlier = table.AcquireAsync(K("x"), Old, LockMode.Exclusive, 1, Lease).Now().FencingToken;
        }

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        using LockTable restarted = NewTable(null, _clock);
        Assert.True(restarted.AcquireAsync(K("x"), Old, LockMode.Exclusive, 1, Lease).Now().FencingToken > earlier);
    }

    [Fact]
    public async Task Wait_die_older_waits_younger_dies()
    {
        using LockTable table = NewTable(new WaitDieStrategy(), _clock);
        byte[] key = K("wd");
        Assert.True(table.AcquireAsync(key, Mid, LockMode.Exclusive, 1, Lease).Now().IsGranted);

        ValueTask<LockResult> younger = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease);
        Assert.True(younger.IsCompleted);
        Assert.Equal(LockResult.Aborted(LockAbortReason.Died), younger.Now());

        ValueTask<LockResult> older = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(older.IsCompleted);

        // A newcomer younger than the queued waiter dies too, even though it is older than the holder:
        // it would have to wait for the (older) waiter ahead of it.
        ValueTask<LockResult> between = table.AcquireAsync(key, Txn(150), LockMode.Shared, 1, Lease);
        Assert.Equal(LockResult.Aborted(LockAbortReason.Died), between.Now());

        Assert.True(table.Release(key, Mid));
        Assert.True((await Within(older)).IsGranted);
        Assert.True(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Wait_die_two_shared_holders_upgrading_cannot_deadlock()
    {
        using LockTable table = NewTable(new WaitDieStrategy(), _clock);
        byte[] key = K("upgrade");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(key, Young, LockMode.Shared, 1, Lease).Now().IsGranted);

        ValueTask<LockResult> olderUpgrade = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(olderUpgrade.IsCompleted);
        Assert.Equal(LockResult.Aborted(LockAbortReason.Died), table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease).Now());

        // The younger one aborts its transaction; the older one's upgrade goes through.
        Assert.Equal(1, table.ReleaseAll(Young));
        LockResult upgraded = await Within(olderUpgrade);
        Assert.True(table.ValidateFence(key, Old, upgraded.FencingToken));
        Assert.Equal(1, table.ReleaseAll(Old));
        AssertEmpty(table);
    }

    [Fact]
    public void No_wait_aborts_any_conflict_at_once()
    {
        using LockTable table = NewTable(new NoWaitStrategy(), _clock);
        byte[] key = K("nw");
        Assert.True(table.AcquireAsync(key, Young, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(key, Mid, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.Equal(LockResult.Aborted(LockAbortReason.NoWait), table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now());
        Assert.Equal(2, table.ReleaseAll(Young) + table.ReleaseAll(Mid));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Wound_wait_older_wounds_growing_holder_and_waits_for_its_release()
    {
        var notifier = new RecordingNotifier();
        using LockTable table = NewTable(new WoundWaitStrategy(), _clock, notifier);
        byte[] key = K("ww");
        Assert.True(table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(K("held"), Mid, LockMode.Exclusive, 1, Lease).Now().IsGranted);

        // The younger holder is waiting elsewhere: wounding it ends that wait.
        ValueTask<LockResult> victimWait = table.AcquireAsync(K("held"), Young, LockMode.Exclusive, 1, Lease);
        Assert.False(victimWait.IsCompleted);

        ValueTask<LockResult> older = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(older.IsCompleted);
        Assert.Equal(LockResult.Aborted(LockAbortReason.Wounded), await Within(victimWait));
        Assert.Equal(new[] { (Young, Old) }, notifier.Wounds);

        // The victim can no longer take locks or prepare; it still owns what it holds until it releases.
        Assert.Equal(LockResult.Aborted(LockAbortReason.Wounded), table.AcquireAsync(K("fresh"), Young, LockMode.Exclusive, 1, Lease).Now());
        Assert.False(table.MarkCommitting(Young));
        Assert.False(older.IsCompleted);

        // A younger requester waits (it does not wound the older one).
        Assert.Equal(1, table.ReleaseAll(Young));
        Assert.True((await Within(older)).IsGranted);
        ValueTask<LockResult> youngerAgain = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease);
        Assert.False(youngerAgain.IsCompleted);
        Assert.Single(notifier.Wounds);

        Assert.True(table.Release(key, Old));
        Assert.True((await Within(youngerAgain)).IsGranted);

        // Its retry (same id) starts clean once it released everything.
        Assert.True(table.MarkCommitting(Young));
        Assert.Equal(1, table.ReleaseAll(Young));
        Assert.Equal(1, table.ReleaseAll(Mid));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Wound_wait_cannot_wound_a_committing_holder()
    {
        var notifier = new RecordingNotifier();
        using LockTable table = NewTable(new WoundWaitStrategy(), _clock, notifier);
        byte[] key = K("commit");
        Assert.True(table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.MarkCommitting(Young));

        ValueTask<LockResult> older = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(older.IsCompleted);
        Assert.Empty(notifier.Wounds);
        Assert.True(table.MarkCommitting(Young));

        Assert.True(table.Release(key, Young));
        Assert.True((await Within(older)).IsGranted);
        Assert.True(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Wound_wait_wounds_a_younger_waiter_queued_ahead()
    {
        var notifier = new RecordingNotifier();
        using LockTable table = NewTable(new WoundWaitStrategy(), _clock, notifier);
        byte[] key = K("queue");
        Assert.True(table.AcquireAsync(key, Txn(10), LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> young = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease);
        Assert.False(young.IsCompleted);

        ValueTask<LockResult> old = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.Equal(LockResult.Aborted(LockAbortReason.Wounded), await Within(young));
        Assert.False(old.IsCompleted);
        Assert.True(table.Release(key, Txn(10)));
        Assert.True((await Within(old)).IsGranted);
        Assert.True(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public void MarkCommitting_is_refused_for_a_transaction_holding_nothing()
    {
        using LockTable table = NewTable(null, _clock);
        Assert.False(table.MarkCommitting(Old));
        Assert.True(table.AcquireAsync(K("a"), Old, LockMode.Exclusive, 1, TimeSpan.FromSeconds(1)).Now().IsGranted);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, table.ExpireLeases());
        Assert.False(table.MarkCommitting(Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Timeout_strategy_aborts_a_wait_past_its_limit()
    {
        var strategy = new TimeoutStrategy(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10), seed: 5);
        using LockTable table = NewTable(strategy, _clock);
        byte[] key = K("t");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);

        // Attempt 0 waits at most 100 ms, and at least 50 ms.
        ValueTask<LockResult> first = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease, attempt: 0);
        _clock.Advance(TimeSpan.FromMilliseconds(49));
        table.ExpireLeases();
        Assert.False(first.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(51));
        table.ExpireLeases();
        Assert.Equal(LockResult.Aborted(LockAbortReason.TimedOut), await Within(first));

        // Attempt 3 waits at most 100/8 = 12.5 ms.
        ValueTask<LockResult> retry = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease, attempt: 3);
        _clock.Advance(TimeSpan.FromMilliseconds(13));
        table.ExpireLeases();
        Assert.Equal(LockResult.Aborted(LockAbortReason.TimedOut), await Within(retry));

        Assert.True(table.IsLocked(key));
        Assert.True(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task A_wait_never_outlives_the_requesters_lease()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        byte[] key = K("w");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Exclusive, 1, TimeSpan.FromHours(1)).Now().IsGranted);
        ValueTask<LockResult> waiter = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, TimeSpan.FromSeconds(10));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, table.ExpireLeases());
        Assert.Equal(LockResult.Aborted(LockAbortReason.TimedOut), await Within(waiter));
        Assert.True(table.Release(key, Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Cancellation_aborts_the_wait_and_lets_the_queue_move_on()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        byte[] key = K("c");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        using var cts = new CancellationTokenSource();
        ValueTask<LockResult> cancelled = table.AcquireAsync(key, Mid, LockMode.Exclusive, 1, Lease, cancellationToken: cts.Token);
        ValueTask<LockResult> next = table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease);

        await cts.CancelAsync();
        Assert.Equal(LockResult.Aborted(LockAbortReason.Cancelled), await Within(cancelled));
        Assert.True(table.Release(key, Old));
        Assert.True((await Within(next)).IsGranted);

        // An already-cancelled token aborts a would-be wait at once but does not stop a free grant.
        Assert.Equal(LockResult.Aborted(LockAbortReason.Cancelled), table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease, cancellationToken: cts.Token).Now());
        Assert.True(table.AcquireAsync(K("free"), Old, LockMode.Exclusive, 1, Lease, cancellationToken: cts.Token).Now().IsGranted);
        Assert.Equal(1, table.ReleaseAll(Young));
        Assert.Equal(1, table.ReleaseAll(Old));
        AssertEmpty(table);
    }

    [Fact]
    public async Task Dispose_aborts_waits_and_refuses_new_acquires()
    {
        LockTable table = NewTable(new OrderedStrategy(), _clock);
        Assert.True(table.AcquireAsync(K("d"), Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> waiter = table.AcquireAsync(K("d"), Young, LockMode.Exclusive, 1, Lease);
        table.Dispose();
        Assert.Equal(LockResult.Aborted(LockAbortReason.ShuttingDown), await Within(waiter));
        Assert.Equal(LockResult.Aborted(LockAbortReason.ShuttingDown), table.AcquireAsync(K("e"), Old, LockMode.Exclusive, 1, Lease).Now());
        Assert.Equal(0, table.OutstandingWaiters);
    }

    [Fact]
    public async Task A_second_concurrent_wait_by_one_transaction_is_refused()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        Assert.True(table.AcquireAsync(K("a"), Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(K("b"), Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> first = table.AcquireAsync(K("a"), Young, LockMode.Exclusive, 1, Lease);
        Assert.Throws<InvalidOperationException>(() => table.AcquireAsync(K("b"), Young, LockMode.Exclusive, 1, Lease));
        Assert.Equal(0, table.ReleaseAll(Young));
        Assert.Equal(LockResult.Aborted(LockAbortReason.Released), await Within(first));
        Assert.Equal(2, table.ReleaseAll(Old));
        AssertEmpty(table);
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        using LockTable table = NewTable(null, _clock);
        Assert.Throws<ArgumentException>(() => table.AcquireAsync(ReadOnlySpan<byte>.Empty, Old, LockMode.Exclusive, 1, Lease));
        Assert.Throws<ArgumentException>(() => table.AcquireAsync(K("a"), default, LockMode.Exclusive, 1, Lease));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.AcquireAsync(K("a"), Old, LockMode.Exclusive, 1, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LockTable(null, new LockTableOptions { ShardCount = 3 }));
        AssertEmpty(table);
    }

    [Fact]
    public void IsLocked_on_a_free_key_allocates_nothing()
    {
        using LockTable table = NewTable(null, _clock);
        byte[] free = K("free-key");
        byte[] held = K("held-key");
        Assert.True(table.AcquireAsync(held, Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);

        // Warm up (JIT, first-call paths) before measuring.
        for (int i = 0; i < 100; i++)
        {
            table.IsLocked(free);
            table.TryGetHolder(free, out _, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool anyLocked = false;
        for (int i = 0; i < 1000; i++)
        {
            anyLocked |= table.IsLocked(free);
            anyLocked |= table.TryGetHolder(free, out _, out _);
            anyLocked &= table.IsLocked(held);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(anyLocked);
        Assert.Equal(0, allocated);
        Assert.True(table.Release(held, Old));
    }

    [Fact]
    public void Acquire_and_release_of_free_keys_allocate_nothing_in_steady_state()
    {
        using LockTable table = NewTable(null, _clock);
        var keys = new byte[64][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = K($"key:{i:D4}");
        }

        var ids = new TxnIdGenerator(1, _clock);
        long before = 0;
        int failures = 0;
        for (int round = 0; round < 3; round++)
        {
            // Round 0 warms up the pools and the JIT; rounds 1 and 2 are measured.
            if (round == 1)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }

            for (int i = 0; i < keys.Length; i++)
            {
                // No Assert inside the measured loop: its generic comparers allocate.
                TxnId txn = ids.Next();
                ValueTask<LockResult> exclusive = table.AcquireAsync(keys[i], txn, LockMode.Exclusive, 1, Lease);
                ValueTask<LockResult> shared = table.AcquireAsync(keys[(i + 1) % keys.Length], txn, LockMode.Shared, 1, Lease);
                bool ok = GrantedNow(exclusive) && GrantedNow(shared)
                    && table.MarkCommitting(txn)
                    && table.ReleaseAll(txn) == 2;
                failures += ok ? 0 : 1;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
        AssertEmpty(table);
    }

    [Fact]
    public async Task Many_waits_return_every_pooled_waiter()
    {
        using LockTable table = NewTable(new OrderedStrategy(), _clock);
        byte[] key = K("pool");
        TxnId holder = Txn(1);
        Assert.True(table.AcquireAsync(key, holder, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        for (int round = 0; round < 50; round++)
        {
            TxnId next = Txn(round + 2);
            ValueTask<LockResult> waiter = table.AcquireAsync(key, next, LockMode.Exclusive, 1, Lease);
            Assert.Equal(1, table.OutstandingWaiters);
            Assert.True(table.Release(key, holder));
            Assert.True((await Within(waiter)).IsGranted);
            Assert.Equal(0, table.OutstandingWaiters);
            holder = next;
        }

        Assert.True(table.Release(key, holder));
        AssertEmpty(table);
    }

    private sealed class RecordingNotifier : IWoundNotifier
    {
        private readonly List<(TxnId Victim, TxnId By)> _wounds = new();

        public IReadOnlyList<(TxnId Victim, TxnId By)> Wounds
        {
            get
            {
                lock (_wounds)
                {
                    return _wounds.ToArray();
                }
            }
        }

        public void OnWounded(TxnId victim, TxnId woundedBy)
        {
            lock (_wounds)
            {
                _wounds.Add((victim, woundedBy));
            }
        }
    }
}
