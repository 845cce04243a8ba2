using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>The writer lock: the one gate every producer of output passes through.</summary>
/// <remarks>
/// Requirements: any thread may produce output (the parse loop's responses, completions arriving from other
/// connections); a frame must never interleave with another; a PipeWriter tolerates one thread at a time and no
/// GetSpan while its flush is pending.
/// Design: one <see cref="AsyncWriterLock"/> per connection. Entering tries a single CompareExchange first, which
/// takes a free lock without allocating or blocking; only contention goes to the async slow path (StackExchange.Redis
/// WriteMessageTakingWriteLockAsync), whose waiters are pooled, so even contention allocates nothing in steady state. The holder writes whole frames, then <see cref="ExitWriteAsync"/> flushes
/// (still holding the lock) and releases. A flush that waits on back-pressure keeps the lock, so every other
/// producer waits too and the unsent bytes stay near the output pause threshold.
/// Fairness: waiters are served FIFO, and a release hands the lock straight to the first waiter.
/// Usage:
/// <code>
/// if (!connection.TryEnterWrite(out PipeWriter writer)) writer = await connection.EnterWriteAsync();
/// Encode(writer, frame);                       // GetSpan / Advance, as many whole frames as you like
/// bool open = await connection.ExitWriteAsync();  // flushes all of them at once, then releases
/// </code>
/// </remarks>
public sealed partial class SocketConnection
{
    private readonly AsyncWriterLock _writeLock = new();

    // Set under the writer lock by CloseAsync or DisposeAsync: from then on the output writer is completed and unusable.
    private bool _writerClosed;

    // The output barriers (durability, replication): bytes written so far may only be sent once each barrier reaches its
    // mark. Two slots, because a write waits for two independent things: the local log and the replicas.
    private IOutputBarrier? _barrier;
    private long _barrierMark;
    private IOutputBarrier? _barrier2;
    private long _barrierMark2;

    // The client output bound (null for peer links and dials): bytes flushed so far, counted under the writer lock on
    // every connection, less BytesSent are the unsent output (a retired peer link waits for it to be sent before it
    // closes); _overSoftSince is when they rose above the soft bound (0 while below).
    private OutputLimit? _outputLimit;
    private long _bytesFlushed;
    private long _overSoftSince;

    /// <summary>With the writer lock held, before a flush: counts the bytes it sends and checks the bound.</summary>
    /// <returns>False when the connection was aborted for passing the bound.</returns>
    private bool CountOutput()
    {
        // Read by the client memory budget's sweep on another thread.
        Volatile.Write(ref _bytesFlushed, _bytesFlushed + _output.Writer.UnflushedBytes);
        if (_outputLimit is not { } limit)
            return true;
        long unsent = _bytesFlushed - BytesSent;
        if (!limit.IsExceeded(unsent, Environment.TickCount64, ref _overSoftSince))
            return true;
        AbortOverOutputLimit(limit, unsent);
        return false;
    }

    private void AbortOverOutputLimit(OutputLimit limit, long unsent)
    {
        if (IsClosed)
            return;
        TransportLog.OutputLimitReached(_logger, RemoteEndPoint, unsent, limit.ToString());
        _options.Counters.OnOutputLimitReached();
        Abort(new IOException($"the client left {unsent} bytes of replies unread, past the output limit ({limit})"));
    }

    /// <summary>
    /// Holds back every later flush of this connection until <paramref name="barrier"/> has reached <paramref name="mark"/>:
    /// replies that acknowledge a write leave only once the write is durable. Call it before or while writing such
    /// a reply, from any thread; marks only rise.
    /// </summary>
    /// <remarks>
    /// Every flush goes through <see cref="ExitWriteAsync"/>, so this one check covers all of them: the batch's own
    /// flush, late replies, relayed answers and requests sharing the connection. The holder waits asynchronously with
    /// the lock held, so nothing written after the reply overtakes it. A connection that never gets a mark (no data
    /// directory, no replicas) pays one null check per flush. A connection holds for at most two barriers: the first one
    /// it is given takes the first slot, any other the second (the log and the replication stream).
    /// </remarks>
    internal void HoldOutputUntil(IOutputBarrier barrier, long mark)
    {
        var first = Volatile.Read(ref _barrier);
        if (first is null)
            first = Interlocked.CompareExchange(ref _barrier, barrier, null) ?? barrier;
        if (ReferenceEquals(first, barrier))
        {
            RaiseMark(ref _barrierMark, mark);
            return;
        }
        Volatile.Write(ref _barrier2, barrier);
        RaiseMark(ref _barrierMark2, mark);
    }

    private static void RaiseMark(ref long target, long mark)
    {
        var current = Volatile.Read(ref target);
        while (mark > current)
        {
            var seen = Interlocked.CompareExchange(ref target, mark, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>Takes the writer lock if it is free, without waiting or allocating.</summary>
    /// <returns>False when another producer holds the lock or the connection is disposed; then call <see cref="EnterWriteAsync"/>.</returns>
    public bool TryEnterWrite(out PipeWriter writer)
    {
        if (_writeLock.TryEnter())
        {
            if (!_writerClosed)
            {
                writer = HeldWriter;
                return true;
            }

            _writeLock.Exit();
        }

        writer = null!;
        return false;
    }

    /// <summary>Takes the writer lock, waiting asynchronously while another producer holds it.</summary>
    /// <exception cref="ObjectDisposedException">The connection was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting.</exception>
    public ValueTask<PipeWriter> EnterWriteAsync(CancellationToken cancellationToken = default)
    {
        if (_writeLock.TryEnter())
        {
            if (!_writerClosed)
            {
                return new ValueTask<PipeWriter>(HeldWriter);
            }

            _writeLock.Exit();
            Throw.ObjectDisposed(nameof(SocketConnection));
        }

        return EnterWriteSlowAsync(cancellationToken);
    }

    /// <summary>Flushes what was written under the lock (unless <paramref name="flush"/> is false), then releases the lock.</summary>
    /// <returns>
    /// True while the connection still sends; false once it is closed (what was written is then discarded). The
    /// returned task completes only after the flush, so a peer that stops reading holds it (and the lock) pending.
    /// </returns>
    /// <remarks>
    /// Call exactly once per successful enter, from the holder. With <paramref name="flush"/> false the bytes stay
    /// buffered for a later holder's flush: a way to coalesce, provided someone flushes.
    /// </remarks>
    public ValueTask<bool> ExitWriteAsync(bool flush = true)
    {
        if (_stage is { } stage)
        {
            MoveStaged(stage);
        }

        if (!flush)
        {
            _writeLock.Exit();
            return new ValueTask<bool>(!IsClosed);
        }

        if (_lane is { NeedsRoom: true } lane)
        {
            return ExitWriteWaitingForLaneAsync(lane);
        }

        return ExitWriteFlushAsync();
    }

    /// <summary>With the writer lock held: counts, waits for the output barriers, flushes and releases the lock.</summary>
    private ValueTask<bool> ExitWriteFlushAsync()
    {
        if (!CountOutput())
        {
            _writeLock.Exit();
            return new ValueTask<bool>(false);
        }

        if (Volatile.Read(ref _barrier) is { } barrier)
        {
            long mark = Volatile.Read(ref _barrierMark);
            if (!barrier.IsReached(mark))
                return ExitWriteAfterBarrierAsync(barrier, mark, Volatile.Read(ref _barrier2), Volatile.Read(ref _barrierMark2));
            if (Volatile.Read(ref _barrier2) is { } second)
            {
                mark = Volatile.Read(ref _barrierMark2);
                if (!second.IsReached(mark))
                    return ExitWriteAfterBarrierAsync(second, mark, null, 0);
            }
        }

        PublishLane();
        ValueTask<FlushResult> flushing = _output.Writer.FlushAsync();
        if (flushing.IsCompletedSuccessfully)
        {
            FlushResult result = flushing.Result;
            _writeLock.Exit();
            return new ValueTask<bool>(!result.IsCompleted && !result.IsCanceled);
        }

        return ExitWriteSlowAsync(flushing);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PipeWriter> EnterWriteSlowAsync(CancellationToken cancellationToken)
    {
        await _writeLock.EnterAsync(cancellationToken).ConfigureAwait(false);
        if (_writerClosed)
        {
            _writeLock.Exit();
            Throw.ObjectDisposed(nameof(SocketConnection));
        }

        return HeldWriter;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExitWriteAfterBarrierAsync(IOutputBarrier barrier, long mark, IOutputBarrier? second, long secondMark)
    {
        bool reached;
        try
        {
            reached = await barrier.WaitAsync(mark, _isClient).ConfigureAwait(false)
                && (second is null || await second.WaitAsync(secondMark, _isClient).ConfigureAwait(false));
        }
        catch
        {
            _writeLock.Exit();
            throw;
        }

        if (!reached)
        {
            // The writes these replies acknowledge are not durable (or replicated), and may never be: they must not be
            // sent. Dropping the connection tells the client the outcome is unknown, which is the truth: the writes are
            // applied in memory and, when the log failed, logged once the disk takes them.
            Abort(new IOException("the replies' writes could not be made durable or replicated (the node's log cannot write to disk, the node is stopping, or it lost their range to another primary): outcome unknown"));
            _writeLock.Exit();
            return false;
        }

        PublishLane();
        return await ExitWriteSlowAsync(_output.Writer.FlushAsync()).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExitWriteSlowAsync(ValueTask<FlushResult> flushing)
    {
        try
        {
            FlushResult result;
            if (_outputLimit is { } limit && limit.SoftWait(Environment.TickCount64, _overSoftSince) is { } wait)
            {
                // The client is not reading and its unsent output is above the soft bound: wait for it only as long as
                // the bound allows (allocates, but only for a client that stopped reading).
                Task<FlushResult> pending = flushing.AsTask();
                try
                {
                    await pending.WaitAsync(wait).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    AbortOverOutputLimit(limit, _bytesFlushed - BytesSent);
                }
                // Bounded: the abort completes the output pipe's reader, which ends the flush.
                result = await pending.ConfigureAwait(false);
            }
            else
            {
                result = await flushing.ConfigureAwait(false);
            }
            return !result.IsCompleted && !result.IsCanceled;
        }
        finally
        {
            _writeLock.Exit();
        }
    }

    /// <summary>Waits for the current holder, then completes the output writer so no one writes again.</summary>
    private async Task CloseWriterAsync()
    {
        // Every holder's flush ends once the send loop has completed the output reader, so this wait is bounded
        // by the holders' own write code.
        await _writeLock.EnterAsync().ConfigureAwait(false);
        await CompleteWriterAndExitAsync().ConfigureAwait(false);
    }

    /// <summary>With the writer lock held: completes the output writer (once) so no one writes again, then releases the lock.</summary>
    private async Task CompleteWriterAndExitAsync()
    {
        try
        {
            if (!_writerClosed)
            {
                _writerClosed = true;
                PublishLane();
                await _output.Writer.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Exit();
        }
    }
}
