using FastDht.Locking.Strategies;
using static FastDht.Locking.Tests.TestKeys;

namespace FastDht.Locking.Tests;

/// <summary>
/// The detect strategy: deadlocks built on purpose, inside one table (found when the closing wait begins) and across two
/// tables standing for two nodes (found from both tables' wait-for edges), each broken by aborting its youngest member
/// and nobody else; and the wait-for graph on its own.
/// </summary>
public sealed class DeadlockDetectionTests
{
    private static readonly TxnId Old = Txn(100);
    private static readonly TxnId Mid = Txn(200);
    private static readonly TxnId Young = Txn(300);
    private readonly ManualTimeProvider _clock = new();

    /// <summary>Old holds a, Young holds b: half of a two-transaction deadlock, before either waits.</summary>
    private static (byte[] A, byte[] B) OldHoldsAYoungHoldsB(LockTable table)
    {
        byte[] a = K("a"), b = K("b");
        Assert.True(table.AcquireAsync(a, Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(b, Young, LockMode.Exclusive, 2, Lease).Now().IsGranted);
        return (a, b);
    }

    [Fact]
    public async Task A_two_transaction_cycle_is_broken_at_once_by_aborting_the_youngest()
    {
        using LockTable table = NewTable(new DeadlockDetectStrategy(), _clock);
        (byte[] a, byte[] b) = OldHoldsAYoungHoldsB(table);

        ValueTask<LockResult> oldWaits = table.AcquireAsync(b, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(oldWaits.IsCompleted); // a wait with no cycle is left alone

        // The young one closes the cycle: it is the youngest, so its own request ends Deadlock.
        LockResult young = await Within(table.AcquireAsync(a, Young, LockMode.Exclusive, 2, Lease));
        Assert.False(young.IsGranted);
        Assert.Equal(LockAbortReason.Deadlock, young.Reason);
        Assert.False(oldWaits.IsCompleted);

        // Its coordinator aborts it: the old one gets the key.
        table.ReleaseAll(Young);
        Assert.True((await Within(oldWaits)).IsGranted);
        table.ReleaseAll(Old);
        AssertEmpty(table);
    }

    [Fact]
    public async Task When_the_oldest_closes_the_cycle_the_youngest_waiter_is_aborted_not_the_closer()
    {
        using LockTable table = NewTable(new DeadlockDetectStrategy(), _clock);
        (byte[] a, byte[] b) = OldHoldsAYoungHoldsB(table);
        ValueTask<LockResult> youngWaits = table.AcquireAsync(a, Young, LockMode.Exclusive, 2, Lease);
        Assert.False(youngWaits.IsCompleted);

        ValueTask<LockResult> oldWaits = table.AcquireAsync(b, Old, LockMode.Exclusive, 1, Lease);
        LockResult young = await Within(youngWaits);
        Assert.Equal(LockAbortReason.Deadlock, young.Reason);
        Assert.False(oldWaits.IsCompleted);

        table.ReleaseAll(Young);
        Assert.True((await Within(oldWaits)).IsGranted);
        table.ReleaseAll(Old);
        AssertEmpty(table);
    }

    [Fact]
    public async Task A_three_transaction_cycle_loses_only_its_youngest_member()
    {
        using LockTable table = NewTable(new DeadlockDetectStrategy(), _clock);
        byte[] a = K("a"), b = K("b"), c = K("c");
        Assert.True(table.AcquireAsync(a, Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(b, Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(c, Mid, LockMode.Exclusive, 1, Lease).Now().IsGranted);

        // Old -> Young -> Mid -> Old; Mid closes it, Young is the victim although it neither closed it nor waits last.
        ValueTask<LockResult> oldWaits = table.AcquireAsync(b, Old, LockMode.Exclusive, 1, Lease);
        ValueTask<LockResult> youngWaits = table.AcquireAsync(c, Young, LockMode.Exclusive, 1, Lease);
        Assert.False(oldWaits.IsCompleted);
        Assert.False(youngWaits.IsCompleted);
        ValueTask<LockResult> midWaits = table.AcquireAsync(a, Mid, LockMode.Exclusive, 1, Lease);

        Assert.Equal(LockAbortReason.Deadlock, (await Within(youngWaits)).Reason);
        Assert.False(oldWaits.IsCompleted);
        Assert.False(midWaits.IsCompleted);

        table.ReleaseAll(Young);
        Assert.True((await Within(oldWaits)).IsGranted);
        table.ReleaseAll(Old);
        Assert.True((await Within(midWaits)).IsGranted);
        table.ReleaseAll(Mid);
        AssertEmpty(table);
    }

    [Fact]
    public async Task Two_shared_holders_upgrading_deadlock_and_the_older_upgrades_once_the_younger_is_aborted()
    {
        using LockTable table = NewTable(new DeadlockDetectStrategy(), _clock);
        byte[] key = K("s");
        Assert.True(table.AcquireAsync(key, Old, LockMode.Shared, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(key, Young, LockMode.Shared, 1, Lease).Now().IsGranted);

        ValueTask<LockResult> oldUpgrade = table.AcquireAsync(key, Old, LockMode.Exclusive, 1, Lease);
        Assert.False(oldUpgrade.IsCompleted);
        LockResult youngUpgrade = await Within(table.AcquireAsync(key, Young, LockMode.Exclusive, 1, Lease));
        Assert.Equal(LockAbortReason.Deadlock, youngUpgrade.Reason);

        table.ReleaseAll(Young);
        Assert.True((await Within(oldUpgrade)).IsGranted);
        Assert.True(table.TryGetHolder(key, out TxnId holder, out LockMode mode));
        Assert.Equal((Old, LockMode.Exclusive), (holder, mode));
        table.ReleaseAll(Old);
        AssertEmpty(table);
    }

    [Fact]
    public async Task A_chain_of_waits_without_a_cycle_aborts_nobody()
    {
        using LockTable table = NewTable(new DeadlockDetectStrategy(), _clock);
        byte[] a = K("a"), b = K("b");
        Assert.True(table.AcquireAsync(a, Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(b, Mid, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        ValueTask<LockResult> midWaits = table.AcquireAsync(a, Mid, LockMode.Exclusive, 1, Lease);
        ValueTask<LockResult> oldWaits = table.AcquireAsync(b, Old, LockMode.Exclusive, 1, Lease);
        ValueTask<LockResult> oldQueued = table.AcquireAsync(K("c"), Txn(50), LockMode.Exclusive, 1, Lease);
        Assert.True(oldQueued.Now().IsGranted);
        Assert.False(midWaits.IsCompleted);
        Assert.False(oldWaits.IsCompleted);

        var edges = new List<WaitForEdge>();
        Assert.Equal(2, table.CollectWaitsFor(edges));
        Assert.Contains(new WaitForEdge(Mid, Young), edges);
        Assert.Contains(new WaitForEdge(Old, Mid), edges);

        table.ReleaseAll(Young);
        Assert.True((await Within(midWaits)).IsGranted);
        table.ReleaseAll(Mid);
        Assert.True((await Within(oldWaits)).IsGranted);
        table.ReleaseAll(Old);
        table.ReleaseAll(Txn(50));
        AssertEmpty(table);
    }

    [Fact]
    public async Task A_cycle_across_two_tables_is_invisible_to_each_and_found_from_both_tables_edges()
    {
        // Two tables stand for two nodes: Old holds a at node 1 and waits for b at node 2; Young holds b and waits for a.
        using LockTable node1 = NewTable(new DeadlockDetectStrategy(), _clock);
        using LockTable node2 = NewTable(new DeadlockDetectStrategy(), _clock);
        byte[] a = K("a"), b = K("b");
        Assert.True(node1.AcquireAsync(a, Old, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(node2.AcquireAsync(b, Young, LockMode.Exclusive, 2, Lease).Now().IsGranted);
        ValueTask<LockResult> oldWaits = node2.AcquireAsync(b, Old, LockMode.Exclusive, 1, Lease);
        ValueTask<LockResult> youngWaits = node1.AcquireAsync(a, Young, LockMode.Exclusive, 2, Lease);
        Assert.False(oldWaits.IsCompleted); // neither table sees a cycle: each has one edge
        Assert.False(youngWaits.IsCompleted);

        // What the engine's global detector does with every node's edges.
        var edges = new List<WaitForEdge>();
        node1.CollectWaitsFor(edges);
        node2.CollectWaitsFor(edges);
        var graph = new WaitForGraph();
        graph.AddRange(edges);
        var cycles = new List<TxnId[]>();
        Assert.Equal(1, graph.FindCycles(cycles));
        Assert.Equal(Young, WaitForGraph.Youngest(cycles[0]));

        // The victim's wait is ended where it waits, its coordinator releases it everywhere, and the older one goes on.
        Assert.True(node1.AbortDeadlockVictim(Young));
        Assert.False(node2.AbortDeadlockVictim(Young)); // it waits for nothing there
        Assert.Equal(LockAbortReason.Deadlock, (await Within(youngWaits)).Reason);
        node1.ReleaseAll(Young);
        node2.ReleaseAll(Young);
        Assert.True((await Within(oldWaits)).IsGranted);
        node1.ReleaseAll(Old);
        node2.ReleaseAll(Old);
        AssertEmpty(node1);
        AssertEmpty(node2);
    }

    [Fact]
    public void Other_strategies_never_abort_a_waiter_for_a_deadlock()
    {
        // Timeout lets the same cycle form: it is left to the wait limit, not detected.
        using LockTable table = NewTable(new TimeoutStrategy(seed: 1), _clock);
        (byte[] a, byte[] b) = OldHoldsAYoungHoldsB(table);
        ValueTask<LockResult> oldWaits = table.AcquireAsync(b, Old, LockMode.Exclusive, 1, Lease);
        ValueTask<LockResult> youngWaits = table.AcquireAsync(a, Young, LockMode.Exclusive, 2, Lease);
        Assert.False(oldWaits.IsCompleted);
        Assert.False(youngWaits.IsCompleted);
        table.Dispose();
    }

    [Fact]
    public void The_graph_names_the_youngest_of_each_cycle_and_one_victim_breaks_cycles_it_shares()
    {
        TxnId t1 = Txn(1), t2 = Txn(2), t3 = Txn(3), t4 = Txn(4), t5 = Txn(5);
        var graph = new WaitForGraph();
        var cycles = new List<TxnId[]>();

        // A chain: no cycle.
        graph.Add(t1, t2);
        graph.Add(t2, t3);
        Assert.Equal(0, graph.FindCycles(cycles));

        // Two cycles through t3, the youngest of both: one victim breaks both.
        graph.Add(t3, t1);
        graph.Add(t3, t2);
        Assert.Equal(1, graph.FindCycles(cycles));
        Assert.Equal(t3, WaitForGraph.Youngest(cycles[0]));

        // A disjoint cycle of its own: a second victim.
        graph.Clear();
        cycles.Clear();
        graph.Add(t1, t2);
        graph.Add(t2, t1);
        graph.Add(t4, t5);
        graph.Add(t5, t4);
        graph.Add(t1, t1); // a transaction never waits for itself
        Assert.Equal(2, graph.FindCycles(cycles));
        Assert.Equal(new[] { t2, t5 }, cycles.Select(c => WaitForGraph.Youngest(c)).Order().ToArray());
        Assert.All(cycles, c => Assert.Equal(2, c.Length));
        Assert.True(graph.HasEdge(t1, t2));
        Assert.False(graph.HasEdge(t1, t1));
    }
}
