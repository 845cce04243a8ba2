using System.IO.Pipelines;
using System.Net.Sockets;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>The receive loop: socket to input pipe.</summary>
public sealed partial class SocketConnection
{
    /// <summary>Reads in a row that found their data already there, on a socket event thread, after which the loop moves to the thread pool.</summary>
    /// <remarks>
    /// With the runtime's inline socket completions (fastdht-node's default, docs/running.md) a receive that had to wait
    /// completes on the socket event thread, and the loop, the parse loop (InlineScheduling) and its send all run there.
    /// A client that keeps the socket full never makes a receive wait, so without a budget its loop would keep the event
    /// thread, and every other socket of that thread (clients, the links to other nodes) went unread for as long as
    /// the flood lasted: PINGs on other connections waited up to 4.4 s during a 2 M-SET `redis-cli --pipe` (100-200 ms
    /// with the thread-pool hand-off). After this many reads (about 4 KiB each, so about the 16 KiB Redis reads per client
    /// per turn of its event loop) the loop goes on on the thread pool, and the event thread back to its other sockets.
    /// </remarks>
    private const int EventThreadReadBudget = 4;

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
        int readsAtOnce = 0;
        try
        {
            while (true)
            {
                // Whether this round's data was there without waiting (the wait, or the receive when there is no wait).
                bool atOnce;
                if (_options.WaitForDataBeforeAllocatingBuffer)
                {
                    ValueTask<SocketOperationResult> waiting = _receiver.WaitForDataAsync(_socket!);
                    atOnce = waiting.IsCompleted;
                    SocketOperationResult waited = await waiting.ConfigureAwait(false);
                    if (!waited.IsSuccess)
                    {
                        error = OnSocketError(waited.Error);
                        failed = true;
                        break;
                    }
                }

                else
                {
                    atOnce = false;
                }

                Memory<byte> buffer = input.GetMemory(minimumReceive);
                ValueTask<SocketOperationResult> receiving = _receiver.ReceiveAsync(_socket!, buffer);
                atOnce |= !_options.WaitForDataBeforeAllocatingBuffer && receiving.IsCompleted;
                SocketOperationResult received = await receiving.ConfigureAwait(false);
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

                if (LeavesEventThread(atOnce, ref readsAtOnce))
                {
                    await Task.Yield(); // no context here: this queues the loop to the thread pool
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

    /// <summary>Counts a read that found its data at once; true when the budget of such reads on a socket event thread is spent (<see cref="EventThreadReadBudget"/>).</summary>
    /// <remarks>A thread-pool thread is never left: the pool has other threads, and the hand-off costs a work item.</remarks>
    private static bool LeavesEventThread(bool atOnce, ref int readsAtOnce)
    {
        if (!atOnce || Thread.CurrentThread.IsThreadPoolThread)
        {
            readsAtOnce = 0;
            return false;
        }

        if (++readsAtOnce < EventThreadReadBudget)
        {
            return false;
        }

        readsAtOnce = 0;
        return true;
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
