using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace FastDht.Engine.Transport;

/// <summary>
/// The connection over TLS: an <see cref="SslStream"/> on the socket, adapted to pipes, carried by the same loops as
/// the in-memory transport (<see cref="CreateInMemory"/>), so sessions see the same input and output pipes, writer
/// lock and back-pressure whether the bytes are encrypted or not.
/// </summary>
/// <remarks>
/// The socket stays the connection's: a shutdown closes it (ending whatever the stream is waiting for), and its
/// endpoints name the connection. The stream's pipe adapters leave the stream open, so completing them is not a close.
/// </remarks>
public sealed partial class SocketConnection
{
    private readonly SslStream? _tls;

    private SocketConnection(Socket socket, SslStream tls, ConnectionOptions options)
        : this(new DuplexPipe(
            PipeReader.Create(tls, new StreamPipeReaderOptions(pool: options.MemoryPool, bufferSize: options.MinimumSegmentSize, leaveOpen: true)),
            PipeWriter.Create(tls, new StreamPipeWriterOptions(pool: options.MemoryPool, minimumBufferSize: options.MinimumSegmentSize, leaveOpen: true))), options)
    {
        _socket = socket;
        _tls = tls;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
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

    /// <summary>A reader and a writer as one transport.</summary>
    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
