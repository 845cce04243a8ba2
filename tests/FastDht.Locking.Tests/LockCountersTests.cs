using FastDht.Locking.Strategies;
using static FastDht.Locking.Tests.TestKeys;

namespace FastDht.Locking.Tests;

/// <summary>The counts the node's metrics show: a wait for each queued request, an abort for each refusal, by reason.</summary>
public sealed class LockCountersTests
{
    private static readonly TxnId Old = Txn(100);
    private static readonly TxnId Young = Txn(300);
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public void WaitDieCountsTheOlderWaitAndTheYoungerDeath()
    {
        using LockTable table = NewTable(new WaitDieStrategy(), _clock);
        byte[] first = K("first");
        byte[] second = K("second");
        Assert.True(table.AcquireAsync(first, Young, LockMode.Exclusive, 1, Lease).Now().IsGranted);
        Assert.True(table.AcquireAsync(second, Old, LockMode.Exclusive, 2, Lease).Now().IsGranted);
        Assert.Equal(0, table.Counters.Waits);

        // The older one waits for the younger's key; the younger one dies asking for the older's.
        ValueTask<LockResult> waiting = table.AcquireAsync(first, Old, LockMode.Exclusive, 2, Lease);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(LockAbortReason.Died, table.AcquireAsync(second, Young, LockMode.Exclusive, 1, Lease).Now().Reason);
        Assert.Equal(1, table.Counters.Waits);
        Assert.Equal(1, table.Counters.Aborts(LockAbortReason.Died));

        // A waiter aborted later (its session closed) counts under its own reason.
        table.ReleaseSession(2);
        Assert.Equal(LockAbortReason.SessionClosed, waiting.Now().Reason);
        Assert.Equal(1, table.Counters.Aborts(LockAbortReason.SessionClosed));
        Assert.Equal(0, table.Counters.Aborts(LockAbortReason.Wounded));
    }
}
