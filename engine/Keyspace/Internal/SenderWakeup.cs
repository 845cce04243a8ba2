using System.Threading.Tasks.Sources;

namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// A replica sender's reusable wake-up: set by an append to the stream, its link's close or the node's stop, waited for
/// when the sender has nothing to send; waiting allocates nothing.
/// </summary>
/// <remarks>
/// An auto-reset event that remembers one set: a set while nobody waits makes the next wait complete at once, so a wake
/// between the sender's last look at the stream and its wait is never lost; a wake is only a hint (the sender looks
/// again at everything). The continuation runs on the thread pool: <see cref="Set"/> is called under the stream's lock,
/// inside a key's write gate, where the sender must not run. Before, each idle wait allocated a completion source and a
/// Task.WhenAny over three tasks.
/// </remarks>
internal sealed class SenderWakeup : IValueTaskSource
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Signalled = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Completes at the next <see cref="Set"/>, or at once if one came since the last wait. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signalled)
        {
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Wakes the waiter, or makes the next wait complete at once; cheap when already set (one read).</summary>
    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signalled:
                    return;
                case Waiting:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        _core.SetResult(true);
                        return;
                    }
                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                        return;
                    break;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
