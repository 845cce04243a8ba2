using System.Threading.Tasks.Sources;

namespace FastDht.Engine.Transport.Internal;

/// <summary>A non-reentrant async mutex: one CompareExchange when free, pooled waiters when contended.</summary>
/// <remarks>
/// Requirements: guard a connection's PipeWriter against every producer thread; take a free lock synchronously
/// without allocating; under contention, wait asynchronously without a Task or closure per wait.
/// Design:
/// - <c>_held</c> is the lock: <c>Free</c>, <c>Held</c>, or <c>Contended</c> (held, and a waiter may be queued).
///   <see cref="TryEnter"/> is a single CompareExchange Free -> Held, and so is the uncontended <see cref="Exit"/>
///   (Held -> Free): a request answered on a free connection takes no monitor at all (the native read loop enters and
///   exits once per reply; taking <c>_sync</c> on every exit was 8% of a node's CPU at 2 x 512 requests in flight).
/// - Waiters queue FIFO in an intrusive list under <c>_sync</c>. A waiter marks the lock Contended (Held -> Contended,
///   under <c>_sync</c>) before it queues, so an uncontended exit racing it fails its CompareExchange and takes the
///   slow path, which looks at the queue under <c>_sync</c>: no wake-up is lost. <see cref="Exit"/> hands the lock
///   straight to the first waiter (it stays held; Contended while others wait, else Held), so a woken waiter never has
///   to race for it again.
/// - A waiter is a pooled <see cref="IValueTaskSource"/> over <see cref="ManualResetValueTaskSourceCore{TResult}"/>,
///   returned to the pool when its result is consumed. Continuations run asynchronously, so the releasing thread
///   never runs the next holder's code inside its own Exit.
/// - Cancellation and hand-over are decided under <c>_sync</c> by whether the waiter is still queued: exactly one
///   of them completes it. The registration is disposed (waiting out a running callback) before the waiter is
///   pooled, so a late callback can never cancel the waiter's next use.
/// Fairness: FIFO among waiters, and no barging: Exit hands over without freeing whenever someone waits, so a
/// TryEnter succeeds only when the queue is empty.
/// </remarks>
internal sealed class AsyncWriterLock
{
    // 32: more producers queued on one connection than that is already a backlog; beyond it an allocation is the
    // smaller cost, and an idle connection keeps at most this many small objects.
    private const int MaxPooledWaiters = 32;

    private static readonly Action<object?> s_cancel = static state => ((Waiter)state!).OnCanceled();

    private readonly Lock _sync = new();
    private Waiter? _head;
    private Waiter? _tail;
    private Waiter? _pool;
    private int _pooled;
    private int _held; // Free, Held or Contended

    private const int Free = 0;
    private const int Held = 1;
    private const int Contended = 2;

    /// <summary>Whether someone holds the lock (diagnostics and tests).</summary>
    public bool IsHeld => Volatile.Read(ref _held) != Free;

    /// <summary>Takes the lock if it is free.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _held, Held, Free) == Free;

    /// <summary>Takes the lock, waiting asynchronously (FIFO) while it is held.</summary>
    public ValueTask EnterAsync(CancellationToken cancellationToken = default) =>
        TryEnter() ? default : EnterSlowAsync(cancellationToken);

    /// <summary>Releases the lock, handing it to the first waiter if there is one.</summary>
    public void Exit()
    {
        // Nobody waits: one CompareExchange, no monitor.
        int state = Interlocked.CompareExchange(ref _held, Free, Held);
        if (state == Held)
        {
            return;
        }

        if (state == Free)
        {
            Throw.SynchronizationLock("The writer lock was released without being held.");
        }

        ExitContended();
    }

    private void ExitContended()
    {
        Waiter? next;
        lock (_sync)
        {
            // Contended is stable under _sync: only a waiter (under _sync) sets it and only this path or Cancel clears it.
            next = _head;
            if (next is null)
            {
                // The waiters that marked it left (cancelled): free it.
                Volatile.Write(ref _held, Free);
                return;
            }

            Unlink(next);
            if (_head is null)
            {
                Volatile.Write(ref _held, Held);
            }
        }

        // Ownership passes straight to the waiter: the lock stays held.
        next.Complete(null);
    }

    private ValueTask EnterSlowAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Waiter waiter;
        lock (_sync)
        {
            // Exit may have freed the lock since our TryEnter: take it rather than queue behind nobody. Otherwise mark it
            // Contended before queueing, so the holder's Exit cannot free it without looking at the queue.
            while (true)
            {
                int state = Volatile.Read(ref _held);
                if (state == Free)
                {
                    if (TryEnter())
                    {
                        return default;
                    }
                }
                else if (state == Contended || Interlocked.CompareExchange(ref _held, Contended, Held) == Held)
                {
                    break;
                }
            }

            waiter = RentWaiter();
            waiter.Queued = true;
            if (_tail is null)
            {
                _head = _tail = waiter;
            }
            else
            {
                _tail.Next = waiter;
                waiter.Previous = _tail;
                _tail = waiter;
            }
        }

        // Registered outside _sync: a token already cancelled runs the callback inline, which takes _sync.
        short token = waiter.Version;
        // The registration is stored before the ValueTask is returned, hence before anyone can call GetResult
        // (which disposes it), even if the wait completes first.
        if (cancellationToken.CanBeCanceled)
        {
            waiter.CancellationToken = cancellationToken;
            waiter.Registration = cancellationToken.UnsafeRegister(s_cancel, waiter);
        }

        return new ValueTask(waiter, token);
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            if (!waiter.Queued)
            {
                // Exit already handed it the lock: the hand-over wins.
                return;
            }

            Unlink(waiter);
            if (_head is null)
            {
                // The last waiter left: the holder's Exit may take the fast path again.
                Volatile.Write(ref _held, Held);
            }
        }

        waiter.Complete(new OperationCanceledException(cancellationToken));
    }

    private void Unlink(Waiter waiter)
    {
        if (waiter.Previous is null)
        {
            _head = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _tail = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Next = waiter.Previous = null;
        waiter.Queued = false;
    }

    private Waiter RentWaiter()
    {
        // Called under _sync.
        Waiter? waiter = _pool;
        if (waiter is null)
        {
            return new Waiter(this);
        }

        _pool = waiter.Next;
        waiter.Next = null;
        _pooled--;
        return waiter;
    }

    private void ReturnWaiter(Waiter waiter)
    {
        lock (_sync)
        {
            if (_pooled < MaxPooledWaiters)
            {
                waiter.Next = _pool;
                _pool = waiter;
                _pooled++;
            }
        }
    }

    /// <summary>One queued wait; pooled and reused once its result has been consumed.</summary>
    private sealed class Waiter : IValueTaskSource
    {
        private readonly AsyncWriterLock _owner;
        private ManualResetValueTaskSourceCore<bool> _core;

        public Waiter(AsyncWriterLock owner)
        {
            _owner = owner;
            _core.RunContinuationsAsynchronously = true;
        }

        public Waiter? Next { get; set; }

        public Waiter? Previous { get; set; }

        public bool Queued { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public CancellationToken CancellationToken { get; set; }

        public short Version => _core.Version;

        public void Complete(Exception? error)
        {
            if (error is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(error);
            }
        }

        public void OnCanceled() => _owner.Cancel(this, CancellationToken);

        public void GetResult(short token)
        {
            bool current = token == _core.Version;
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                if (current)
                {
                    // Dispose waits for a callback already running, so no stale cancel can reach the next use.
                    Registration.Dispose();
                    Registration = default;
                    CancellationToken = default;
                    _core.Reset();
                    _owner.ReturnWaiter(this);
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
