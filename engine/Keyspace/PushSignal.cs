namespace FastDht.Engine.Keyspace;

/// <summary>
/// Tells clients blocked in BLPOP, BZPOPMIN and their kin that a list or sorted set was written at this node, so they try again at once
/// instead of waiting for their next poll; and lets the writer wait until they have tried (<see cref="WhenSettled"/>).
/// </summary>
/// <remarks>
/// Requirements: a push costs nothing while nobody is blocked (one volatile read), and a waiter never misses a push
/// that happens after it looked. Design: a waiter takes <see cref="Next"/> before it tries; a push with waiters
/// present completes that task and installs a fresh one, so a push between the waiter's look and its wait completes
/// the very task it waits for. Every waiter wakes on every push of a list (the blocked clients' own FIFO decides who
/// takes the element, RESP's BlockedClients); pushes while nobody waits allocate nothing.
/// <para>Redis serves the clients a push unblocks before it answers the push (and, in a chain, the clients their moves
/// unblock), so a client that pushed and then reads sees the blocked clients' pops done. Here a waiter tries on its own
/// connection, so each push with waiters present starts a new <see cref="Generation"/>, and every waiter tells
/// (<see cref="Looked"/>) when it has finished a look begun in it; the pushing connection holds its reply until no
/// waiter is behind (<see cref="WhenSettled"/>, bounded by its caller), so a chain of moves settles first.</para>
/// </remarks>
internal sealed class PushSignal
{
    private readonly Lock _sync = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _settled;
    private int _waiters;
    private int _awaited;
    private long _generation;
    private int _behind;

    /// <summary>Completes at the next list write after it was read.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>How many clients wait (only then does a push signal).</summary>
    public int Waiters => Volatile.Read(ref _waiters);

    /// <summary>Counts the pushes made while clients waited (and the waiters' departures); read it before a look.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>
    /// A client starts waiting: it is not behind on the pushes made before it came. <paramref name="awaited"/> false for
    /// a client whose keys live at other nodes: a push here changes nothing it waits for, so no reply waits for its try.
    /// </summary>
    public Waiter AddWaiter(bool awaited)
    {
        lock (_sync)
        {
            _waiters++;
            if (!awaited)
                return new Waiter { Seen = long.MaxValue };
            _awaited++;
            return new Waiter { Seen = _generation, Awaited = true };
        }
    }

    /// <summary>The client stopped waiting (served, timed out or gone): it is no longer awaited.</summary>
    public void RemoveWaiter(Waiter waiter)
    {
        lock (_sync)
        {
            _waiters--;
            if (waiter.Awaited)
                _awaited--;
            if (waiter.Seen < _generation)
                _behind--;
            waiter.Seen = long.MaxValue;
            SettleIfNoneBehind();
        }
    }

    /// <summary>The waiter finished a look (a try, or seeing it is not first in line) it began in <paramref name="generation"/>.</summary>
    public void Looked(Waiter waiter, long generation)
    {
        lock (_sync)
        {
            if (waiter.Seen >= generation || waiter.Seen == long.MaxValue)
                return;
            var wasBehind = waiter.Seen < _generation;
            waiter.Seen = generation;
            if (wasBehind && generation >= _generation)
            {
                _behind--;
                SettleIfNoneBehind();
            }
        }
    }

    /// <summary>
    /// Completes once every waiter has looked since the latest push (at once when none is behind). A waiter's try may
    /// push again (BLMOVE's destination), which starts a new generation: the task completes when the chain has settled.
    /// </summary>
    public Task WhenSettled()
    {
        lock (_sync)
        {
            if (_behind == 0)
                return Task.CompletedTask;
            return (_settled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>A list was written: wakes every waiter, if any.</summary>
    public void Pulse()
    {
        if (Volatile.Read(ref _waiters) == 0)
            return;
        PulseAll();
    }

    /// <summary>Wakes every waiter (a list was written, or a blocked client left its line: the next may try).</summary>
    public void PulseAll()
    {
        lock (_sync)
        {
            _generation++;
            _behind = _awaited;
        }
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private void SettleIfNoneBehind()
    {
        if (_behind > 0 || _settled is not { } settled)
            return;
        _settled = null;
        settled.TrySetResult();
    }

    /// <summary>One waiting client's progress: the generation of the last look it finished (<see cref="long.MaxValue"/> once it left, or when not awaited).</summary>
    public sealed class Waiter
    {
        internal long Seen { get; set; }

        internal bool Awaited { get; init; }
    }
}
