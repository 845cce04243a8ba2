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
        if (options.DialsOnEpoll && options.TlsClient is null && endPoint is IPEndPoint address && EpollSocketEngine.IsSupported)
        {
            return await ConnectForEpollAsync(address, timeout, cancellationToken, options).ConfigureAwait(false);
        }

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

    /// <summary>Step between two looks at a connect in progress: a loopback connect is done at the first look.</summary>
    private static readonly TimeSpan ConnectPollStep = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Dials without any asynchronous operation of the runtime on the socket, so the runtime never registers it in its own
    /// epoll and FastDht's event thread alone serves it (<see cref="ConnectionOptions.DialsOnEpoll"/>): a non-blocking
    /// connect, then a zero-timeout poll for writability every millisecond until it completes, fails, or the timeout or
    /// <paramref name="cancellationToken"/> ends it. Failures read as <see cref="ConnectAsync"/>'s.
    /// </summary>
    private static async ValueTask<SocketConnection> ConnectForEpollAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken, ConnectionOptions options)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            socket.Blocking = false;
            try
            {
                socket.Connect(endPoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                // In progress: look until the socket is writable (connected, or failed with its error set).
                long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
                while (!socket.Poll(0, SelectMode.SelectWrite) && !socket.Poll(0, SelectMode.SelectError))
                {
                    if (Environment.TickCount64 >= deadline)
                    {
                        throw new TimeoutException($"Connecting to {endPoint} timed out after {timeout.TotalMilliseconds:0} ms.");
                    }

                    await Task.Delay(ConnectPollStep, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (SocketException ex)
            {
                throw new IOException($"Connecting to {endPoint} failed: {ex.SocketErrorCode} ({ex.Message}).", ex);
            }

            var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (error != SocketError.Success)
            {
                var failure = new SocketException((int)error);
                throw new IOException($"Connecting to {endPoint} failed: {failure.SocketErrorCode} ({failure.Message}).", failure);
            }

            if (!socket.Connected)
            {
                throw new IOException($"Connecting to {endPoint} failed: the socket did not connect.");
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new SocketConnection(socket, options, servedByEpoll: true);
        connection.Start();
        return connection;
    }
}
