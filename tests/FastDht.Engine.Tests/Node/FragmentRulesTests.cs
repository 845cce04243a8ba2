using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using FastDht.Engine.Mesh.Internal;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// The rules of fragments on a peer link (docs/protocol.md §5.21): a peer that breaks them loses its link and nothing
/// else (never a frame past the maximum, never two frames at once, never a frame left half sent), an older peer that does
/// not know them gets every frame whole, and only answers, Ping and LeaseRenew may pass a large frame.
/// </summary>
public sealed class FragmentRulesTests
{
    public static TheoryData<string> HostileStreams() => new() { "oversize", "interleaved", "overrun", "never-ends", "nested", "short-header" };

    [Theory]
    [MemberData(nameof(HostileStreams))]
    public async Task A_fragment_stream_that_breaks_the_rules_closes_the_link_and_the_node_serves_on(string kind)
    {
        var logs = new ConcurrentQueue<string>();
        using var loggers = new LogLineHook((_, line, _) => logs.Enqueue(line));
        await using var cluster = await TestCluster.StartAsync(2, o => o.PeerTimeout = TimeSpan.FromSeconds(1), loggerFactory: loggers);
        var key = Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes($"frag:{i}")).First(k => cluster.OwnerOf(k) == 1);
        await Bounded.UntilAsync(
            () => cluster[0].Core.Mesh.GetLink(1) is { } a && cluster[1].Core.Mesh.GetLink(0) is { } b
                && Equals(a.Connection.LocalEndPoint, b.Connection.RemoteEndPoint),
            "nodes 0 and 1 to keep one link between them");
        var link = cluster[0].Core.Mesh.GetLink(1)!;

        var (pieces, expected) = kind switch
        {
            // A first piece whose frame claims 2 GiB: refused from its header, nothing of that size is taken.
            "oversize" => (new[] { Piece(1, Header(int.MaxValue), 100) }, "over the maximum frame size"),
            "interleaved" => (new[] { Piece(2, Header(1 << 20), 60_000), Piece(3, Header(1 << 20), 60_000) }, "was incomplete"),
            "overrun" => (new[] { Piece(4, Header(100_000), 60_000), Piece(4, [], 60_000) }, "runs past its frame's length"),
            // Its first piece and nothing more, while heartbeats flow: closed after the peer timeout.
            "never-ends" => (new[] { Piece(5, Header(1 << 20), 60_000) }, "pieces stopped"),
            "nested" => (new[] { Piece(6, Header(1 << 20, Opcode.Fragment), 60_000) }, "never cut again"),
            "short-header" => (new[] { Piece(7, [], 8) }, "less than its frame's header"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var writer = await link.Connection.EnterWriteAsync();
        foreach (var piece in pieces)
            writer.Write(piece);
        await link.Connection.ExitWriteAsync();

        await link.Completion.WithinAsync("node 1 to close the link the pieces came on");
        await Bounded.UntilAsync(() => logs.Any(l => l.Contains(expected, StringComparison.Ordinal)), $"node 1 to say why ({expected})");
        // Nothing else was lost: the mesh links again and node 1 serves through node 0.
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        await Bounded.UntilAsync(async () => (await client.PutAsync(key, "after"u8.ToArray())).Status == StatusCode.Ok, "a write through node 0 to node 1 after the link came back");
        Assert.Equal("after"u8.ToArray(), (await client.GetAsync(key)).Value);
    }

    [Fact]
    public async Task An_older_peer_that_answers_the_probe_UnknownOpcode_gets_every_frame_whole()
    {
        var logs = new ConcurrentQueue<string>();
        using var loggers = new LogLineHook((_, line, _) => logs.Enqueue(line));
        await using var cluster = await TestCluster.StartAsync(2, loggerFactory: loggers);
        var key = Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes($"old:{i}")).First(k => cluster.OwnerOf(k) == 1);
        await Bounded.UntilAsync(() => cluster[0].Core.Mesh.GetLink(1)?.Connection.IsFragmenting == true, "node 0 to send node 1 pieces (both know them)");

        // Node 1 now answers Fragment as a node from before it does (every Fragment, pieces too: UnknownOpcode). The
        // link is cut, so the next one is probed anew.
        cluster[1].Core.Mesh.AnswersFragmentsAsOldNode = true;
        var first = cluster[0].Core.Mesh.GetLink(1)!;
        first.Connection.Abort(new IOException("test: the next link meets an older node 1"));
        await Bounded.UntilAsync(() => logs.Any(l => l.Contains("Link to peer 1: large frames go whole", StringComparison.Ordinal)), "node 0 to learn node 1 does not reassemble");
        var link = cluster[0].Core.Mesh.GetLink(1);
        Assert.NotNull(link);
        Assert.NotSame(first, link);
        Assert.False(link.Connection.IsFragmenting);

        // A 1 MiB write through node 0 reaches node 1 whole (a piece would be answered UnknownOpcode and the write
        // never answered), and the value comes back.
        var value = new byte[1 << 20];
        new Random(7).NextBytes(value);
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var put = await client.PutAsync(key, value);
        Assert.True(put.Status == StatusCode.Ok, $"{put.Status} {put.ErrorMessage}");
        Assert.Equal(value, (await client.GetAsync(key)).Value);
        Assert.Same(link, cluster[0].Core.Mesh.GetLink(1));
    }

    [Fact]
    public void Answers_Ping_and_LeaseRenew_pass_a_large_frame_and_every_other_request_keeps_its_place()
    {
        var framing = new PeerFraming(ProtocolConstants.FragmentPieceSize);
        Assert.True(Passes(framing, Opcode.Ping, FrameFlags.None));
        Assert.True(Passes(framing, Opcode.LeaseRenew, FrameFlags.None));
        Assert.True(Passes(framing, Opcode.RespExecute, FrameFlags.Response));
        Assert.True(Passes(framing, Opcode.Get, FrameFlags.Response));
        foreach (var opcode in new[] { Opcode.Get, Opcode.Put, Opcode.RespExecute, Opcode.ReplicaSync, Opcode.MigrateKeys, Opcode.ClusterPush, Opcode.TxnCommit, Opcode.RespPublish, Opcode.Fragment })
            Assert.False(Passes(framing, opcode, FrameFlags.None), $"{opcode} passed");
        Assert.Equal(12 + 1000, framing.FrameLength(Header(1000 + 8), out _));
    }

    private static bool Passes(PeerFraming framing, Opcode opcode, FrameFlags flags)
    {
        var header = Header(8, opcode);
        header[9] = (byte)flags;
        framing.FrameLength(header, out var passes);
        return passes;
    }

    /// <summary>A frame header claiming <paramref name="length"/> (the length field: 8 + body).</summary>
    private static byte[] Header(int length, Opcode opcode = Opcode.Put)
    {
        var header = new byte[ProtocolConstants.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 77);
        header[8] = (byte)opcode;
        return header;
    }

    /// <summary>A Fragment piece of stream <paramref name="stream"/>: <paramref name="start"/>, then filler up to <paramref name="bodyLength"/> bytes.</summary>
    private static byte[] Piece(uint stream, byte[] start, int bodyLength)
    {
        var piece = new byte[ProtocolConstants.HeaderSize + bodyLength];
        FrameWriter.WriteFragmentHeader(piece, stream, bodyLength);
        start.AsSpan(0, Math.Min(start.Length, bodyLength)).CopyTo(piece.AsSpan(ProtocolConstants.HeaderSize));
        return piece;
    }
}
