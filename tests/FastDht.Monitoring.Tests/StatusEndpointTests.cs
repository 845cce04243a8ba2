using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FastDht.Engine.Node;
using FastDht.Engine.Plugins;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Monitoring.Tests;

/// <summary>The status endpoint as an operator and a scraper use it: metrics that count what clients did, health, the cluster's picture.</summary>
public sealed class StatusEndpointTests
{
    [Fact]
    public async Task MetricsCountNativeRequestsByKindAndOutcomeAndTheForwards()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        using var http = Http(endpoint);
        var own = KeyOwnedBy(cluster, 0);
        var other = KeyOwnedBy(cluster, 1);
        var missing = KeyOwnedBy(cluster, 0, "missing");

        using (var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
        {
            for (var i = 0; i < 3; i++)
                Assert.Equal(StatusCode.Ok, (await client.PutAsync(own, "v"u8.ToArray())).Status);
            Assert.Equal(StatusCode.Ok, (await client.GetAsync(own)).Status);
            Assert.Equal(StatusCode.NotFound, (await client.GetAsync(missing)).Status);
            // Owned by node 1: node 0 forwards it and counts it as its own client's request.
            Assert.Equal(StatusCode.Ok, (await client.PutAsync(other, "v"u8.ToArray())).Status);
            Assert.Equal(StatusCode.Exists, (await client.PutIfAbsentAsync(own, "w"u8.ToArray())).Status);
        }

        // The last request's latency is recorded when its batch ends, right after its answer is written.
        string scrape = "";
        await Bounded.UntilAsync(async () =>
        {
            scrape = await http.GetStringAsync("/metrics");
            return Scrape.Value(scrape, "fastdht_request_duration_seconds_count", "class=\"native_write\"") == 5;
        }, "five native writes in the latency histogram");
        Scrape.AssertWellFormed(scrape);
        Assert.Equal(4, Scrape.Value(scrape, "fastdht_operations_total", "node=\"0\"", "protocol=\"native\"", "kind=\"put\"", "outcome=\"ok\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"native\"", "kind=\"get\"", "outcome=\"ok\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"native\"", "kind=\"get\"", "outcome=\"not_found\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"native\"", "kind=\"putifabsent\"", "outcome=\"exists\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_forwards_total"));
        Assert.Equal(2, Scrape.Value(scrape, "fastdht_request_duration_seconds_count", "class=\"native_read\""));
        Assert.Equal(2, Scrape.Value(scrape, "fastdht_request_duration_seconds_bucket", "class=\"native_read\"", "le=\"+Inf\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_peers_up"));
        Assert.True(Scrape.Value(scrape, "fastdht_transport_bytes_total", "direction=\"in\"") > 0);
        Assert.True(Scrape.Value(scrape, "fastdht_transport_bytes_total", "direction=\"out\"") > 0);
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_keyspace_reads_total", "result=\"miss\""));
        Assert.Equal(0, Scrape.Value(scrape, "fastdht_lock_waits_total", "strategy=\"wait-die\""));
        // Node 1's own scrape is another node's business: nothing of node 1 in node 0's answer.
        Assert.DoesNotContain("node=\"1\"", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsCountRespCommandsAndRefusals()
    {
        await using var cluster = await TestCluster.StartAsync(1, options => options.Listeners[ProtocolNames.Resp] = new IPEndPoint(IPAddress.Loopback, 0));
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        using var http = Http(endpoint);
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(cluster[0].GetListenerEndPoint(ProtocolNames.Resp)!);
            await socket.SendAsync("SET a 1\r\nGET a\r\nGET a b\r\nNOSUCHCOMMAND\r\nPING\r\n"u8.ToArray());
            var received = new StringBuilder();
            var buffer = new byte[4096];
            while (!received.ToString().EndsWith("+PONG\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None).WithinAsync("the RESP replies");
                Assert.True(n > 0, "the node closed the RESP connection");
                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        var scrape = await http.GetStringAsync("/metrics");
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"resp\"", "kind=\"set\"", "outcome=\"ok\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"resp\"", "kind=\"get\"", "outcome=\"ok\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"resp\"", "kind=\"get\"", "outcome=\"refused\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_operations_total", "protocol=\"resp\"", "kind=\"unknown\"", "outcome=\"refused\""));
        Assert.Equal(1, Scrape.Value(scrape, "fastdht_request_duration_seconds_count", "class=\"resp_write\""));
        Assert.Equal(2, Scrape.Value(scrape, "fastdht_request_duration_seconds_count", "class=\"resp_read\""));
    }

    [Fact]
    public async Task HealthIs200WhileServingAnd503OnceTheNodeStops()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        using var http = Http(endpoint);
        var serving = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, serving.StatusCode);
        Assert.Equal("serving\n", await serving.Content.ReadAsStringAsync());

        await cluster.StopNodeAsync(0);
        var stopped = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
    }

    [Fact]
    public async Task ClusterJsonShowsEveryMemberTheSlotsAndAStoppedNodeAsDown()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        using var http = Http(endpoint);
        using (var json = JsonDocument.Parse(await http.GetStringAsync("/cluster")))
        {
            var root = json.RootElement;
            Assert.Equal(0, root.GetProperty("node").GetInt32());
            Assert.Equal(1, root.GetProperty("epoch").GetInt32());
            Assert.Equal("serving", root.GetProperty("state").GetString());
            var members = root.GetProperty("members").EnumerateArray().ToList();
            Assert.Equal([0, 1, 2], members.Select(m => m.GetProperty("id").GetInt32()));
            Assert.All(members, m => Assert.Equal("up", m.GetProperty("state").GetString()));
            Assert.Equal(16384, members.Sum(m => m.GetProperty("primarySlots").GetInt32()));
            var slots = root.GetProperty("slots").EnumerateArray().ToList();
            Assert.Equal(3, slots.Count);
            Assert.Equal(0, slots[0].GetProperty("first").GetInt32());
            Assert.Equal(16383, slots[^1].GetProperty("last").GetInt32());
            Assert.Equal(cluster.Members[2].Address, members[2].GetProperty("address").GetString());
        }

        await cluster.StopNodeAsync(2);
        await Bounded.UntilAsync(async () =>
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync("/cluster"));
            return json.RootElement.GetProperty("members")[2].GetProperty("state").GetString() == "down";
        }, "node 2 shown down");
    }

    [Fact]
    public async Task ThePageIsServedAsHtmlAndUnknownPathsAre404()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        using var http = Http(endpoint);
        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"members\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("/health", new StringContent("x"))).StatusCode);
        using var history = JsonDocument.Parse(await http.GetStringAsync("/history"));
        Assert.Equal(5, history.RootElement.GetProperty("intervalSeconds").GetDouble());
    }

    [Fact]
    public async Task TheEndpointBindsLoopbackByDefault()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var endpoint = await StatusEndpoint.StartAsync(cluster[0]);
        Assert.Equal(IPAddress.Loopback, endpoint.EndPoint.Address);
        Assert.NotEqual(0, endpoint.EndPoint.Port);
    }

    internal static HttpClient Http(StatusEndpoint endpoint) =>
        new() { BaseAddress = new Uri($"http://{endpoint.EndPoint}/"), Timeout = Bounded.Timeout };

    /// <summary>A key whose slot node <paramref name="node"/> owns.</summary>
    internal static byte[] KeyOwnedBy(TestCluster cluster, int node, string prefix = "key")
    {
        for (var i = 0; ; i++)
        {
            var key = Encoding.UTF8.GetBytes($"{prefix}-{i}");
            if (cluster.OwnerOf(key) == node)
                return key;
        }
    }
}
