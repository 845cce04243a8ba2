using System.Net.Sockets;

namespace FastDht.Engine.Transport;

/// <summary>Shutdown: exactly once, first reason kept; disposal waits for both loops and returns every pooled part.</summary>
public sealed partial class SocketConnection
{
    private readonly Lock _shutdownLock = new();
    private readonly CancellationTokenSource _closedSource = new();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _shutdown;
    private Exception? _closeReason;
    private int _closedSignalled;
    private int _disposeStarted;

    /// <summary>Fires (on the thread pool) once the connection stops receiving: the peer closed, it failed, or it was aborted.</summary>
    public CancellationToken ConnectionClosed => _closedSource.Token;

    /// <summary>Why the connection closed: the first reason given to <see cref="Abort"/> or the socket error that ended it; null for a clean close.</summary>
    public Exception? CloseReason
    {
        get
        {
            lock (_shutdownLock)
            {
                return _closeReason;
            }
        }
    }

    /// <summary>Whether the connection has been shut down (aborted, failed, or disposed).</summary>
    /// <remarks>
    /// A volatile read, no lock: every reply released without a flush asks (ExitWriteAsync), and the flag only ever
    /// turns true (under <c>_shutdownLock</c>, in <see cref="Shutdown"/>), so a reader sees either the old false or the
    /// final true, never a torn or reverted state.
    /// </remarks>
    public bool IsClosed => Volatile.Read(ref _shutdown);

    /// <summary>Closes the socket now, from any thread, any number of times; only the first call's reason is kept.</summary>
    /// <remarks>
    /// Unsent output is dropped. The parse loop's read then completes (IsCompleted), a writer waiting on
    /// back-pressure is released (its exit reports false), and the owner should then call <see cref="DisposeAsync"/>.
    /// </remarks>
    public void Abort(Exception? reason = null) => Shutdown(reason);

    /// <summary>Sends everything already written, then closes and disposes; aborts instead if that takes longer than <paramref name="drainTimeout"/>.</summary>
    /// <remarks>
    /// The graceful close, for "answer with an error, then hang up": it waits for the current writer-lock holder,
    /// closes the output to new writes (later enters fail as after disposal), lets the send loop send what is
    /// buffered, then shuts the socket down. The same contract as <see cref="DisposeAsync"/> applies to the parse loop.
    /// </remarks>
    public async ValueTask CloseAsync(TimeSpan drainTimeout)
    {
        using var expiry = new CancellationTokenSource(drainTimeout);
        bool entered = false;
        try
        {
            await _writeLock.EnterAsync(expiry.Token).ConfigureAwait(false);
            entered = true;
        }
        catch (OperationCanceledException)
        {
            Abort(new TimeoutException($"The writer lock was not released within {drainTimeout.TotalMilliseconds:0} ms."));
        }

        if (entered && Volatile.Read(ref _barrier) is { } barrier && !barrier.IsReached(Volatile.Read(ref _barrierMark)))
        {
            // Buffered replies acknowledge writes not yet durable: they go out only once those are.
            bool reached = false;
            try
            {
                reached = await barrier.WaitAsync(Volatile.Read(ref _barrierMark), _isClient).AsTask().WaitAsync(expiry.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            if (!reached)
            {
                Abort(new IOException("the replies' writes were not durable before the close"));
                _writeLock.Exit();
                entered = false;
            }
        }

        if (entered)
        {
            // The send loop sends what is buffered, sees IsCompleted, and shuts the connection down.
            await CompleteWriterAndExitAsync().ConfigureAwait(false);

            try
            {
                await _sendTask.WaitAsync(expiry.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Abort(new TimeoutException($"The output was not sent within {drainTimeout.TotalMilliseconds:0} ms."));
            }
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Aborts if still open, waits for both loops, completes both pipes, and returns every pooled buffer and operation.</summary>
    /// <remarks>
    /// Call it after the parse loop over <see cref="Input"/> has stopped: disposal completes the input reader and
    /// returns its memory to the pool, so a loop still reading would touch freed memory. To close from another
    /// thread, call <see cref="Abort"/>; the parse loop then ends and its owner disposes. Safe to call twice.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            Shutdown(null);

            // The loops catch everything they can throw; these awaits only wait.
            await _receiveTask.ConfigureAwait(false);
            await _sendTask.ConfigureAwait(false);
            await CloseWriterAsync().ConfigureAwait(false);
            ReleaseFragments();
            await _input.Reader.CompleteAsync().ConfigureAwait(false);
            if (_tls is not null)
            {
                await _tls.DisposeAsync().ConfigureAwait(false);
            }

            _receiver.Dispose();
            LeaveClientBudget();
            _options.Counters.OnDisposed();
        }
        finally
        {
            _disposed.TrySetResult();
        }
    }

    private void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_shutdown)
            {
                return;
            }

            // The reason first: IsClosed reads the flag without the lock, and whoever sees it true may ask for the reason.
            _closeReason = reason;
            Volatile.Write(ref _shutdown, true);
        }

        if (_transport is not null)
        {
            ShutdownTransport();
        }

        if (_epoll is { } epoll)
        {
            // Not closed here: the epoll loops close the descriptor once neither can call recv or send on it.
            ShutdownEpoll(epoll);
        }
        else if (_socket is not null)
        {
            // Over TLS too: closing the socket ends whatever the stream waits for.
            ShutdownSocket(_socket);
        }

        // Wake the loops where the socket cannot: the receive loop waiting on input back-pressure, and the send loop
        // waiting for output. Both calls are thread-safe and harmless once a loop has ended.
        _input.Writer.CancelPendingFlush();
        _output.Reader.CancelPendingRead();
        Volatile.Read(ref _lane)?.Close();
        SignalClosed();
    }

    private static void ShutdownSocket(Socket socket)
    {
        // Closing the socket ends a pending receive or send (they complete with OperationAborted). Shutdown first
        // so the peer sees an orderly close when nothing was pending.
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: nothing to tell it.
        }
        catch (ObjectDisposedException)
        {
            // Never expected (only Shutdown disposes), but closing twice must stay harmless.
        }

        socket.Dispose();
    }

    private void SignalClosed()
    {
        if (Interlocked.Exchange(ref _closedSignalled, 1) != 0)
        {
            return;
        }

        // Owners' callbacks must not run inside a loop or inside a caller's Abort.
        ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), _closedSource, preferLocal: false);
    }
}
