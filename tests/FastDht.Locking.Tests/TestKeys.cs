using System.Text;

namespace FastDht.Locking.Tests;

/// <summary>Helpers shared by the lock table tests.</summary>
internal static class TestKeys
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>Every wait in a test is bounded by this.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(10);

    public static byte[] K(string text) => Encoding.UTF8.GetBytes(text);

    public static TxnId Txn(long timestamp, ushort node = 1, uint sequence = 0) => new(timestamp, node, sequence);

    public static LockTable NewTable(ILockStrategy? strategy, ManualTimeProvider clock, IWoundNotifier? notifier = null) =>
        new(strategy, new LockTableOptions { ExpiryScanInterval = TimeSpan.Zero, ShardCount = 8 }, clock, notifier);

    /// <summary>The result of an acquire that must have completed synchronously.</summary>
    public static LockResult Now(this ValueTask<LockResult> completed)
    {
        Assert.True(completed.IsCompleted, "expected a synchronous result");
        return completed.Result;
    }

    /// <summary>True when the acquire completed synchronously with a grant; allocates nothing.</summary>
    public static bool GrantedNow(ValueTask<LockResult> pending) => pending.IsCompletedSuccessfully && pending.Result.IsGranted;

    public static Task<LockResult> Within(ValueTask<LockResult> pending) => pending.AsTask().WaitAsync(TestTimeout);

    /// <summary>Asserts nothing is held, queued, recorded or rented: no leak.</summary>
    public static void AssertEmpty(LockTable table)
    {
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.TransactionCount);
        Assert.Equal(0, table.OutstandingWaiters);
    }
}
