using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

public sealed class BadInputTests
{
    private static byte[] Header(uint length, uint id, byte opcode, byte flags = 0, ushort status = 0)
    {
        var h = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(h, length);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), id);
        h[8] = opcode;
        h[9] = flags;
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(10), status);
        return h;
    }

    [Fact]
    public async Task Bad_connections_are_closed_alone_and_leak_nothing()
    {
        var pool = new CountingMemoryPool();
        await using var cluster = await TestCluster.StartAsync(3, o => o.MemoryPool = pool);
        using var good = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await good.PutAsync("steady"u8.ToArray(), "1"u8.ToArray())).Status);
        // The baseline: one link per peer (duplicates from the start-up race retired and closed) and the good client.
        await Bounded.UntilAsync(() => Enumerable.Range(0, 3).All(i => cluster[i].Core.Mesh.AllLinks.Count() == 2) && cluster[0].Core.Clients.Open.Count() == 1,
            "only the steady links and the good client are open");
        var outstandingBefore = pool.Outstanding;

        for (var round = 0; round < 20; round++)
        {
            // 1. Garbage: not a frame the node can read past (length field < 8).
            using (var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null))
            {
                await c.SendRawAsync(new byte[] { 1, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 9, 9, 9, 9 });
                var r = await c.ReadResponseAsync();
                Assert.NotNull(r);
                Assert.Equal(StatusCode.BadRequest, r.Status);
                Assert.True(await c.IsClosedByNodeAsync());
            }
            // 2. A first frame that is not Hello.
            using (var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1), cluster: null))
            {
                var r = await c.GetAsync("k"u8.ToArray());
                Assert.Equal(StatusCode.HandshakeRequired, r.Status);
                Assert.True(await c.IsClosedByNodeAsync());
            }
            // 3. An oversized length, refused from the header alone (no body is ever sent).
            using (var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
            {
                await c.SendRawAsync(Header(uint.MaxValue, 77, (byte)Opcode.Get));
                var r = await c.ReadResponseAsync();
                Assert.NotNull(r);
                Assert.Equal(StatusCode.FrameTooLarge, r.Status);
                Assert.Equal(77u, r.Header.RequestId);
                Assert.True(await c.IsClosedByNodeAsync());
            }
            // 4. A truncated frame, then the client vanishes mid-frame.
            using (var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2)))
            {
                var frame = new ArrayBufferWriter<byte>();
                FrameWriter.WritePut(frame, 5, "key"u8, new byte[1000]);
                await c.SendRawAsync(frame.WrittenMemory[..500]);
            }
            // 5. Reserved flag bits: the header is malformed, so the connection is closed.
            using (var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1)))
            {
                await c.SendRawAsync(Header(8, 9, (byte)Opcode.Ping, flags: 0x80));
                Assert.True(await c.IsClosedByNodeAsync());
            }
        }

        // An unknown opcode and a malformed body keep the connection: framing still holds.
        using (var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0)))
        {
            var unknown = await c.RequestAsync((w, id) => FrameWriter.WriteFrame(w, id, (Opcode)0x7E, FrameFlags.None, StatusCode.Ok, "x"u8));
            Assert.Equal(StatusCode.UnknownOpcode, unknown.Status);
            var badKey = await c.RequestAsync((w, id) => FrameWriter.WriteFrame(w, id, Opcode.Get, FrameFlags.None, StatusCode.Ok, new byte[] { 0, 0 }));
            Assert.Equal(StatusCode.InvalidKey, badKey.Status);
            var lying = await c.RequestAsync((w, id) => FrameWriter.WriteFrame(w, id, Opcode.Get, FrameFlags.None, StatusCode.Ok, new byte[] { 200, 0, 1, 2 }));
            Assert.Equal(StatusCode.BadRequest, lying.Status);
            Assert.Equal(StatusCode.Ok, (await c.PutAsync("after"u8.ToArray(), "ok"u8.ToArray())).Status);
        }

        // The node kept serving everyone else throughout, and nothing stayed behind.
        Assert.Equal("1"u8.ToArray(), (await good.GetAsync("steady"u8.ToArray())).Value);
        await Bounded.UntilAsync(() => cluster[0].Core.Clients.Open.Count() == 1
                                       && cluster[1].Core.Clients.Open.Count() == 0
                                       && cluster[2].Core.Clients.Open.Count() == 0
                                       && Enumerable.Range(0, 3).All(i => cluster[i].Core.Mesh.AllLinks.Count() == 2),
            "the bad sessions are gone");
        await Bounded.UntilAsync(() => pool.Outstanding <= outstandingBefore, $"pooled blocks return (outstanding {pool.Outstanding}, before {outstandingBefore})");
        Assert.Equal(0, pool.DoubleReturns);
    }

    [Fact]
    public async Task Many_requests_pipelined_on_one_connection_come_back_whole_and_matched()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        const int n = 3000;
        // Keys on every node: local answers and relays from both peer links share this one connection's writer.
        var batch = new ArrayBufferWriter<byte>();
        for (var i = 0; i < n; i++)
            FrameWriter.WritePut(batch, (uint)(i + 1), Encoding.UTF8.GetBytes($"p{i}"), Encoding.UTF8.GetBytes(new string((char)('a' + (i % 26)), 1 + (i % 300))));
        for (var i = 0; i < n; i++)
            FrameWriter.WriteGet(batch, (uint)(n + i + 1), Encoding.UTF8.GetBytes($"p{i}"));
        await c.SendRawAsync(batch.WrittenMemory);

        var seen = new HashSet<uint>();
        var putsAnswered = 0;
        for (var k = 0; k < 2 * n; k++)
        {
            var r = await c.ReadResponseAsync() ?? throw new IOException("closed");
            Assert.True(seen.Add(r.Header.RequestId), $"duplicate answer {r.Header.RequestId}");
            Assert.Equal(StatusCode.Ok, r.Status);
            if (r.Header.RequestId <= n)
            {
                putsAnswered++;
                continue;
            }
            var i = (int)r.Header.RequestId - n - 1;
            // Answers come back out of order, but a Get pipelined behind its Put follows the same path (local, or the
            // one link to the owner, in order), so it sees exactly the value written.
            Assert.Equal(Encoding.UTF8.GetBytes(new string((char)('a' + (i % 26)), 1 + (i % 300))), r.Value);
        }
        Assert.Equal(n, putsAnswered);
        Assert.Equal(2 * n, seen.Count);
    }

    [Fact]
    public async Task A_frozen_peer_is_declared_down_by_heartbeats_and_requests_fail_within_the_timeout()
    {
        // Every member address is a proxy in front of the node's real listener, so every peer link runs through the
        // proxy of whichever node was dialed. The 0-2 link goes through proxy 0 or proxy 2 (depending on who dialed
        // first); stalling both freezes it either way, without closing anything: a frozen peer, not a dead one.
        var sockets = Enumerable.Range(0, 3).Select(_ => Bind()).ToArray();
        var proxies = sockets.Select(s => LoopbackProxy.Start((System.Net.IPEndPoint)s.LocalEndPoint!)).ToArray();
        var members = FastDht.Engine.Cluster.MemberList.Parse(string.Join(",", proxies.Select((p, i) => $"{i}={p.EndPoint}")));
        var nodes = new List<FastDht.Engine.Node.DhtNode>();
        var secret = FastDht.Engine.Security.ClusterSecret.CreateRandom();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await FastDht.Engine.Node.DhtNode.StartAsync(new FastDht.Engine.Node.NodeOptions
                {
                    ClusterName = "test",
                    ClusterSecret = secret,
                    Members = members,
                    NodeId = (ushort)i,
                    ListenSocket = sockets[i],
                    HeartbeatInterval = TimeSpan.FromMilliseconds(100),
                    PeerTimeout = TimeSpan.FromMilliseconds(600),
                    ForwardTimeout = TimeSpan.FromMilliseconds(1500),
                    ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
                    ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
                }));
            }
            await Task.WhenAll(nodes.Select(n => n.WaitForMeshAsync(Bounded.Timeout)));

            var state = nodes[0].ClusterState;
            var keyOf2 = Enumerable.Range(0, 500).Select(i => Encoding.UTF8.GetBytes($"f{i}")).First(k => state.OwnerOf(k) == 2);
            // The client talks to node 0's real listener, not through a proxy: only the peer link is frozen.
            using var client = await NativeTestClient.ConnectAsync((System.Net.IPEndPoint)sockets[0].LocalEndPoint!);
            Assert.Equal(StatusCode.Ok, (await client.PutAsync(keyOf2, "v"u8.ToArray())).Status);

            proxies[0].Stall(true);
            proxies[2].Stall(true);
            // Forwarded while the link is frozen: answered with a clear error once the forward times out or the
            // heartbeat declares node 2 down, whichever comes first. Never a hang.
            var frozen = await client.GetAsync(keyOf2);
            Assert.Contains(frozen.Status, new[] { StatusCode.Timeout, StatusCode.NodeUnavailable });
            Assert.Contains("node 2", frozen.ErrorMessage, StringComparison.Ordinal);
            // While both proxies hold every byte, no new 0-2 link can finish its handshake: node 2 stays down.
            await Bounded.UntilAsync(() => !nodes[0].Core.Mesh.IsUp(2), "node 0 declares node 2 down");
            var down = await client.GetAsync(keyOf2);
            Assert.Contains(down.Status, new[] { StatusCode.Timeout, StatusCode.NodeUnavailable });

            proxies[0].Stall(false);
            proxies[2].Stall(false);
            await Task.WhenAll(nodes.Select(n => n.WaitForMeshAsync(Bounded.Timeout)));
            await Bounded.UntilAsync(() => client.GetAsync(keyOf2).GetAwaiter().GetResult().Status == StatusCode.Ok, "node 2's keys are served again");
        }
        finally
        {
            foreach (var n in nodes)
                await n.StopAsync();
            foreach (var p in proxies)
                await p.DisposeAsync();
        }
    }

    private static System.Net.Sockets.Socket Bind()
    {
        var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return s;
    }
}
