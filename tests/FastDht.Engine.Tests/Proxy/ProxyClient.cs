using System.Net;
using System.Net.Sockets;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Proxy;

/// <summary>Plain-socket client helpers for the proxy tests; every call is bounded by <see cref="Bounded.Timeout"/>.</summary>
internal static class ProxyClient
{
    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        await socket.ConnectAsync(endPoint, timeout.Token);
        return socket;
    }

    public static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, timeout.Token);
            data = data[sent..];
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes, failing on an early end of stream.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int read = await socket.ReceiveAsync(result.AsMemory(filled), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"The stream ended after {filled} of {count} bytes.");
            }

            filled += read;
        }

        return result;
    }

    /// <summary>Reads until the peer closes: the bytes read, and whether it ended with a reset rather than a FIN.</summary>
    public static async Task<(byte[] Bytes, bool Reset)> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        using var collected = new MemoryStream();
        byte[] buffer = new byte[8192];
        try
        {
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    return (collected.ToArray(), false);
                }

                collected.Write(buffer, 0, read);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (collected.ToArray(), true);
        }
    }

    /// <summary>Connects and reads until the peer closes. A reset that races the connect's completion (the proxy
    /// resets a refused connection as soon as it accepts it) counts as an empty, reset stream.</summary>
    public static async Task<(byte[] Bytes, bool Reset)> ConnectAndReadToEndAsync(IPEndPoint endPoint)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(endPoint);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return ([], true);
        }

        using (socket)
        {
            return await ReadToEndAsync(socket);
        }
    }

    /// <summary>Bytes 0, 1, 2, ... 255, 0, ...: a payload whose corruption or truncation is easy to see.</summary>
    public static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)i;
        }

        return data;
    }
}
