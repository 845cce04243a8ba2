namespace FastDht.Engine.Keyspace;

/// <summary>
/// Tells clients blocked in BLPOP, BZPOPMIN and their kin that a list or sorted set was written at this node, so they try again at once
/// instead of waiting for their next poll.
/// </summary>
/// <remarks>
/// Requirements: a push costs nothing while nobody is blocked (one volatile read), and a waiter never misses a push
/// that happens after it looked. Design: a waiter takes <see cref="Next"/> before it tries; a push with waiters
/// present completes that task and installs a fresh one, so a push between the waiter's look and its wait completes
/// the very task it waits for. Every waiter wakes on every push of a list (the blocked clients' own FIFO decides who
/// takes the element, RESP's BlockedClients); pushes while nobody waits allocate nothing.
/// </remarks>
internal sealed class PushSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiters;

    /// <summary>Completes at the next list write after it was read.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>How many clients wait (only then does a push signal).</summary>
    public int Waiters => Volatile.Read(ref _waiters);

    public void AddWaiter() => Interlocked.Increment(ref _waiters);

    public void RemoveWaiter() => Interlocked.Decrement(ref _waiters);

    /// <summary>A list was written: wakes every waiter, if any.</summary>
    public void Pulse()
    {
        if (Volatile.Read(ref _waiters) == 0)
            return;
        PulseAll();
    }

    /// <summary>Wakes every waiter (a blocked client left its line: the next may try).</summary>
    public void PulseAll() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
