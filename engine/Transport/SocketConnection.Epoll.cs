using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>The receive and send loops over FastDht's own epoll engine (<see cref="EpollSocketEngine"/>).</summary>
/// <remarks>
/// The same contract as the runtime's loops (Receive, Send): the input pipe's back-pressure, FIN as a clean end of
/// input with the output left open (half-close), the first error kept, the read budget on the event thread. What
/// differs: recv and send are plain non-blocking syscalls made when the engine says the socket is ready, and the
/// descriptor is closed only when both loops have ended (<see cref="ReleaseEpoll"/>). Until then an abort only shuts the
/// socket down (shutdown(2)), which wakes both loops and keeps the descriptor's number: closing it earlier would let
/// the number be reused by a new connection while a loop of this one still calls recv on it.
/// </remarks>
public sealed partial class SocketConnection
{
    private EpollSocket? _epoll;
    private int _epollLoops;

    /// <summary>Whether FastDht's epoll engine serves this connection (tests).</summary>
    internal bool IsServedByEpoll => _epoll is not null;

    /// <summary>Whether this connection's descriptor is still in its event thread's table (tests: a closed connection leaves it).</summary>
    internal bool IsRegisteredWithEpoll => _epoll is { } epoll && epoll.Loop.Holds(epoll);

    /// <summary>
    /// Chooses the engine: epoll for a connection a listener accepted when asked for, supported, and plain TCP, and for
    /// a socket the connector dialed for it (<see cref="ConnectionOptions.DialsOnEpoll"/>, checked there).
    /// </summary>
    private void ChooseEngine(Socket socket, bool accepted, bool servedByEpoll)
    {
        if (servedByEpoll || (accepted && _options.SocketEngine == SocketEngineKind.Epoll && EpollSocketEngine.IsSupported))
        {
            _epoll = new EpollSocket(socket, EpollSocketEngine.NextLoop());
        }
    }

    /// <summary>Registers with the event thread and starts both loops; false (runtime loops instead) when epoll refused the descriptor.</summary>
    private bool TryStartEpoll(EpollSocket epoll)
    {
        int error = epoll.Loop.Register(epoll);
        if (error != 0)
        {
            // E.g. ENOSPC past fs.epoll.max_user_watches: the connection is still served, by the runtime's engine.
            TransportLog.EpollRefused(_logger, RemoteEndPoint, error);
            _epoll = null;
            return false;
        }

        _epollLoops = 2;
        _receiveTask = EpollReceiveLoopAsync(epoll);
        _sendTask = EpollSendLoopAsync(epoll);
        return true;
    }

    private async Task EpollReceiveLoopAsync(EpollSocket epoll)
    {
        PipeWriter input = _input.Writer;
        EpollReadiness readable = epoll.Readable;
        int minimumReceive = Math.Max(1, _options.MinimumSegmentSize / 2);
        Exception? error = null;
        bool failed = false;
        int readsAtOnce = 0;
        try
        {
            while (true)
            {
                // No buffer is rented until the engine says there is data (what WaitForDataBeforeAllocatingBuffer asks).
                ValueTask waiting = readable.WaitAsync();
                bool atOnce = waiting.IsCompleted;
                await waiting.ConfigureAwait(false);
                if (IsClosed)
                {
                    // Abort woke us: nothing more is read.
                    break;
                }

                Memory<byte> buffer = input.GetMemory(minimumReceive);
                readable.Consume();
                int count = Receive(epoll.Descriptor, buffer.Span, out int errno);
                if (count < 0)
                {
                    if (errno == LinuxSockets.EAGAIN)
                    {
                        // The edge was for bytes an earlier read already took: wait for the next one.
                        continue;
                    }

                    if (errno == LinuxSockets.EINTR)
                    {
                        readable.SetReady();
                        continue;
                    }

                    error = IsClosed ? null : OnSocketError(LinuxSockets.ToSocketError(errno));
                    failed = true;
                    break;
                }

                if (count == 0)
                {
                    if (!IsClosed)
                    {
                        TransportLog.PeerClosed(_logger, RemoteEndPoint);
                    }

                    break;
                }

                if (count == buffer.Length)
                {
                    // A full buffer may have left more behind, and no new edge will say so.
                    readable.SetReady();
                }

                Interlocked.Add(ref _bytesReceived, count);
                _options.Counters.OnReceived(count);
                input.Advance(count);

                FlushResult flushed = await input.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }

                if (LeavesEventThread(atOnce, ref readsAtOnce))
                {
                    await Task.Yield(); // no context here: this queues the loop to the thread pool
                }
            }
        }
        catch (Exception ex)
        {
            TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
            error = ex;
            failed = true;
        }

        if (failed)
        {
            Shutdown(error);
        }

        await input.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
        ReleaseEpoll(epoll);
    }

    private async Task EpollSendLoopAsync(EpollSocket epoll)
    {
        PipeReader output = _output.Reader;
        EpollReadiness writable = epoll.Writable;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                if (!result.Buffer.IsEmpty && epoll.Loop.TryDefer(epoll))
                {
                    // Made on the event thread mid-batch: sent after the batch with whatever else this connection
                    // writes in it (EpollLoop). Nothing consumed or examined, so the next read returns it all at once.
                    output.AdvanceTo(result.Buffer.Start);
                    await epoll.BatchEnd.WaitAsync().ConfigureAwait(false);
                    continue;
                }

                ReadOnlySequence<byte> remaining = result.Buffer;
                int errno = 0;
                long sent = 0;
                while (!remaining.IsEmpty)
                {
                    // Consumed before the call: an EPOLLOUT edge after it (room made while we were here) is not lost.
                    writable.Consume();
                    int count = Send(epoll.Descriptor, remaining.First.Span, out errno);
                    if (count < 0)
                    {
                        if (errno == LinuxSockets.EINTR)
                        {
                            continue;
                        }

                        break;
                    }

                    remaining = remaining.Slice(count);
                    sent += count;
                }

                if (sent > 0)
                {
                    Interlocked.Increment(ref _sendCount);
                    Interlocked.Add(ref _bytesSent, sent);
                    _options.Counters.OnSent(sent);
                }

                // What was sent is released now, even when the rest waits for room: producers paused on the output
                // threshold resume as the peer reads.
                output.AdvanceTo(remaining.Start);
                if (!remaining.IsEmpty)
                {
                    if (errno != LinuxSockets.EAGAIN)
                    {
                        error = IsClosed ? null : OnSocketError(LinuxSockets.ToSocketError(errno));
                        break;
                    }

                    // A slow reader: wait for the kernel to say there is room (EPOLLOUT), then send the rest.
                    await writable.WaitAsync().ConfigureAwait(false);
                    if (IsClosed)
                    {
                        break;
                    }

                    continue;
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
            error = ex;
        }

        Shutdown(error);
        await output.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
        ReleaseEpoll(epoll);
    }

    /// <summary>Shuts the socket down without closing it and wakes both loops; the last loop to end closes it.</summary>
    private void ShutdownEpoll(EpollSocket epoll)
    {
        try
        {
            epoll.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: nothing to tell it.
        }
        catch (ObjectDisposedException)
        {
            // Both loops had ended and closed it.
        }

        // On the thread pool, not inline: the woken loops must not run on inside the caller of Abort.
        ThreadPool.UnsafeQueueUserWorkItem(
            static e =>
            {
                e.Readable.Signal();
                e.Writable.Signal();
            },
            epoll,
            preferLocal: false);
    }

    /// <summary>Called by each loop as it ends: the second removes the descriptor from epoll, then closes it.</summary>
    private void ReleaseEpoll(EpollSocket epoll)
    {
        if (Interlocked.Decrement(ref _epollLoops) != 0)
        {
            return;
        }

        epoll.Loop.Unregister(epoll);
        epoll.Socket.Dispose();
    }

    private static unsafe int Receive(int fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint n = LinuxSockets.Recv(fd, p, buffer.Length, LinuxSockets.MSG_DONTWAIT);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }

    private static unsafe int Send(int fd, ReadOnlySpan<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint n = LinuxSockets.Send(fd, p, buffer.Length, LinuxSockets.MSG_DONTWAIT | LinuxSockets.MSG_NOSIGNAL);
            errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)n;
        }
    }
}
