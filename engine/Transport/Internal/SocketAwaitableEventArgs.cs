using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace FastDht.Engine.Transport.Internal;

/// <summary>A reusable SocketAsyncEventArgs that is awaited as a ValueTask without allocating.</summary>
/// <remarks>
/// Design (after Kestrel's SocketAwaitableEventArgs):
/// - One operation at a time per instance. A synchronous completion returns a completed ValueTask built from the
///   result; a pending one returns <c>new ValueTask&lt;T&gt;(this, token)</c>, so nothing is allocated either way.
/// - The continuation slot is a tiny state machine: null (no one waiting yet), a real continuation (someone
///   waits), or <see cref="s_completedSentinel"/> (the IO finished first). Whichever side arrives second runs
///   the continuation, decided by one CompareExchange.
/// - Execution context does not flow: the base constructor suppresses it for the socket callback, and
///   continuations are queued with the Unsafe thread-pool API. The transport owns no ambient state to flow.
/// - The token is a version number, bumped when a result is consumed, so a ValueTask awaited twice fails loudly
///   instead of observing the next operation's result.
/// </remarks>
internal abstract class SocketAwaitableEventArgs : SocketAsyncEventArgs, IValueTaskSource<SocketOperationResult>
{
    private static readonly Action<object?> s_completedSentinel = static _ => { };

    private readonly PipeScheduler _scheduler;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private short _token;

    protected SocketAwaitableEventArgs(PipeScheduler scheduler)
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _scheduler = scheduler;
    }

    /// <summary>Turns the bool returned by Socket.XxxAsync(this) into a ValueTask.</summary>
    protected ValueTask<SocketOperationResult> Complete(bool pending) =>
        pending
            ? new ValueTask<SocketOperationResult>(this, _token)
            : new ValueTask<SocketOperationResult>(new SocketOperationResult(BytesTransferred, SocketError));

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        Action<object?>? continuation = _continuation;
        if (continuation is not null
            || (continuation = Interlocked.CompareExchange(ref _continuation, s_completedSentinel, null)) is not null)
        {
            // The awaiter registered first: it is waiting, so this side runs it.
            object? state = _continuationState;
            _continuationState = null;
            _continuation = s_completedSentinel;
            _scheduler.Schedule(continuation, state);
        }
    }

    public SocketOperationResult GetResult(short token)
    {
        if (token != _token)
        {
            Throw.InvalidOperation("A socket operation's ValueTask was awaited twice or after reuse.");
        }

        _token++;
        _continuation = null;
        return new SocketOperationResult(BytesTransferred, SocketError);
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        if (token != _token)
        {
            Throw.InvalidOperation("A socket operation's ValueTask was awaited twice or after reuse.");
        }

        // Socket errors are results, not faults: the awaiter always gets a value.
        return ReferenceEquals(_continuation, s_completedSentinel)
            ? ValueTaskSourceStatus.Succeeded
            : ValueTaskSourceStatus.Pending;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // Flags are ignored on purpose: no execution context and no synchronization context is captured.
        _continuationState = state;
        Action<object?>? previous = Interlocked.CompareExchange(ref _continuation, continuation, null);
        if (ReferenceEquals(previous, s_completedSentinel))
        {
            // The IO finished between the caller's IsCompleted check and this registration.
            _continuationState = null;
            ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: true);
        }
    }
}
