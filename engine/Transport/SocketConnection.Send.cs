using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>The send loop: output pipe to socket, everything buffered in one send (up to a bounded slice).</summary>
public sealed partial class SocketConnection
{
    /// <summary>
    /// The most pipe segments one socket send takes: 64, 256 KiB of the default 4 KiB segments, far more than a batch of
    /// small replies fills and about what a loopback socket's send buffer takes at once.
    /// </summary>
    /// <remarks>
    /// Why a bound: the runtime's multi-buffer send pins every remaining buffer of its list and allocates two arrays of
    /// that many entries on each partial sendmsg it makes, so one large reply (a 60 MB value is about 15,000 segments)
    /// sent to a client that reads slowly cost O(segments) per partial send, O(segments^2) in all, on the thread that
    /// completes the socket's sends, and two large-object-heap arrays per partial send, whose gen-2 collections suspend
    /// every thread of the node (docs/known-issues.md). Sliced, each send costs at most this much, the segments sent go
    /// back to the pool at once, and the loop returns to the pipe between slices.
    /// </remarks>
    internal const int MaxSendSegments = 64;

    private readonly SocketSenderPool _senderPool;
    private long _sendCount;
    private long _bytesSent;

    /// <summary>Socket sends so far; fewer than frames written when batching works (tests and metrics).</summary>
    internal long SendCount => Interlocked.Read(ref _sendCount);

    /// <summary>Bytes sent and released from the output pipe so far.</summary>
    internal long BytesSent => Interlocked.Read(ref _bytesSent);

    private async Task SendLoopAsync()
    {
        PipeReader output = _output.Reader;
        Exception? error = null;
        SocketSender? sender = null;
        // Everything read from the output pipe so far is sent: the stream is between two frames, where a piece may go.
        bool atBoundary = true;
        try
        {
            while (true)
            {
                ReadResult result;
                LaneFrame? piece = atBoundary ? Volatile.Read(ref _lane)?.Ready(_pipeBytesSent) : null;
                if (piece is null)
                {
                    result = await output.ReadAsync().ConfigureAwait(false);
                }
                else if (!output.TryRead(out result))
                {
                    // Nothing else to send: the large frame's pieces follow each other without waiting for anything.
                    SocketOperationResult pieceSent = await SendFromLaneAsync(piece).ConfigureAwait(false);
                    if (!pieceSent.IsSuccess)
                    {
                        error = OnSocketError(pieceSent.Error);
                        break;
                    }

                    continue;
                }

                if (result.IsCanceled)
                {
                    if (IsClosed)
                    {
                        // Abort woke us: whatever is still buffered is dropped with the connection.
                        break;
                    }

                    // A frame was queued in the lane (SocketConnection.Fragments.cs): nothing read is consumed.
                    output.AdvanceTo(result.Buffer.Start);
                    continue;
                }

                ReadOnlySequence<byte> buffer = SendSlice(result.Buffer);
                if (!buffer.IsEmpty)
                {
                    // Everything flushed since the last send goes out in this one call (up to a slice): the batching.
                    sender = _senderPool.Rent();
                    SocketOperationResult sent = await sender.SendAsync(_socket!, buffer).ConfigureAwait(false);
                    if (!sent.IsSuccess)
                    {
                        // A faulted operation is never pooled again.
                        _senderPool.Discard(sender);
                        sender = null;
                        error = OnSocketError(sent.Error);
                        break;
                    }

                    _senderPool.Return(sender);
                    sender = null;
                    Interlocked.Increment(ref _sendCount);
                    Interlocked.Add(ref _bytesSent, buffer.Length);
                    _pipeBytesSent += buffer.Length;
                    _options.Counters.OnSent(buffer.Length);
                }

                output.AdvanceTo(buffer.End);
                atBoundary = buffer.End.Equals(result.Buffer.End);
                if (result.IsCompleted && atBoundary)
                {
                    // A graceful close: what the lane still holds goes too, in order.
                    error = await DrainLaneAsync().ConfigureAwait(false);
                    break;
                }

                if (atBoundary && Volatile.Read(ref _lane)?.Ready(_pipeBytesSent) is { } next)
                {
                    // One piece after each read's worth of other frames: the two alternate while both have bytes to send.
                    SocketOperationResult pieceSent = await SendFromLaneAsync(next).ConfigureAwait(false);
                    if (!pieceSent.IsSuccess)
                    {
                        error = OnSocketError(pieceSent.Error);
                        break;
                    }
                }
            }
        }
        catch (ObjectDisposedException) when (IsClosed)
        {
            // Abort closed the socket between two sends: a routine close, not a failure to log.
        }
        catch (Exception ex)
        {
            TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
            error = ex;
        }

        if (sender is not null)
        {
            // The send threw: the operation's state is unknown, so it is never pooled again.
            _senderPool.Discard(sender);
        }

        // The send side is gone, so the connection is: shut down (a no-op when Abort got here first). Completing the
        // reader then releases any producer waiting on back-pressure (its flush reports IsCompleted).
        Shutdown(error);
        await output.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
    }

    /// <summary>At a graceful close: sends what the lane holds; the error that stopped it, if any.</summary>
    private async ValueTask<Exception?> DrainLaneAsync()
    {
        while (Volatile.Read(ref _lane)?.Ready(_pipeBytesSent) is { } frame && !IsClosed)
        {
            SocketOperationResult sent = await SendFromLaneAsync(frame).ConfigureAwait(false);
            if (!sent.IsSuccess)
            {
                return OnSocketError(sent.Error);
            }
        }

        return null;
    }

    /// <summary>The first <see cref="MaxSendSegments"/> segments of <paramref name="buffer"/> (all of it when it has fewer).</summary>
    internal static ReadOnlySequence<byte> SendSlice(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return buffer;
        }

        long length = 0;
        int segments = 0;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (++segments > MaxSendSegments)
            {
                return buffer.Slice(0, length);
            }

            length += segment.Length;
        }

        return buffer;
    }
}
