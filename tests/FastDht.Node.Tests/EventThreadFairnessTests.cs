using System.Net.Sockets;
using System.Text;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests;

/// <summary>With the runtime's inline socket completions (the node's default) one flooding client cannot keep a socket event thread from its other sockets.</summary>
public sealed class EventThreadFairnessTests
{
    [Fact]
    public async Task Another_connection_is_served_while_a_client_keeps_its_socket_full()
    {
        // One socket event thread, so the flood and the probe share it. A connection whose socket is never empty never
        // makes a receive wait; without a budget its loop kept the event thread as long as the flood lasted, and every
        // other socket of that thread went unread (PINGs waited seconds during a redis-cli --pipe). Here the flood lasts
        // until the probe is answered, so without the budget the probe waits for ever.
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
            ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1",
        };
        await using var cluster = await ProcessCluster.StartWithEnvironmentAsync(1, environment, "--resp", "127.0.0.1:{resp}");
        using var probe = await ConnectAsync(cluster);
        await PingAsync(probe).WithinAsync("the first PING");

        using var flooder = await ConnectAsync(cluster);
        using var stop = new CancellationTokenSource();
        var flooding = FloodAsync(flooder, stop.Token);
        var draining = DrainAsync(flooder, stop.Token);
        try
        {
            // The flood is under way once its replies come back.
            await Bounded.UntilAsync(() => Volatile.Read(ref _repliesRead) > 100_000, "the flood's replies");
            // Twenty round trips on the probe while the flood goes on (without the budget they took 54 s at load 50, the
            // probe's socket read only when the flood's happened to run dry; with it 3 s).
            await PingManyAsync(probe, 20).WithinAsync("20 PINGs on another connection during the flood");
            Assert.False(flooding.IsCompleted, "the flood ended before the probe was answered");
        }
        finally
        {
            await stop.CancelAsync();
            flooder.Dispose();
            await Task.WhenAll(Swallow(flooding), Swallow(draining));
        }
    }

    private long _repliesRead;

    private static async Task<Socket> ConnectAsync(ProcessCluster cluster)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                await socket.ConnectAsync(cluster.RespEndPointOf(0));
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, "the RESP listener accepts");
        return socket;
    }

    private static async Task PingManyAsync(Socket socket, int count)
    {
        for (var i = 0; i < count; i++)
            await PingAsync(socket);
    }

    private static async Task PingAsync(Socket socket)
    {
        await socket.SendAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray());
        var reply = new byte[7];
        var read = 0;
        while (read < reply.Length)
        {
            var n = await socket.ReceiveAsync(reply.AsMemory(read));
            if (n == 0)
                throw new EndOfStreamException("the node closed the probe connection");
            read += n;
        }
        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(reply));
    }

    /// <summary>Writes SETs of one local key as fast as the socket takes them, until stopped.</summary>
    private static async Task FloodAsync(Socket socket, CancellationToken stop)
    {
        var one = "*3\r\n$3\r\nSET\r\n$5\r\nflood\r\n$5\r\nvalue\r\n"u8.ToArray();
        var chunk = new byte[one.Length * 2000];
        for (var i = 0; i < 2000; i++)
            one.CopyTo(chunk, i * one.Length);
        while (!stop.IsCancellationRequested)
            await socket.SendAsync(chunk, SocketFlags.None, stop);
    }

    /// <summary>Reads and counts the flood's replies ("+OK\r\n" each), so the node's output never pushes back.</summary>
    private async Task DrainAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        while (!stop.IsCancellationRequested)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            if (n == 0)
                return;
            Interlocked.Add(ref _repliesRead, n / 5);
        }
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The flood was stopped by closing its socket.
        }
    }
}
