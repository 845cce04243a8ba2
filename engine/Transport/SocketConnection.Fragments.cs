using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>
/// Fragments: on a connection whose other side reassembles them, a large frame is sent in pieces by the send loop itself,
/// between the other frames, so answers and heartbeats written after it do not wait behind all of its bytes.
/// </summary>
/// <remarks>
/// Once enabled, the writer lock hands out a staging writer; each release of the lock moves what was written on: frames
/// that may pass (<see cref="OutputFraming.FrameLength"/>) and frames with nothing queued before them to the output
/// pipe, large frames and frames written after one to the <see cref="OutputLane"/>. The send loop sends whatever the
/// output pipe holds, then one piece from the lane, and again: the pieces of a large frame follow each other with no wait
/// and no thread-pool hop while nothing else is written, and a small frame written meanwhile leaves after at most one
/// piece. Only the runtime's plain socket loop sends pieces (<see cref="CanFragment"/>); TLS, the epoll engine and
/// in-memory connections send every frame whole, and the other side reassembles only what it is sent in pieces.
/// </remarks>
public sealed partial class SocketConnection
{
    // Never pauses: it holds what one writer-lock holder wrote, and is emptied when the lock is released.
    private static readonly PipeOptions StageOptions = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

    private OutputFraming? _framing;
    private Pipe? _stage;
    private OutputLane? _lane;
    // Bytes moved into the output pipe (under the writer lock), and output pipe bytes sent (the send loop's own).
    private long _pipeBytesWritten;
    private long _pipeBytesSent;
    private uint _pieceStream;
    private byte[]? _pieceBuffer;

    /// <summary>Whether this connection's send loop can send pieces: the runtime's engine over plain TCP.</summary>
    internal bool CanFragment => _socket is not null && _tls is null && _epoll is null && _transport is null;

    /// <summary>Whether large frames go in pieces now.</summary>
    internal bool IsFragmenting => Volatile.Read(ref _lane) is not null;

    /// <summary>From now on, frames larger than <see cref="OutputFraming.LargeFrame"/> go in pieces (call it once the other side said it reassembles them).</summary>
    /// <returns>False when this connection cannot (<see cref="CanFragment"/>) or is closed.</returns>
    internal async ValueTask<bool> EnableFragmentsAsync(OutputFraming framing)
    {
        if (!CanFragment)
            return false;
        await _writeLock.EnterAsync().ConfigureAwait(false);
        try
        {
            if (_writerClosed || IsClosed)
                return false;
            if (_lane is null)
            {
                _framing = framing;
                _pieceBuffer = ArrayPool<byte>.Shared.Rent(framing.PieceHeaderSize + Math.Max(framing.PieceSize, framing.LargeFrame));
                // Every byte written to the pipe so far, flushed or not: a lane frame's place in the order counts from it.
                _pipeBytesWritten = Volatile.Read(ref _bytesFlushed) + _output.Writer.UnflushedBytes;
                _stage = new Pipe(StageOptions);
                Volatile.Write(ref _lane, new OutputLane());
            }
            return true;
        }
        finally
        {
            _writeLock.Exit();
        }
    }

    /// <summary>The writer the lock's holder writes to: the staging pipe once fragments are on, else the output pipe.</summary>
    private PipeWriter HeldWriter => _stage is { } stage ? stage.Writer : _output.Writer;

    /// <summary>With the writer lock held: moves what the holder wrote to the output pipe or the lane, frame by frame.</summary>
    private void MoveStaged(Pipe stage)
    {
        var writer = stage.Writer;
        if (writer.UnflushedBytes == 0)
            return;
        _ = writer.FlushAsync(); // never pauses: completes at once
        if (!stage.Reader.TryRead(out var read))
            return;
        var framing = _framing!;
        var lane = _lane!;
        var buffer = read.Buffer;
        Span<byte> header = stackalloc byte[16];
        header = header[..framing.HeaderSize];
        while (buffer.Length >= framing.HeaderSize)
        {
            buffer.Slice(0, framing.HeaderSize).CopyTo(header);
            var length = framing.FrameLength(header, out var passes);
            // A holder writes whole frames, so a partial one is never left; if one were, it waits for the next release.
            if (length < framing.HeaderSize || length > buffer.Length)
                break;
            var frame = buffer.Slice(0, length);
            var large = length > framing.LargeFrame;
            if (large || (!passes && !lane.IsEmpty))
            {
                // Sent once the holder's flush publishes it (PublishLane), like the output pipe's bytes.
                lane.Add(frame, large, _pipeBytesWritten);
                Volatile.Write(ref _bytesFlushed, _bytesFlushed + length);
            }
            else
            {
                foreach (var segment in frame)
                    _output.Writer.Write(segment.Span);
                _pipeBytesWritten += length;
            }
            buffer = buffer.Slice(length);
        }
        stage.Reader.AdvanceTo(buffer.Start, read.Buffer.End);
    }

    /// <summary>With the writer lock held, as the output pipe is flushed: the lane's frames queued so far may go too.</summary>
    private void PublishLane()
    {
        if (_lane is { } lane && lane.Publish())
        {
            // The send loop may be waiting for the output pipe alone: wake it (it reads nothing and goes on).
            _output.Reader.CancelPendingRead();
        }
    }

    /// <summary>With the writer lock held and fragments on: the flush, then (lock released) a wait for the lane to have room.</summary>
    private async ValueTask<bool> ExitWriteWaitingForLaneAsync(OutputLane lane)
    {
        var open = await ExitWriteFlushAsync().ConfigureAwait(false);
        if (open)
            await lane.WaitForRoomAsync().ConfigureAwait(false);
        return open && !IsClosed;
    }

    /// <summary>
    /// The send loop's turn at the lane: one piece of the first frame if it is large, or the whole of a small one (so a
    /// frame on the wire is never cut by another). Sent from one reused buffer, with the same pooled senders as the loop.
    /// </summary>
    private async ValueTask<SocketOperationResult> SendFromLaneAsync(LaneFrame frame)
    {
        var framing = _framing!;
        var buffer = _pieceBuffer!;
        var offset = 0;
        int take;
        if (frame.InPieces)
        {
            take = Math.Min(framing.PieceSize, frame.Length - frame.Sent);
            if (frame.Sent == 0)
                _pieceStream++;
            framing.WritePieceHeader(buffer, _pieceStream, take);
            offset = framing.PieceHeaderSize;
        }
        else
        {
            take = frame.Length; // at most LargeFrame, which the buffer holds
        }
        frame.CopyTo(frame.Sent, buffer.AsSpan(offset, take));
        var sender = _senderPool.Rent();
        SocketOperationResult sent;
        try
        {
            sent = await sender.SendAsync(_socket!, new ReadOnlySequence<byte>(buffer, 0, offset + take)).ConfigureAwait(false);
        }
        catch
        {
            _senderPool.Discard(sender);
            throw;
        }
        if (!sent.IsSuccess)
        {
            _senderPool.Discard(sender);
            return sent;
        }
        _senderPool.Return(sender);
        Interlocked.Increment(ref _sendCount);
        Interlocked.Add(ref _bytesSent, take);
        _options.Counters.OnSent(offset + take);
        _lane!.OnSent(frame, take);
        return sent;
    }

    /// <summary>After the send loop ended and the writer is closed: the lane's and the staging pipe's memory back to their pools.</summary>
    private void ReleaseFragments()
    {
        _lane?.ReleaseAll();
        if (_stage is { } stage)
        {
            stage.Writer.Complete();
            stage.Reader.Complete();
        }
        if (Interlocked.Exchange(ref _pieceBuffer, null) is { } piece)
            ArrayPool<byte>.Shared.Return(piece);
    }
}
