using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastDht.LoadGen.Targets;

namespace FastDht.LoadGen.Tests;

/// <summary>The delaying relay the load generator puts in front of local nodes: bytes arrive intact, in order, no sooner than the delay, and the end of a stream passes.</summary>
public sealed class DelayRelayTests
{
    [Fact]
    public async Task Bytes_cross_intact_in_order_after_the_delay_and_the_end_of_the_stream_follows()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1);
        var oneWay = TimeSpan.FromMilliseconds(20);
        await using var relay = DelayRelay.Start((IPEndPoint)server.LocalEndPoint!, oneWay);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(relay.EndPoint).WaitAsync(TimeSpan.FromSeconds(10));
        using var accepted = await server.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // An echo: whatever the server reads it writes back, until the client's end of stream reaches it.
        var echo = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            int n;
            while ((n = await accepted.ReceiveAsync(buffer)) > 0)
                await accepted.SendAsync(buffer.AsMemory(0, n));
            accepted.Shutdown(SocketShutdown.Send);
        });

        var sent = new byte[100_000];
        new Random(7).NextBytes(sent);
        var start = Stopwatch.GetTimestamp();
        await client.SendAsync(sent);
        client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var chunk = new byte[8192].AsMemory();
        int read;
        while ((read = await client.ReceiveAsync(chunk, SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
            received.Write(chunk.Span[..read]);
        var elapsed = Stopwatch.GetElapsedTime(start);

        Assert.Equal(sent, received.ToArray());
        await echo.WaitAsync(TimeSpan.FromSeconds(10));
        // A lower bound, not a timing: nothing can come back before it crossed the relay twice.
        Assert.True(elapsed >= 2 * oneWay, $"the echo came back after {elapsed.TotalMilliseconds} ms, under the {2 * oneWay.TotalMilliseconds} ms round trip");
    }
}
