using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>
/// The connection over TLS: an <see cref="SslStream"/> on the socket, carried by loops of its own between the stream
/// and the connection's input and output pipes, so sessions see the same pipes, writer lock and back-pressure whether
/// the bytes are encrypted or not.
/// </summary>
/// <remarks>
/// <para>
/// The receive loop decrypts straight into the input pipe's memory (<c>SslStream.ReadAsync(input.GetMemory())</c>) and
/// the send loop encrypts straight from the output pipe's memory: one <c>SslStream</c> write (one TLS record, one socket
/// send) per batch of replies, as one socket send per batch without TLS. An earlier version put the stream behind
/// <see cref="PipeReader.Create(Stream, StreamPipeReaderOptions)"/> / <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions)"/>
/// and copied between those pipes and the connection's: a copy, a pipe and its scheduling more per direction on every
/// request (docs/benchmarks.md, "TLS").
/// </para>
/// <para>
/// The socket stays the connection's: a shutdown closes it (ending whatever the stream is waiting for), and its
/// endpoints name the connection. The stream is disposed with the connection.
/// </para>
/// </remarks>
public sealed partial class SocketConnection
{
    // 16 KiB: TLS's largest record; a batch of replies spread over several pipe segments is gathered into records this big.
    private const int TlsRecordSize = 16 * 1024;

    private readonly SslStream? _tls;

    private SocketConnection(Socket socket, SslStream tls, ConnectionOptions options)
        : this(socket, options)
    {
        _tls = tls;
    }

    /// <summary>The certificate the other side presented in the TLS handshake; null without TLS or when it sent none.</summary>
    public X509Certificate2? RemoteCertificate => _tls?.RemoteCertificate as X509Certificate2;

    /// <summary>Whether the bytes of this connection are encrypted.</summary>
    public bool IsTls => _tls is not null;

    /// <summary>Runs the server side of a TLS handshake on an accepted socket and returns the started connection; the socket is closed on failure.</summary>
    internal static async ValueTask<SocketConnection> AcceptTlsAsync(Socket socket, ConnectionOptions options, CancellationToken cancellationToken)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.TlsHandshakeTimeout);
            await tls.AuthenticateAsServerAsync(options.TlsServer!, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
        var connection = new SocketConnection(socket, tls, options);
        connection.Start();
        return connection;
    }

    /// <summary>Runs the client side of a TLS handshake on a connected socket and returns the started connection; the socket is closed on failure.</summary>
    internal static async ValueTask<SocketConnection> ConnectTlsAsync(Socket socket, string targetHost, ConnectionOptions options, CancellationToken cancellationToken)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var client = options.TlsClient!;
        if (string.IsNullOrEmpty(client.TargetHost))
        {
            client = new SslClientAuthenticationOptions
            {
                TargetHost = targetHost,
                ClientCertificates = client.ClientCertificates,
                ClientCertificateContext = client.ClientCertificateContext,
                RemoteCertificateValidationCallback = client.RemoteCertificateValidationCallback,
                EnabledSslProtocols = client.EnabledSslProtocols,
                CertificateRevocationCheckMode = client.CertificateRevocationCheckMode,
                CertificateChainPolicy = client.CertificateChainPolicy,
            };
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.TlsHandshakeTimeout);
            await tls.AuthenticateAsClientAsync(client, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
        var connection = new SocketConnection(socket, tls, options);
        connection.Start();
        return connection;
    }

    private async Task TlsReceiveLoopAsync(SslStream tls)
    {
        PipeWriter input = _input.Writer;
        int minimumReceive = Math.Max(1, _options.MinimumSegmentSize / 2);
        Exception? error = null;
        int readsAtOnce = 0;
        try
        {
            while (true)
            {
                Memory<byte> buffer = input.GetMemory(minimumReceive);
                ValueTask<int> reading = tls.ReadAsync(buffer);
                bool atOnce = reading.IsCompleted;
                int count = await reading.ConfigureAwait(false);
                if (count == 0)
                {
                    // The peer's close_notify or FIN: everything it will send was received.
                    TransportLog.PeerClosed(_logger, RemoteEndPoint);
                    break;
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
                    await Task.Yield(); // as the plain loop: a flooding client must not keep a socket event thread
                }
            }
        }
        catch (Exception ex)
        {
            // A local shutdown closes the socket under the stream's read: that is the close, not a failure.
            if (!Volatile.Read(ref _shutdown))
            {
                TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
                error = ex;
            }
            Shutdown(error);
        }

        await input.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
    }

    private async Task TlsSendLoopAsync(SslStream tls)
    {
        PipeReader output = _output.Reader;
        Exception? error = null;
        byte[]? gather = null;
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
                    // Everything flushed since the last write goes out together: the batching, as one socket send.
                    if (buffer.IsSingleSegment)
                    {
                        await tls.WriteAsync(buffer.First).ConfigureAwait(false);
                    }
                    else
                    {
                        gather ??= ArrayPool<byte>.Shared.Rent(TlsRecordSize);
                        await WriteGatheredAsync(tls, buffer, gather).ConfigureAwait(false);
                    }

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
        catch (Exception ex)
        {
            if (!Volatile.Read(ref _shutdown))
            {
                TransportLog.LoopFailed(_logger, RemoteEndPoint, ex);
                error = ex;
            }
        }

        if (gather is not null)
        {
            ArrayPool<byte>.Shared.Return(gather);
        }

        Shutdown(error);
        await output.CompleteAsync().ConfigureAwait(false);
        SignalClosed();
    }

    /// <summary>Writes a batch spread over several pipe segments in records of up to <see cref="TlsRecordSize"/> bytes each.</summary>
    private static async ValueTask WriteGatheredAsync(SslStream tls, ReadOnlySequence<byte> buffer, byte[] gather)
    {
        while (!buffer.IsEmpty)
        {
            int length = (int)Math.Min(buffer.Length, gather.Length);
            ReadOnlySequence<byte> chunk = buffer.Slice(0, length);
            chunk.CopyTo(gather);
            await tls.WriteAsync(gather.AsMemory(0, length)).ConfigureAwait(false);
            buffer = buffer.Slice(chunk.End);
        }
    }
}
