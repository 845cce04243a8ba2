using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>
/// The connection over an in-memory duplex pipe instead of a socket: the same pipes, writer lock, back-pressure and
/// shutdown, so sessions and protocols can be run and tested without the network.
/// </summary>
/// <remarks>
/// Only the two loops differ. The receive loop copies from the transport's reader into the input pipe (as the socket
/// loop copies from the kernel), and the send loop copies the output pipe into the transport's writer, one flush per
/// batch (as one socket send per batch). Each loop owns its end of the transport and completes it when it ends:
/// completing the transport's writer is this side's FIN, and the other side completing its writer is ours to see as
/// the end of input, while our output stays open (a half-close, as with a socket). A shutdown wakes both loops with
/// the pipes' thread-safe cancellation instead of closing a socket.
/// </remarks>
public sealed partial class SocketConnection
{
    private readonly IDuplexPipe? _transport;


    private SocketConnection(IDuplexPipe transport, ConnectionOptions options)
    {
        _transport = transport;
        _options = options;
        _logger = options.Logger;
        _input = new Pipe(options.InputPipeOptions);
        _output = new Pipe(options.OutputPipeOptions);
        _receiver = new SocketReceiver(TransportSchedulers.SocketCompletions);
        _senderPool = options.SenderPool;
    }

    /// <summary>A started connection over <paramref name="transport"/> (one end of an in-memory pipe pair), owning it from now on.</summary>
    /// <param name="transport">The bytes from and to the other side; this connection completes both of its ends.</param>
    /// <param name="options">Buffering settings; null means <see cref="ConnectionOptions.Default"/>.</param>
    internal static SocketConnection CreateInMemory(IDuplexPipe transport, ConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= ConnectionOptions.Default;
        options.Validate();
        var connection = new SocketConnection(transport, options);
        connection.Start();
        return connection;
    }

    private async Task PipeReceiveLoopAsync(PipeReader transport)
    {
        PipeWriter input = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await transport.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    // Shutdown woke us.
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    input.Write(segment.Span);
                }

                Interlocked.Add(ref _bytesReceived, buffer.Length);
                _options.Counters.OnReceived(buffer.Length);
                transport.AdvanceTo(buffer.End);
                if (!buffer.IsEmpty)
                {
                    FlushResult flushed = await input.FlushAsync().ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }
                }

                if (result.IsCompleted)
                {
                    // The other side completed its writer: its FIN.
                    TransportLog.PeerClosed(_logger, RemoteEndPoint);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // The other side completed with an error (its reset), or a copy failed: either ends this connection.
            TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
            error = ex;
            Shutdown(error);
        }

        await transport.CompleteAsync().ConfigureAwait(false);
        await input.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
    }

    private async Task PipeSendLoopAsync(PipeWriter transport)
    {
        PipeReader output = _output.Reader;
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

                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    // Everything flushed since the last copy goes out in one flush: the batching, as one socket send.
                    foreach (ReadOnlyMemory<byte> segment in buffer)
                    {
                        transport.Write(segment.Span);
                    }

                    FlushResult flushed = await transport.FlushAsync().ConfigureAwait(false);
                    Interlocked.Increment(ref _sendCount);
                    Interlocked.Add(ref _bytesSent, buffer.Length);
                    _options.Counters.OnSent(buffer.Length);
                    output.AdvanceTo(buffer.End);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        // The other side stopped reading for good, or Shutdown woke a flush waiting on its back-pressure.
                        break;
                    }
                }
                else
                {
                    output.AdvanceTo(buffer.End);
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
        // The other side sees the end of its input: cleanly, or with the reason an abort gave (its "reset").
        await transport.CompleteAsync(CloseReason).ConfigureAwait(false);
        await output.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
    }

    /// <summary>Wakes both loops where they may wait on the transport; each then completes its own end.</summary>
    private void ShutdownTransport()
    {
        _transport!.Input.CancelPendingRead();
        _transport.Output.CancelPendingFlush();
    }
}
