using System.Threading;
using FastDht.Engine.Transport.Internal;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transport;

public sealed class AsyncWriterLockTests
{
    [Fact]
    public void A_free_lock_is_taken_synchronously_and_a_held_one_is_not()
    {
        var gate = new AsyncWriterLock();
        Assert.True(gate.TryEnter());
        Assert.True(gate.IsHeld);
        Assert.False(gate.TryEnter());
        gate.Exit();
        Assert.False(gate.IsHeld);
        Assert.True(gate.EnterAsync().IsCompletedSuccessfully);
        gate.Exit();
    }

    [Fact]
    public void Releasing_a_lock_nobody_holds_is_an_error()
    {
        var gate = new AsyncWriterLock();
        Assert.Throws<SynchronizationLockException>(gate.Exit);
    }

    [Fact]
    public async Task Waiters_get_the_lock_in_arrival_order_one_at_a_time()
    {
        var gate = new AsyncWriterLock();
        Assert.True(gate.TryEnter());
        ValueTask first = gate.EnterAsync();
        ValueTask second = gate.EnterAsync();
        ValueTask third = gate.EnterAsync();
        Assert.False(first.IsCompleted);

        gate.Exit(); // hands over to the first waiter: the lock never becomes free in between
        await first.AsTask().WithinAsync("the first waiter");
        Assert.True(gate.IsHeld);
        Assert.False(gate.TryEnter());
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        gate.Exit();
        await second.AsTask().WithinAsync("the second waiter");
        Assert.False(third.IsCompleted);
        gate.Exit();
        await third.AsTask().WithinAsync("the third waiter");
        gate.Exit();
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_never_gets_the_lock()
    {
        var gate = new AsyncWriterLock();
        Assert.True(gate.TryEnter());
        using var cancel = new CancellationTokenSource();
        ValueTask cancelled = gate.EnterAsync(cancel.Token);
        ValueTask next = gate.EnterAsync();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask().WithinAsync("the cancellation"));

        gate.Exit(); // skips the cancelled waiter
        await next.AsTask().WithinAsync("the next waiter");
        gate.Exit();
        Assert.False(gate.IsHeld);

        // An already-cancelled token fails at once when the lock is held, and takes a free lock anyway.
        Assert.True(gate.TryEnter());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.EnterAsync(cancel.Token).AsTask());
        gate.Exit();
        Assert.True(gate.EnterAsync(cancel.Token).IsCompletedSuccessfully);
        gate.Exit();
    }

    [Fact]
    public async Task Many_tasks_never_hold_the_lock_together_and_every_enter_gets_through()
    {
        const int tasks = 8;
        const int rounds = 5000;
        var gate = new AsyncWriterLock();
        int inside = 0;
        long counter = 0;
        var workers = new Task[tasks];
        for (int t = 0; t < tasks; t++)
        {
            int seed = t;
            workers[t] = Task.Run(async () =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    if (!gate.TryEnter())
                    {
                        await gate.EnterAsync();
                    }

                    Assert.Equal(1, Interlocked.Increment(ref inside));
                    counter++; // deliberately not atomic: the lock is what protects it
                    if ((i + seed) % 64 == 0)
                    {
                        await Task.Yield(); // hold across an await sometimes, so waiters really queue
                    }

                    Assert.Equal(0, Interlocked.Decrement(ref inside));
                    gate.Exit();
                }
            });
        }

        await Task.WhenAll(workers).WithinAsync("all workers");
        Assert.Equal(tasks * rounds, counter);
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task Waiters_cancelled_while_holders_exit_never_strand_the_lock()
    {
        // Exit frees an uncontended lock with one CompareExchange and hands a contended one over under the monitor; a
        // cancelled waiter that was the last in the queue turns it back to uncontended. Racing all three: every enter
        // either gets the lock or is cancelled, and the lock ends free.
        const int tasks = 6;
        const int rounds = 3000;
        var gate = new AsyncWriterLock();
        int inside = 0;
        long entered = 0;
        long cancelled = 0;
        var workers = new Task[tasks];
        for (int t = 0; t < tasks; t++)
        {
            int seed = t;
            workers[t] = Task.Run(async () =>
            {
                for (int i = 0; i < rounds; i++)
                {
                    using var cancel = new CancellationTokenSource();
                    ValueTask enter = gate.EnterAsync(cancel.Token);
                    if ((i + seed) % 3 == 0)
                    {
                        cancel.Cancel(); // often after the wait queued, sometimes after it got the lock
                    }

                    try
                    {
                        await enter;
                    }
                    catch (OperationCanceledException)
                    {
                        Interlocked.Increment(ref cancelled);
                        continue;
                    }

                    Assert.Equal(1, Interlocked.Increment(ref inside));
                    Interlocked.Increment(ref entered);
                    if ((i + seed) % 16 == 0)
                    {
                        await Task.Yield();
                    }

                    Assert.Equal(0, Interlocked.Decrement(ref inside));
                    gate.Exit();
                }
            });
        }

        await Task.WhenAll(workers).WithinAsync("all workers");
        Assert.Equal(tasks * rounds, entered + cancelled);
        Assert.False(gate.IsHeld);
        Assert.True(gate.TryEnter());
        gate.Exit();
    }
}
