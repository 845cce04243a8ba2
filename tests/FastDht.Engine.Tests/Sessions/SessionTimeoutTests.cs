using System.Buffers;
using FastDht.Engine.Client;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Sessions;

/// <summary>The handshake and idle timeouts: a connection that never completes its Hello, or a client that goes silent, is closed; the smart client carries on.</summary>
public sealed class SessionTimeoutTests
{
    [Fact]
    public async Task A_connection_that_sends_nothing_is_closed_after_the_handshake_timeout()
    {
        await using var cluster = await TestCluster.StartAsync(1, o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var silent = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        Assert.True(await silent.IsClosedByNodeAsync());
    }

    [Fact]
    public async Task A_Hello_trickled_a_byte_at_a_time_is_cut_off_by_the_handshake_timeout()
    {
        await using var cluster = await TestCluster.StartAsync(1, o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var slow = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var hello = new ArrayBufferWriter<byte>();
        FrameWriter.WriteHello(hello, 1, NodeRole.Client, ProtocolConstants.ClientNodeId, "test", "", 1 << 20);
        var bytes = hello.WrittenMemory.ToArray();
        // The bytes keep coming (so the connection is never silent), but the Hello is never whole in time.
        using var stop = new CancellationTokenSource();
        var trickle = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < bytes.Length && !stop.IsCancellationRequested; i++)
                {
                    await slow.SendRawAsync(bytes.AsMemory(i, 1));
                    await Task.Delay(100, stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException or TimeoutException)
            {
            }
        });

        // Closed with no answer at all: the Hello was never accepted.
        Assert.Null(await slow.ReadResponseAsync());
        await stop.CancelAsync();
        await trickle.WaitAsync(Bounded.Timeout);
    }

    [Fact]
    public async Task A_silent_client_is_closed_after_the_idle_timeout_and_a_busy_one_is_not()
    {
        await using var cluster = await TestCluster.StartAsync(1, o => o.ClientIdleTimeout = TimeSpan.FromMilliseconds(300));
        using var idle = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var busy = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var idleClosed = idle.IsClosedByNodeAsync();
        // The busy one keeps sending requests while the idle one is closed; it is never cut off.
        while (!idleClosed.IsCompleted)
        {
            Assert.Equal(StatusCode.Ok, (await busy.PutAsync("busy"u8.ToArray(), "1"u8.ToArray())).Status);
            await Task.WhenAny(idleClosed, Task.Delay(50));
        }
        Assert.True(await idleClosed);
        Assert.Equal(StatusCode.Ok, (await busy.PutAsync("busy"u8.ToArray(), "2"u8.ToArray())).Status);
    }

    [Fact]
    public async Task The_smart_client_keeps_its_connections_alive_across_the_idle_timeout()
    {
        // Thirty pings per idle timeout: on a CI machine whose two cores are saturated a ping can be late by a few hundred
        // milliseconds, and with a margin of three (100 ms against 300 ms) the node then rightly closed the client's
        // connection, which the client replaced while the test counted two; with ten (a 1 s timeout) it still failed once
        // in a whole CI run (the count never came back to one within 20 s).
        await using var cluster = await TestCluster.StartAsync(1, o => o.ClientIdleTimeout = TimeSpan.FromSeconds(3));
        var options = new DhtClientOptions { ClusterName = "test", RequestTimeout = TimeSpan.FromSeconds(5), KeepAliveInterval = TimeSpan.FromMilliseconds(100) };
        options.Seeds.Add(cluster.Members.Get(0).Address);
        await using var client = await DhtClient.ConnectAsync(options);
        await client.PutAsync("idle-a", "1");

        // Two idle timeouts pass, each shown by a silent raw connection the node closes; the client's pings keep its
        // own connection open throughout, so a call made at any moment finds it usable.
        for (var round = 0; round < 2; round++)
        {
            using var silent = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
            Assert.True(await silent.IsClosedByNodeAsync());
            await Bounded.UntilAsync(() => cluster[0].Core.Clients.Open.Count() == 1, "only the smart client's connection is open");
        }
        Assert.Equal("1", await client.GetStringAsync("idle-a"));
        await client.PutAsync("idle-a", "2");
        Assert.Equal("2", await client.GetStringAsync("idle-a"));
    }
}
