using System.Collections.Concurrent;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// Large values on a peer link (docs/known-issues.md: a few GETs of a 60 MB value through a node that does not own it
/// stalled the cluster): the link is judged alive by the bytes that arrive on it, so heartbeat answers queued behind a
/// value's bytes for longer than the peer timeout do not declare a healthy node down and fail every forward on the link.
/// </summary>
public sealed class LargeValueLinkTests
{
    [Fact]
    public async Task GETs_of_a_large_value_that_hold_a_slow_link_past_the_peer_timeout_declare_no_node_down_and_writes_go_on()
    {
        const int ValueSize = 8 << 20;
        const int Readers = 3;
        var watching = false;
        var late = 0;
        var down = 0;
        // Every node's log lines, for the failure message: a run that fails in CI is then diagnosed from its output.
        var logs = new ConcurrentQueue<string>();
        using var loggers = new LogLineHook((_, line, _) =>
        {
            logs.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
            if (!Volatile.Read(ref watching))
                return;
            if (line.Contains("a heartbeat was not answered", StringComparison.Ordinal))
                Interlocked.Increment(ref late);
            if (line.Contains(" is down", StringComparison.Ordinal))
                Interlocked.Increment(ref down);
        });
        // A peer timeout of 1 s (a fifth of the test default) against answers that take seconds to cross the link.
        await using var cluster = await RespCluster.StartAsync(2, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 16 << 20 };
            o.PeerTimeout = TimeSpan.FromSeconds(1);
            o.ForwardTimeout = TimeSpan.FromSeconds(60);
        }, proxied: true, loggerFactory: loggers);
        try
        {
            var big = RespCluster.KeyOwnedBy(cluster, 1, "big");
            var small = RespCluster.KeyOwnedBy(cluster, 1, "small");
            var value = new string('v', ValueSize);
            await using (var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1)))
                Assert.Equal("+OK\r\n", await atOwner.CallAsync("SET", big, value));
            var link = cluster[0].Core.Mesh.GetLink(1);
            Assert.NotNull(link);

            // From here node 1's bytes to node 0 cross the link in chunks of at most 16 KiB, each held 2 ms: the three 8 MiB
            // answers take at least 3 s, and every heartbeat answer node 1 sends meanwhile waits behind them. (Both
            // directions that can carry node 1's side of the link: the link node 0 dialed, through node 1's proxy, wins.)
            Volatile.Write(ref watching, true);
            cluster.ProxyOf(1).Delay(TimeSpan.FromMilliseconds(2), ProxyDirection.ServerToClient);
            cluster.ProxyOf(0).Delay(TimeSpan.FromMilliseconds(2), ProxyDirection.ClientToServer);
            var readers = new Task<string>[Readers];
            for (var i = 0; i < Readers; i++)
            {
                readers[i] = Task.Run(async () =>
                {
                    await using var client = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
                    return await client.CallAsync("GET", big);
                });
            }

            // Small writes through node 0 to node 1's key meanwhile (their answers wait behind the values too): all succeed.
            var writes = new List<string>();
            await using (var writer = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0)))
            {
                for (var i = 0; i < 100 && !readers.All(r => r.IsCompleted); i++)
                    writes.Add(await writer.CallAsync("SET", small, $"w{i}"));
            }
            var answers = await Task.WhenAll(readers).WithinAsync("the GETs of the large value");
            cluster.ProxyOf(1).Delay(TimeSpan.Zero);
            cluster.ProxyOf(0).Delay(TimeSpan.Zero);

            var expected = $"${ValueSize}\r\n{value}\r\n";
            Assert.All(answers, a => Assert.True(a == expected, $"a GET answered {a[..Math.Min(a.Length, 120)]}"));
            Assert.NotEmpty(writes);
            Assert.All(writes, w => Assert.Equal("+OK\r\n", w));
            // The answers really were late (the case this is about), and the link held: no node was declared down.
            Assert.True(Volatile.Read(ref late) > 0, "no heartbeat answer waited past the peer timeout: the link was not held long enough to test anything");
            Assert.Equal(0, Volatile.Read(ref down));
            Assert.Same(link, cluster[0].Core.Mesh.GetLink(1));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nnode logs:\n{string.Join('\n', logs)}", e);
        }
    }
}
