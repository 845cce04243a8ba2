using System.Net;
using System.Net.Sockets;

namespace FastDht.Engine.Transport;

/// <summary>Opens outgoing connections with a timeout, failing with an error that names the endpoint.</summary>
public static class SocketConnector
{
    /// <summary>Connects to <paramref name="endPoint"/> and returns the started connection; the caller owns it.</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="timeout">How long the connect may take before it is abandoned.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <param name="options">Settings for the connection; null means <see cref="ConnectionOptions.Default"/>.</param>
    /// <exception cref="IOException">The connect failed (refused, unreachable); the message names the endpoint, and the inner <see cref="SocketException"/> has the code.</exception>
    /// <exception cref="TimeoutException">The connect took longer than <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public static async ValueTask<SocketConnection> ConnectAsync(
        EndPoint endPoint,
        TimeSpan timeout,
        CancellationToken cancellationToken = default,
        ConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= ConnectionOptions.Default;
        options.Validate();

        // A DnsEndPoint may resolve to either family: a dual-mode IPv6 socket takes both.
        Socket socket = endPoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(endPoint, timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connecting to {endPoint} timed out after {timeout.TotalMilliseconds:0} ms.");
            }
            catch (SocketException ex)
            {
                throw new IOException($"Connecting to {endPoint} failed: {ex.SocketErrorCode} ({ex.Message}).", ex);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        if (options.TlsClient is not null)
        {
            var host = endPoint switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint ip => ip.Address.ToString(),
                _ => endPoint.ToString() ?? "",
            };
            try
            {
                return await SocketConnection.ConnectTlsAsync(socket, host, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"TLS with {endPoint} failed: {ex.Message}", ex);
            }
        }

        var connection = new SocketConnection(socket, options);
        connection.Start();
        return connection;
    }
}
