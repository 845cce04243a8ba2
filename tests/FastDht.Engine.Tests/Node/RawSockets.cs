using System.Net;
using System.Net.Sockets;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>Plain sockets for hostile-client tests: a client that does not read, sends all at once, or reads until the node hangs up.</summary>
internal static class RawSockets
{
    /// <summary>Connects with a 4 KiB receive buffer: a client that reads nothing then leaves the node its replies, not the kernel.</summary>
    public static async Task<Socket> ConnectNotReadingAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(endPoint).WaitAsync(Bounded.Timeout);
        return socket;
    }

    public static async Task SendAllAsync(Socket socket, byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
            sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None).AsTask().WithinAsync("a send");
    }

    /// <summary>Reads until the node closes the connection; the bytes read. Times out (fails) if the node never closes it.</summary>
    public static async Task<long> ReadUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WithinAsync("the node closes the connection");
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                return total;
            }
            if (read == 0)
                return total;
            total += read;
        }
    }
}
