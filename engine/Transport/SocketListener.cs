using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Transport.Internal;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Transport;

/// <summary>Accepts TCP connections on one endpoint and hands each to a handler that then owns it.</summary>
/// <remarks>
/// The accept loop reuses one awaitable accept operation. Each accepted connection has NoDelay set (the send loop
/// already batches; Nagle would only add latency), its loops started, and is passed to the handler on the thread
/// pool, so a slow handler never delays the next accept. The handler owns the connection and must dispose it; if
/// the handler throws, the listener logs, aborts and disposes the connection. Stopping stops accepting only:
/// connections already handed out stay open until their owners close them.
/// </remarks>
public sealed class SocketListener : IAsyncDisposable
{
    // 512: the usual kernel cap (somaxconn), enough for a burst of a whole cluster reconnecting at once.
    private const int Backlog = 512;

    // 10 ms: long enough that a persistent accept failure (out of file descriptors) does not spin a core, short
    // enough that accepting resumes promptly once it clears.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(10);

    private readonly Socket _listenSocket;
    private readonly Func<SocketConnection, ValueTask> _handler;
    private readonly ConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly SocketAcceptor _acceptor;
    private Task _acceptTask = Task.CompletedTask;
    private int _stopped;

    private SocketListener(Socket listenSocket, Func<SocketConnection, ValueTask> handler, ConnectionOptions options)
    {
        _listenSocket = listenSocket;
        _handler = handler;
        _options = options;
        _logger = options.Logger;
        _acceptor = new SocketAcceptor(TransportSchedulers.SocketCompletions);
        LocalEndPoint = (IPEndPoint)listenSocket.LocalEndPoint!;
    }

    /// <summary>The bound endpoint, with the real port when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds <paramref name="endPoint"/> (port 0 picks a free port) and starts accepting.</summary>
    /// <param name="endPoint">Where to listen.</param>
    /// <param name="handler">Receives each accepted, started connection and owns it from then on.</param>
    /// <param name="options">Settings for every accepted connection; null means <see cref="ConnectionOptions.Default"/>.</param>
    /// <exception cref="SocketException">The endpoint could not be bound (for example, the port is in use).</exception>
    public static SocketListener Start(IPEndPoint endPoint, Func<SocketConnection, ValueTask> handler, ConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= ConnectionOptions.Default;
        options.Validate();
        return Start(Bind(endPoint), handler, options);
    }

    /// <summary>
    /// Binds a TCP socket to <paramref name="endPoint"/> without listening or logging: a node binds every address it
    /// will serve before it starts any, so one that is taken stops it with nothing started.
    /// </summary>
    /// <exception cref="SocketException">The endpoint could not be bound (for example, the port is in use).</exception>
    public static Socket Bind(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    /// <summary>Starts accepting on a socket the caller already bound (tests reserve ports this way, race-free); the listener owns it from then on.</summary>
    /// <param name="boundSocket">A bound, not yet listening, TCP socket.</param>
    /// <param name="handler">Receives each accepted, started connection and owns it from then on.</param>
    /// <param name="options">Settings for every accepted connection; null means <see cref="ConnectionOptions.Default"/>.</param>
    public static SocketListener Start(Socket boundSocket, Func<SocketConnection, ValueTask> handler, ConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(boundSocket);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= ConnectionOptions.Default;
        options.Validate();
        var socket = boundSocket;
        try
        {
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var listener = new SocketListener(socket, handler, options);
        TransportLog.Listening(listener._logger, listener.LocalEndPoint);
        // The accept loop outlives the caller: it must not carry the caller's AsyncLocal state into every connection.
        AsyncFlowControl? suppressed = ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();
        try
        {
            listener._acceptTask = listener.AcceptLoopAsync();
        }
        finally
        {
            suppressed?.Undo();
        }

        return listener;
    }

    /// <summary>Stops accepting and waits for the accept loop to end. Open connections are left to their owners.</summary>
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            // Closing the listening socket completes the pending accept with OperationAborted.
            _listenSocket.Dispose();
        }

        await _acceptTask.ConfigureAwait(false);
    }

    /// <inheritdoc cref="StopAsync"/>
    public ValueTask DisposeAsync() => StopAsync();

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (Volatile.Read(ref _stopped) == 0)
            {
                SocketOperationResult accepted = await _acceptor.AcceptAsync(_listenSocket).ConfigureAwait(false);
                if (!accepted.IsSuccess)
                {
                    if (Volatile.Read(ref _stopped) != 0 || SocketErrors.IsLocalAbort(accepted.Error))
                    {
                        break;
                    }

                    if (!SocketErrors.IsReset(accepted.Error))
                    {
                        // A client that reset before we accepted is routine; anything else is worth a line.
                        TransportLog.AcceptFailed(_logger, LocalEndPoint, accepted.Error);
                        await Task.Delay(AcceptRetryDelay).ConfigureAwait(false);
                    }

                    continue;
                }

                Socket socket = _acceptor.TakeAcceptedSocket();
                if (_options.AcceptLimit is { } limit && !limit.TryEnter())
                {
                    Refuse(socket, limit);
                    continue;
                }

                socket.NoDelay = true;
                if (_options.TlsServer is not null)
                {
                    // The TLS handshake takes round trips: off the accept loop, like the handler.
                    ThreadPool.UnsafeQueueUserWorkItem(
                        static state => _ = state.Listener.RunTlsHandlerAsync(state.Socket),
                        (Listener: this, Socket: socket),
                        preferLocal: false);
                    continue;
                }

                var connection = new SocketConnection(socket, _options, accepted: true);
                connection.Start();
                ThreadPool.UnsafeQueueUserWorkItem(
                    static state => _ = state.Listener.RunHandlerAsync(state.Connection),
                    (Listener: this, Connection: connection),
                    preferLocal: false);
            }
        }
        catch (ObjectDisposedException)
        {
            // The listening socket was closed between the stop check and the accept call.
        }
        finally
        {
            _acceptor.Dispose();
            TransportLog.StoppedListening(_logger, LocalEndPoint);
        }
    }

    /// <summary>Closes a connection accepted past the limit: the client sees its connection closed, nothing else.</summary>
    private void Refuse(Socket socket, ConnectionLimit limit)
    {
        if (limit.ShouldLogRefusal())
        {
            EndPoint? remote = null;
            try
            {
                remote = socket.RemoteEndPoint;
            }
            catch (SocketException)
            {
                // Already reset by the client: logged without its address.
            }

            TransportLog.ConnectionRefusedAtLimit(_logger, remote, LocalEndPoint, limit.Count, limit.Refused);
        }

        socket.Dispose();
    }

    private async Task RunTlsHandlerAsync(Socket socket)
    {
        SocketConnection connection;
        var remote = socket.RemoteEndPoint;
        try
        {
            connection = await SocketConnection.AcceptTlsAsync(socket, _options, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or SocketException or ObjectDisposedException)
        {
            // A client that speaks no TLS, or the wrong certificates: its socket is closed, nobody else is affected.
            TransportLog.TlsHandshakeFailed(_logger, remote, ex.Message);
            _options.AcceptLimit?.Exit();
            return;
        }

        await RunHandlerAsync(connection).ConfigureAwait(false);
    }

    private async Task RunHandlerAsync(SocketConnection connection)
    {
        try
        {
            await _handler(connection).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A handler bug closes its own connection, never the listener or the process.
            TransportLog.HandlerFailed(_logger, connection.RemoteEndPoint, ex);
            connection.Abort(ex);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            // The handler owns the connection until it returns: then its descriptor is given back.
            _options.AcceptLimit?.Exit();
        }
    }
}
