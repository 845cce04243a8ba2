using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>The send loop: output pipe to socket, everything buffered in one send.</summary>
public sealed partial class SocketConnection
{
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
        try
        {
            while (true)
            {
                ReadResult result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    // Abort woke us: whatever is still buffered is dropped with the connection.
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    // Everything flushed since the last send goes out in this one call: this is the batching.
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
                    _options.Counters.OnSent(buffer.Length);
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
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
}
