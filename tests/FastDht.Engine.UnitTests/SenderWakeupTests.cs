using FastDht.Engine.Keyspace.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// A replica sender's wake-up: a set is never lost (one that comes before the wait completes the next wait at once),
/// several sets while nobody waits wake once, and a wait without a set stays pending.
/// </summary>
public sealed class SenderWakeupTests
{
    [Fact]
    public async Task A_set_wakes_the_waiter_or_the_next_wait_and_many_sets_wake_once()
    {
        var wakeup = new SenderWakeup();
        var pending = wakeup.WaitAsync();
        Assert.False(pending.IsCompleted);
        wakeup.Set();
        await pending.AsTask().WaitAsync(Bounded.Timeout);

        // Set while nobody waits (an append between the sender's last look and its wait): the next wait does not sleep.
        wakeup.Set();
        wakeup.Set();
        Assert.True(wakeup.WaitAsync().IsCompleted);

        // Both sets were taken by that one wait: the following one sleeps until the next set.
        var next = wakeup.WaitAsync();
        Assert.False(next.IsCompleted);
        wakeup.Set();
        await next.AsTask().WaitAsync(Bounded.Timeout);
    }
}
