using FastDht.Locking.Strategies;

namespace FastDht.Locking.Tests;

/// <summary>
/// The decision table of every strategy: for each (requester older/younger) x (other party growing /
/// committing) x (the party holds the key / waits ahead), who waits, who aborts, who is wounded.
/// Pure: no lock table involved.
/// </summary>
public sealed class StrategyDecisionTableTests
{
    private static readonly TxnId Old = TestKeys.Txn(100);
    private static readonly TxnId Young = TestKeys.Txn(200);

    public static TheoryData<bool, HolderState, bool, ConflictDecision> WaitDie => Table(
        olderGrowing: ConflictDecision.Wait,
        olderCommitting: ConflictDecision.Wait,
        youngerGrowing: ConflictDecision.AbortRequester,
        youngerCommitting: ConflictDecision.AbortRequester);

    public static TheoryData<bool, HolderState, bool, ConflictDecision> WoundWait => Table(
        olderGrowing: ConflictDecision.Wound,
        olderCommitting: ConflictDecision.Wait,
        youngerGrowing: ConflictDecision.Wait,
        youngerCommitting: ConflictDecision.Wait);

    public static TheoryData<bool, HolderState, bool, ConflictDecision> NoWait => Table(
        ConflictDecision.AbortRequester, ConflictDecision.AbortRequester, ConflictDecision.AbortRequester, ConflictDecision.AbortRequester);

    public static TheoryData<bool, HolderState, bool, ConflictDecision> WaitOnly => Table(
        ConflictDecision.Wait, ConflictDecision.Wait, ConflictDecision.Wait, ConflictDecision.Wait);

    [Theory]
    [MemberData(nameof(WaitDie))]
    public void Wait_die(bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected) =>
        Check(new WaitDieStrategy(), requesterOlder, state, partyWaiting, expected);

    [Theory]
    [MemberData(nameof(WoundWait))]
    public void Wound_wait(bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected) =>
        Check(new WoundWaitStrategy(), requesterOlder, state, partyWaiting, expected);

    [Theory]
    [MemberData(nameof(NoWait))]
    public void No_wait(bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected) =>
        Check(new NoWaitStrategy(), requesterOlder, state, partyWaiting, expected);

    [Theory]
    [MemberData(nameof(WaitOnly))]
    public void Timeout(bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected) =>
        Check(new TimeoutStrategy(seed: 1), requesterOlder, state, partyWaiting, expected);

    [Theory]
    [MemberData(nameof(WaitOnly))]
    public void Ordered(bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected) =>
        Check(new OrderedStrategy(), requesterOlder, state, partyWaiting, expected);

    [Theory]
    [MemberData(nameof(WaitOnly))]
    public void Detect(bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected) =>
        Check(new DeadlockDetectStrategy(), requesterOlder, state, partyWaiting, expected);

    [Fact]
    public void Strategy_properties()
    {
        Assert.Equal(LockAbortReason.Died, new WaitDieStrategy().AbortReason);
        Assert.Equal(LockAbortReason.NoWait, new NoWaitStrategy().AbortReason);
        Assert.Equal(LockAbortReason.TimedOut, new TimeoutStrategy().AbortReason);
        Assert.True(new OrderedStrategy().RequiresOrderedAcquisition);
        Assert.False(new WaitDieStrategy().RequiresOrderedAcquisition);
        Assert.Equal(System.Threading.Timeout.InfiniteTimeSpan, new WaitDieStrategy().GetWaitLimit(3));
        Assert.Equal(System.Threading.Timeout.InfiniteTimeSpan, new WoundWaitStrategy().GetWaitLimit(3));
        Assert.Equal(LockAbortReason.Deadlock, new DeadlockDetectStrategy().AbortReason);
        Assert.Equal(System.Threading.Timeout.InfiniteTimeSpan, new DeadlockDetectStrategy().GetWaitLimit(3));
        Assert.True(new DeadlockDetectStrategy().DetectsDeadlocks);
        Assert.False(((ILockStrategy)new TimeoutStrategy()).DetectsDeadlocks);
    }

    private static void Check(ILockStrategy strategy, bool requesterOlder, HolderState state, bool partyWaiting, ConflictDecision expected)
    {
        TxnId requester = requesterOlder ? Old : Young;
        TxnId other = requesterOlder ? Young : Old;
        foreach (LockMode requested in new[] { LockMode.Shared, LockMode.Exclusive })
        {
            var conflict = new LockConflict(other, requested == LockMode.Shared ? LockMode.Exclusive : LockMode.Shared, state, partyWaiting);
            Assert.Equal(expected, strategy.Decide(requester, requested, in conflict));
        }
    }

    private static TheoryData<bool, HolderState, bool, ConflictDecision> Table(
        ConflictDecision olderGrowing, ConflictDecision olderCommitting, ConflictDecision youngerGrowing, ConflictDecision youngerCommitting)
    {
        var data = new TheoryData<bool, HolderState, bool, ConflictDecision>();
        foreach (bool waiting in new[] { false, true })
        {
            data.Add(true, HolderState.Growing, waiting, olderGrowing);
            data.Add(true, HolderState.Committing, waiting, olderCommitting);
            data.Add(false, HolderState.Growing, waiting, youngerGrowing);
            data.Add(false, HolderState.Committing, waiting, youngerCommitting);
        }

        return data;
    }
}
