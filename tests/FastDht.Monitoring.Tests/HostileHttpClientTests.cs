using System.Net;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Client;
using FastDht.TestUtilities;

namespace FastDht.Monitoring.Tests;

/// <summary>Clients that attack the status endpoint: they may keep operators off the page for a while, never clients off the data.</summary>
public sealed class HostileHttpClientTests
{
    [Fact]
    public async Task SlowHeadersHoldNoConnectionPastTheTimeoutAndTheDataPathKeepsServing()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var options = new StatusEndpointOptions { MaxConnections = 4, RequestHeadersTimeout = TimeSpan.FromSeconds(1) };
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0], options);
        // Slowloris: more connections than the endpoint takes, each sending a request line and then one header byte
        // now and then, never finishing its headers.
        var slow = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint.EndPoint);
                await socket.SendAsync("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "u8.ToArray(), SocketFlags.None);
                slow.Add(socket);
            }
            using var trickling = new CancellationTokenSource();
            var trickle = TrickleAsync(slow, trickling.Token);

            // Meanwhile the node serves its clients as before.
            await using (var client = await DhtClient.ConnectAsync(new DhtClientOptions { Seeds = { cluster.EndPointOf(0).ToString() }, ClusterName = TestCluster.ClusterName }))
            {
                for (var i = 0; i < 200; i++)
                {
                    await client.PutAsync($"k{i}", "v").AsTask().WithinAsync("a put while the endpoint is flooded");
                    Assert.Equal("v", await client.GetStringAsync($"k{i}").AsTask().WithinAsync("a get while the endpoint is flooded"));
                }
            }

            // Headers not done within the timeout: the endpoint hangs up on every slow client, so they held nothing for long.
            foreach (var socket in slow)
                Assert.True(await ClosedByServerAsync(socket), "a slow client was still connected well past the headers timeout");
            trickling.Cancel();
            await trickle;
        }
        finally
        {
            foreach (var socket in slow)
                socket.Dispose();
        }

        // And the endpoint serves again once they are gone.
        using var http = StatusEndpointTests.Http(endpoint);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task AHugeRequestIsRefusedBeforeItIsReadWhole()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint.EndPoint);
        // 64 MiB of one header: the endpoint answers 431 after its 8 KiB limit and closes, long before the rest is sent.
        await socket.SendAsync("GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: "u8.ToArray(), SocketFlags.None);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        long sent = 0;
        try
        {
            using var giveUp = new CancellationTokenSource(Bounded.Timeout);
            for (var i = 0; i < 1024; i++)
            {
                sent += await socket.SendAsync(chunk, SocketFlags.None, giveUp.Token);
            }
        }
        catch (SocketException)
        {
            // The endpoint closed the connection under the sender: what a refusal looks like to a client that does not stop.
        }
        Assert.True(sent < 64L * 1024 * 1024, "the endpoint read a 64 MiB header to its end");
        var answer = await ReadAnswerAsync(socket);
        Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 431", StringComparison.Ordinal), $"expected 431 or a hang-up, got '{answer}'");

        using var http = StatusEndpointTests.Http(endpoint);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        // A body announced at 1 GiB is answered without being waited for: no route takes a body.
        using var poster = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await poster.ConnectAsync(endpoint.EndPoint);
        await poster.SendAsync("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n"u8.ToArray(), SocketFlags.None);
        var refused = await ReadAnswerAsync(poster);
        Assert.True(refused.StartsWith("HTTP/1.1 405", StringComparison.Ordinal) || refused.StartsWith("HTTP/1.1 413", StringComparison.Ordinal), $"expected 405 or 413 at once, got '{refused}'");
    }

    private static async Task TrickleAsync(List<Socket> sockets, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var socket in sockets)
                {
                    try
                    {
                        await socket.SendAsync("a"u8.ToArray(), SocketFlags.None, stop);
                    }
                    catch (SocketException)
                    {
                        // That one was hung up on: the point of the test.
                    }
                }
                await Task.Delay(200, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Whether the server closes <paramref name="socket"/> (a 0-byte read, a reset, or an answer then a close) within the bounded wait.</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var giveUp = new CancellationTokenSource(Bounded.Timeout);
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, giveUp.Token) == 0)
                    return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<string> ReadAnswerAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var giveUp = new CancellationTokenSource(Bounded.Timeout);
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, giveUp.Token);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (SocketException)
        {
            return "";
        }
    }
}
