using System.Threading.Tasks.Sources;

namespace FastDht.Engine.Transport.Internal;

/// <summary>One direction's readiness of an epoll-served socket (readable or writable), awaited without allocating.</summary>
/// <remarks>
/// A three-state flag. Ready: the engine saw an edge (or the loop filled its buffer) since the last syscall that found the
/// socket drained, so the next recv/send is worth trying. NotReady: the last syscall came back short or with EAGAIN, so
/// the loop must wait. Waiting: the loop waits, and the next edge completes it.
/// Only the connection's loop moves Ready to NotReady (<see cref="Consume"/>) and NotReady to Waiting
/// (<see cref="WaitAsync"/>); the event thread (or a close) only sets Ready (<see cref="Signal"/>), and whoever moves
/// Waiting to Ready completes the waiter, so the source is completed at most once per wait. Consuming BEFORE the
/// syscall is what keeps an edge from being lost: an edge that arrives during or after the syscall sets Ready again.
/// The continuation runs inline on the signalling thread (RunContinuationsAsynchronously off): on the event thread
/// that is the point of the engine, the shape the runtime's inline completions had.
/// </remarks>
internal sealed class EpollReadiness : IValueTaskSource
{
    private const int NotReady = 0;
    private const int Ready = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state = Ready;
    private volatile bool _final;

    public EpollReadiness()
    {
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Whether a syscall is worth trying now.</summary>
    public bool IsReady => Volatile.Read(ref _state) == Ready;

    /// <summary>Marks the readiness as used, before the syscall that uses it; after a hang-up or an error it stays.</summary>
    public void Consume()
    {
        if (!_final)
        {
            Interlocked.Exchange(ref _state, NotReady);
        }
    }

    /// <summary>The loop's own "try again": a read that filled its buffer may have left more behind.</summary>
    public void SetReady() => Interlocked.Exchange(ref _state, Ready);

    /// <summary>An edge (or a close): wakes a waiting loop, on this thread.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _state, Ready) == Waiting)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>
    /// A hang-up or an error: readiness that no later edge will repeat. A FIN that arrives with the last bytes comes in
    /// the same edge as they do; the read that takes the bytes comes back short, and without this the loop would wait
    /// for an edge that never comes instead of reading the end of the stream.
    /// </summary>
    public void SignalFinal()
    {
        _final = true;
        Signal();
    }

    /// <summary>Completes at once when ready, else at the next <see cref="Signal"/>.</summary>
    public ValueTask WaitAsync()
    {
        _core.Reset();
        return Interlocked.CompareExchange(ref _state, Waiting, NotReady) == NotReady
            ? new ValueTask(this, _core.Version)
            : default;
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
