using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Engine.Security;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Security;

/// <summary>Peer links prove the cluster secret: a node without it (or with another) cannot join, and the proof cannot be replayed or reflected.</summary>
public sealed class PeerAuthenticationTests
{
    /// <summary>Node 1's slot in a running 2-node cluster taken by a node started elsewhere (a port of its own, the same member list otherwise).</summary>
    private static async Task<DhtNode> StartImpostorAsync(TestCluster cluster, ClusterSecret? secret)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = cluster.OptionsFor(1);
        options.ListenSocket = socket;
        options.ClusterSecret = secret;
        // Its own listener is elsewhere, but it dials node 0 under node 1's identity with the right member list.
        return await DhtNode.StartAsync(options);
    }

    [Fact]
    public async Task A_node_with_another_secret_cannot_join_and_the_real_link_stays()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        await cluster.StopNodeAsync(1);
        await using var impostor = await StartImpostorAsync(cluster, ClusterSecret.CreateRandom());

        await Bounded.UntilAsync(() => impostor.Core.Mesh.LastRefusal(0) is not null, "node 0 refuses the impostor");
        Assert.Contains("cluster secret", impostor.Core.Mesh.LastRefusal(0), StringComparison.Ordinal);
        Assert.False(impostor.IsMeshComplete);
        Assert.False(cluster[0].Core.Mesh.IsUp(1));

        // The real node 1, with the secret, joins as usual.
        await impostor.StopAsync();
        await cluster.StartNodeAsync(1);
        await Bounded.UntilAsync(() => cluster[0].Core.Mesh.IsUp(1) && cluster[1].IsMeshComplete, "the real node 1 links");
    }

    [Fact]
    public async Task A_node_without_a_secret_cannot_start_in_a_cluster_or_take_peer_links()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var options = cluster.OptionsFor(1);
        options.ClusterSecret = null;
        var e = Assert.Throws<ClusterConfigurationException>(options.Validate);
        Assert.Contains("needs a cluster secret", e.Message, StringComparison.Ordinal);

        // A single-member node has no secret to check with: it refuses the node role outright.
        await using var alone = await TestCluster.StartAsync(1, o => o.ClusterSecret = null);
        using var raw = await NativeTestClient.ConnectAsync(alone.EndPointOf(0), cluster: null);
        var hello = await raw.RequestAsync((w, id) => FrameWriter.WriteHello(
            w, id, NodeRole.Node, 1, TestCluster.ClusterName, "wait-die", 1 << 20, incarnation: 1, membersDigest: alone.Members.Digest));
        Assert.Equal(StatusCode.HandshakeRefused, hello.Status);
        Assert.True(await raw.IsClosedByNodeAsync());
    }

    /// <summary>A raw peer that knows the member list but not the secret, at the point the node expects its challenge.</summary>
    private static async Task<NativeTestClient> HelloAsNodeAsync(TestCluster cluster)
    {
        await cluster.StopNodeAsync(1);
        var options = cluster.OptionsFor(1);
        var raw = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var hello = await raw.RequestAsync((w, id) => FrameWriter.WriteHello(
            w, id, NodeRole.Node, 1, options.ClusterName, options.LockStrategy, 1 << 20, incarnation: 42, membersDigest: cluster.Members.Digest));
        Assert.Equal(StatusCode.Ok, hello.Status);
        return raw;
    }

    [Fact]
    public async Task A_peer_that_skips_the_challenge_gets_nothing_and_is_closed()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        using var raw = await HelloAsNodeAsync(cluster);
        var r = await raw.RequestAsync((w, id) => FrameWriter.WriteClusterInfo(w, id));
        Assert.Equal(StatusCode.AuthRequired, r.Status);
        Assert.True(await raw.IsClosedByNodeAsync());
        Assert.False(cluster[0].Core.Mesh.IsUp(1));
    }

    [Fact]
    public async Task A_reflected_or_guessed_proof_is_refused()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        using var raw = await HelloAsNodeAsync(cluster);
        var nonce = new byte[AuthFrames.NonceSize];
        var answer = await raw.RequestAsync((w, id) => AuthFrames.WritePeerStep(w, id, AuthMechanism.PeerChallenge, nonce));
        Assert.Equal(StatusCode.Ok, answer.Status);
        Assert.True(AuthFrames.TryReadChallengeResponse(answer.Body, out _, out var acceptorProof));
        // The acceptor's own proof sent back as the dialer's: the side labels differ, so it does not verify.
        var reflected = acceptorProof.ToArray();
        var refused = await raw.RequestAsync((w, id) => AuthFrames.WritePeerStep(w, id, AuthMechanism.PeerProof, reflected));
        Assert.Equal(StatusCode.HandshakeRefused, refused.Status);
        Assert.Contains("cluster secret", refused.ErrorMessage, StringComparison.Ordinal);
        Assert.True(await raw.IsClosedByNodeAsync());
        Assert.False(cluster[0].Core.Mesh.IsUp(1));
    }

    [Fact]
    public async Task The_acceptor_chooses_a_fresh_nonce_each_time_so_an_old_proof_is_useless()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var nonce = new byte[AuthFrames.NonceSize];
        byte[] first;
        using (var raw = await HelloAsNodeAsync(cluster))
        {
            var answer = await raw.RequestAsync((w, id) => AuthFrames.WritePeerStep(w, id, AuthMechanism.PeerChallenge, nonce));
            first = answer.Body.ToArray();
        }
        using var again = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var options = cluster.OptionsFor(1);
        await again.RequestAsync((w, id) => FrameWriter.WriteHello(
            w, id, NodeRole.Node, 1, options.ClusterName, options.LockStrategy, 1 << 20, incarnation: 43, membersDigest: cluster.Members.Digest));
        var second = await again.RequestAsync((w, id) => AuthFrames.WritePeerStep(w, id, AuthMechanism.PeerChallenge, nonce));
        // Same dialer nonce, different acceptor nonce and proof: a proof recorded from one handshake fits no other.
        Assert.NotEqual(first, second.Body);
    }
}
