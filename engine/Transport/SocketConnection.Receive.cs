using System.IO.Pipelines;
using System.Net.Sockets;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>The receive loop: socket to input pipe.</summary>
public sealed partial class SocketConnection
{
    private readonly SocketReceiver _receiver;
    private long _bytesReceived;

    /// <summary>Bytes received so far (tests and metrics).</summary>
    internal long BytesReceived => Interlocked.Read(ref _bytesReceived);

    private async Task ReceiveLoopAsync()
    {
        PipeWriter input = _input.Writer;

        // Half a segment: a receive never targets a tiny tail of a segment, yet one segment can hold two receives.
        int minimumReceive = Math.Max(1, _options.MinimumSegmentSize / 2);
        Exception? error = null;
        bool failed = false;
        try
        {
            while (true)
            {
                if (_options.WaitForDataBeforeAllocatingBuffer)
                {
                    SocketOperationResult waited = await _receiver.WaitForDataAsync(_socket!).ConfigureAwait(false);
                    if (!waited.IsSuccess)
                    {
                        error = OnSocketError(waited.Error);
                        failed = true;
                        break;
                    }
                }

                Memory<byte> buffer = input.GetMemory(minimumReceive);
                SocketOperationResult received = await _receiver.ReceiveAsync(_socket!, buffer).ConfigureAwait(false);
                if (!received.IsSuccess)
                {
                    error = OnSocketError(received.Error);
                    failed = true;
                    break;
                }

                int count = received.BytesTransferred;
                if (count == 0)
                {
                    // FIN: the peer sent everything it will send. The parse loop still sees all flushed bytes,
                    // then IsCompleted; our output side stays open until the owner disposes.
                    TransportLog.PeerClosed(_logger, RemoteEndPoint);
                    break;
                }

                Interlocked.Add(ref _bytesReceived, count);
                _options.Counters.OnReceived(count);
                input.Advance(count);

                // Flush before looking at the result: the bytes just received must reach the reader even if it is
                // completing, or they would be lost.
                FlushResult flushed = await input.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    // The reader is done, or Abort cancelled our wait on back-pressure.
                    break;
                }
            }
        }
        catch (ObjectDisposedException) when (IsClosed)
        {
            // Abort closed the socket between two receives: a routine close, not a failure to log.
            failed = true;
        }
        catch (Exception ex)
        {
            // Nothing below is expected to throw; if it does, it must end this connection, not the process.
            TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
            error = ex;
            failed = true;
        }

        if (failed)
        {
            // A broken receive side means a broken connection (a no-op when Abort caused it).
            Shutdown(error);
        }

        // Completed without an exception on purpose: a closed connection is routine for the parse loop, which sees
        // IsCompleted; the reason, if any, is in CloseReason.
        await input.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
    }

    /// <summary>Logs a failed socket operation and returns the close reason it stands for (null for our own abort).</summary>
    private SocketException? OnSocketError(SocketError error)
    {
        if (SocketErrors.IsLocalAbort(error))
        {
            return null;
        }

        if (SocketErrors.IsReset(error))
        {
            TransportLog.ConnectionReset(_logger, RemoteEndPoint, error);
        }
        else
        {
            TransportLog.ConnectionFailed(_logger, RemoteEndPoint, error);
        }

        // One exception per connection close, never per operation.
        return new SocketException((int)error);
    }
}
