using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

using static FastDht.Engine.Tests.Node.RawSockets;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// The client memory budget (maxMemoryClients): once all clients' buffers together pass it, the clients holding the
/// most are closed, biggest first, and only as many as needed (peer links never count: ClientOutputLimitTests). And the unfinished-command
/// timeout (clientQueryTimeout): a slow-loris that trickles bytes into a command it never finishes is closed.
/// </summary>
public sealed class ClientMemoryBudgetTests
{
    private const int ValueSize = 1 << 20;

    [Fact]
    public async Task The_client_holding_the_most_is_evicted_once_all_clients_buffers_pass_the_budget_and_the_others_stay()
    {
        // Frames of 2 MiB: a client's output pauses at about 4 MiB, above the 3 MiB budget; the per-client output limits
        // are off, so only the budget can close the client that reads nothing.
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 2 << 20 };
            o.ClientHardOutputLimit = 0;
            o.ClientSoftOutputLimit = 0;
            o.MaxMemoryClients = 3 << 20;
        });
        var resp = RespCluster.RespOf(cluster, 0);
        await using var served = await RespTestClient.ConnectAsync(resp);
        Assert.Equal("+OK\r\n", await served.CallAsync("SET", "big", new string('x', ValueSize)));

        // A small holder: one reply it does not read yet (at most one value in the node's buffers).
        using var small = await ConnectNotReadingAsync(resp);
        await SendAllAsync(small, Encoding.ASCII.GetBytes(RespTestClient.Encode("GET", "big")));
        // The big holder: 200 GETs of the value, never read.
        using var hog = await ConnectNotReadingAsync(resp);
        await SendAllAsync(hog, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(RespTestClient.Encode("GET", "big"), 200))));

        var budget = cluster[0].Core.ConnectionOptions.ClientBudget!;
        await Bounded.UntilAsync(() => budget.EvictedClients >= 1, "the node evicts the client holding the most");

        Assert.True(await ReadUntilClosedAsync(hog) < 200L * ValueSize, "the evicted client got only part of its replies");
        // The small holder was not evicted: its whole reply is still there for it.
        var expected = $"${ValueSize}\r\n".Length + ValueSize + 2;
        Assert.Equal(expected, await ReadExactlyAsync(small, expected));
        Assert.Equal(1, budget.EvictedClients);
        Assert.Equal("+PONG\r\n", await served.CallAsync("PING"));
        var stats = await served.CallAsync("INFO", "stats");
        Assert.Contains("evicted_clients:1\r\n", stats, StringComparison.Ordinal);
        Assert.Contains($"maxmemory_clients:{3 << 20}\r\n", await served.CallAsync("INFO", "memory"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_trickles_bytes_into_a_command_it_never_finishes_is_closed_and_an_idle_one_is_not()
    {
        await using var cluster = await RespCluster.StartAsync(1, o => o.ClientQueryTimeout = TimeSpan.FromSeconds(2));
        var resp = RespCluster.RespOf(cluster, 0);
        await using var idle = await RespTestClient.ConnectAsync(resp);
        Assert.Equal("+PONG\r\n", await idle.CallAsync("PING"));

        // A SET of a 1 MiB value: the header and 100 KB of the value, then one byte every 200 ms, never the rest.
        using var loris = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await loris.ConnectAsync(resp).WaitAsync(Bounded.Timeout);
        await SendAllAsync(loris, Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n$5\r\nloris\r\n${ValueSize}\r\n" + new string('x', 100_000)));
        var budget = cluster[0].Core.ConnectionOptions.ClientBudget!;
        using var stop = new CancellationTokenSource();
        var trickle = TrickleAsync(loris, stop.Token);

        await Bounded.UntilAsync(() => budget.UnfinishedCommandClosures == 1, "the node closes the client that never finishes its command");
        await stop.CancelAsync();
        await trickle;
        Assert.Equal(0, await ReadUntilClosedAsync(loris));

        // The idle client held no unfinished command: it is served, though it sent nothing for longer than the timeout.
        Assert.Equal("+PONG\r\n", await idle.CallAsync("PING"));
        Assert.Equal(":0\r\n", await idle.CallAsync("EXISTS", "loris"));
        Assert.Contains("fastdht_unfinished_command_disconnections:1\r\n", await idle.CallAsync("INFO", "stats"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_native_client_that_never_finishes_a_frame_is_closed()
    {
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.ClientQueryTimeout = TimeSpan.FromSeconds(2);
            // The idle timeout would close it too, later: only the unfinished frame may close it here.
            o.ClientIdleTimeout = TimeSpan.Zero;
        });
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        // A Put frame's first half: its header declares a body that never comes whole.
        var frame = new System.Buffers.ArrayBufferWriter<byte>();
        FrameWriter.WritePut(frame, client.NextId(), "k"u8, new byte[64 << 10]);
        await client.SendRawAsync(frame.WrittenMemory[..(32 << 10)]);
        var budget = cluster[0].Core.ConnectionOptions.ClientBudget!;

        await Bounded.UntilAsync(() => budget.UnfinishedCommandClosures == 1, "the node closes the client that never finishes its frame");
        Assert.True(await client.IsClosedByNodeAsync(), "the closed client's reads end");
    }

    private static async Task TrickleAsync(Socket socket, CancellationToken stop)
    {
        var one = "x"u8.ToArray();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(200, stop);
                await socket.SendAsync(one, SocketFlags.None, stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped, or the node closed the connection.
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (fails if the connection ends first or they do not come).</summary>
    private static async Task<int> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[64 * 1024];
        var total = 0;
        while (total < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(0, Math.Min(buffer.Length, count - total)), SocketFlags.None).AsTask().WithinAsync("the rest of the reply");
            if (read == 0)
                return total;
            total += read;
        }
        return total;
    }
}
