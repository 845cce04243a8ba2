using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Transport.Internal;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Transport;

/// <summary>A connected socket moved through two pipes: read <see cref="Input"/>, write under the writer lock.</summary>
/// <remarks>
/// Design (after Kestrel's SocketConnection):
/// - A receive loop fills the input pipe; the owner's parse loop reads <see cref="Input"/>.
/// - Producers write whole frames into the output pipe under the one writer lock
///   (<see cref="TryEnterWrite"/> / <see cref="EnterWriteAsync"/> then <see cref="ExitWriteAsync"/>); a send loop
///   sends everything buffered in one socket send, which is what batches many small frames.
/// - Both pipes pause their writer at a threshold (<see cref="ConnectionOptions"/>), so memory stays bounded when
///   either side is slower than the other.
/// - <see cref="Abort"/> shuts the connection down exactly once and keeps the first reason;
///   <see cref="DisposeAsync"/> also waits for both loops and returns every pooled buffer and operation.
/// The type is split by concern: Receive, Send, Write (the writer lock) and Shutdown.
/// </remarks>
public sealed partial class SocketConnection : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly ConnectionOptions _options;
    private readonly ILogger _logger;
    private Task _receiveTask = Task.CompletedTask;
    private Task _sendTask = Task.CompletedTask;

    /// <param name="socket">The connected socket; the connection owns it from now on.</param>
    /// <param name="options">The connection settings.</param>
    /// <param name="accepted">True for a connection a listener accepted: only those may be served by the epoll engine (<see cref="ConnectionOptions.SocketEngine"/>).</param>
    /// <param name="servedByEpoll">True for a socket dialed for the epoll engine (<see cref="ConnectionOptions.DialsOnEpoll"/>): no asynchronous operation of the runtime ever ran on it.</param>
    internal SocketConnection(Socket socket, ConnectionOptions options, bool accepted = false, bool servedByEpoll = false)
    {
        _socket = socket;
        _options = options;
        _logger = options.Logger;
        _input = new Pipe(options.InputPipeOptions);
        _output = new Pipe(options.OutputPipeOptions);
        _receiver = new SocketReceiver(TransportSchedulers.SocketCompletions);
        _senderPool = options.SenderPool;

        // Read once: after the socket is disposed these properties throw.
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ChooseEngine(socket, accepted, servedByEpoll);
    }

    /// <summary>The received bytes. Only the owner's single parse loop reads it; it completes when the peer closes or the connection is aborted.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>The local address of the socket.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The socket, for tests that tune its kernel buffers.</summary>
    internal Socket Socket => _socket ?? throw new InvalidOperationException("an in-memory connection has no socket");

    /// <summary>Starts both loops. Called once by the listener or connector that made the connection.</summary>
    internal void Start()
    {
        _options.Counters.OnOpened();

        // The loops live as long as the connection; they must not keep whatever AsyncLocal state the accepting or
        // connecting caller happened to carry.
        AsyncFlowControl? suppressed = ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();
        try
        {
            if (_tls is not null)
            {
                _receiveTask = TlsReceiveLoopAsync(_tls);
                _sendTask = TlsSendLoopAsync(_tls);
            }
            else if (_epoll is { } epoll && TryStartEpoll(epoll))
            {
                // FastDht's own event thread moves this connection's bytes (SocketConnection.Epoll.cs).
            }
            else if (_transport is null)
            {
                _receiveTask = ReceiveLoopAsync();
                _sendTask = SendLoopAsync();
            }
            else
            {
                _receiveTask = PipeReceiveLoopAsync(_transport.Input);
                _sendTask = PipeSendLoopAsync(_transport.Output);
            }
        }
        finally
        {
            suppressed?.Undo();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{LocalEndPoint} <-> {RemoteEndPoint}";
}
