using System.Net;
using System.Net.Sockets;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Proxy;

/// <summary>A tiny echo server on plain sockets: the target the proxy tests relay to.</summary>
/// <remarks>Echoes every byte back; on the client's end of stream it half-closes in turn, then closes.</remarks>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly HashSet<Socket> _open = [];
    private readonly Task _acceptLoop;
    private int _handlers;
    private int _accepted;
    private int _errors;
    private long _received;

    public EchoServer()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted since start.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections still being served.</summary>
    public int LiveConnections => Volatile.Read(ref _handlers);

    /// <summary>Connections that ended with a socket error (a reset) rather than an end of stream.</summary>
    public int Errors => Volatile.Read(ref _errors);

    /// <summary>Bytes received over all connections.</summary>
    public long BytesReceived => Interlocked.Read(ref _received);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop.WithinAsync("the echo server's accept loop");
        lock (_gate)
        {
            foreach (Socket socket in _open)
            {
                socket.Dispose();
            }
        }

        await Bounded.UntilAsync(() => LiveConnections == 0, "the echo connections to end");
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            Interlocked.Increment(ref _handlers);
            lock (_gate)
            {
                _open.Add(socket);
            }

            _ = EchoAsync(socket);
        }
    }

    private async Task EchoAsync(Socket socket)
    {
        byte[] buffer = new byte[8192];
        try
        {
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                Interlocked.Add(ref _received, read);
                int sent = 0;
                while (sent < read)
                {
                    sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _errors);
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(socket);
            }

            socket.Dispose();
            Interlocked.Decrement(ref _handlers);
        }
    }
}
