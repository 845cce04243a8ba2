using System.Buffers;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;

using static FastDht.Engine.Tests.Node.RawSockets;

namespace FastDht.Engine.Tests.Node;

/// <summary>A client that hangs up with commands still queued in the node: its session ends at once and gives its buffers back, instead of running them for no one.</summary>
public sealed class HungUpClientTests
{
    private const int ValueSize = 4 << 20;

    [Fact]
    public async Task A_client_that_resets_its_connection_with_thousands_of_GETs_queued_leaves_at_once()
    {
        // Frames of 8 MiB: the hog's input and output pause at 16 MiB each. Output limits off and a budget far above what
        // one hog holds, so nothing but the hog's own reset closes it (the budget is on only to report its input).
        await using var cluster = await RespCluster.StartAsync(1, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 8 << 20 };
            o.ClientHardOutputLimit = 0;
            o.ClientSoftOutputLimit = 0;
            o.MaxMemoryClients = 1L << 30;
        });
        var resp = RespCluster.RespOf(cluster, 0);
        await using var served = await RespTestClient.ConnectAsync(resp);
        Assert.Equal("+OK\r\n", await served.CallAsync("SET", "big", new string('x', ValueSize)));
        var statistics = cluster[0].Core.Statistics;
        var budget = cluster[0].Core.ConnectionOptions.ClientBudget!;
        var clientsBefore = statistics.ConnectedClients;
        var accountsBefore = budget.Count;

        // The hog pipelines 6 MiB of GETs (about 290,000) and reads nothing: its session stops at the first replies (the
        // output pipe is full) and the rest of the GETs wait in its input.
        using var hog = await ConnectNotReadingAsync(resp);
        hog.SendBufferSize = 64 * 1024;
        var get = RespTestClient.Encode("GET", "big");
        var gets = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(get, (6 << 20) / get.Length)));
        await SendAllAsync(hog, gets);
        await Bounded.UntilAsync(() => budget.RecentMaxInputBuffer >= 4 << 20, "the node holds at least 4 MiB of the hog's GETs unread");
        Assert.Equal(clientsBefore + 1, statistics.ConnectedClients);

        // The hog hangs up with a reset (SO_LINGER 0, as a close with unread data does): the node's pending send fails.
        hog.LingerState = new LingerOption(true, 0);
        hog.Close();

        // Its session ends: before the fix it went on to build every queued 4 MiB reply for a closed connection (about a
        // terabyte of copying), keeping the session, its CLIENT LIST entry and its buffers for as long.
        await Bounded.UntilAsync(() => statistics.ConnectedClients == clientsBefore, "the hung-up client's session ends");
        await Bounded.UntilAsync(() => budget.Count == accountsBefore, "the hung-up client's buffers leave the budget (its connection is disposed)");
        // CLIENT LIST shows only the served client (one "id=" per line).
        var clients = await served.CallAsync("CLIENT", "LIST");
        Assert.Equal(clients.IndexOf("id=", StringComparison.Ordinal), clients.LastIndexOf("id=", StringComparison.Ordinal));
        Assert.DoesNotContain("cmd=get ", clients, StringComparison.Ordinal);
        Assert.Equal("+PONG\r\n", await served.CallAsync("PING"));
    }

    /// <summary>
    /// The native protocol's case: a client that pipelines Gets of a 512 KiB value, reads nothing and resets. Its session
    /// stops at the first mebibyte of answers (the output is full), and once the connection is closed it drops the Gets
    /// still queued instead of answering them for no one (the old session went on building every queued answer).
    /// </summary>
    [Fact]
    public async Task A_native_client_that_resets_with_thousands_of_Gets_queued_leaves_at_once()
    {
        // Under the 1 MiB a NativeTestClient accepts per frame (its Hello): a larger answer would be refused small.
        const int NativeValueSize = 512 * 1024;
        await using var cluster = await TestCluster.StartAsync(1, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 8 << 20 };
            o.ClientHardOutputLimit = 0;
            o.ClientSoftOutputLimit = 0;
            o.MaxMemoryClients = 1L << 30;
        });
        using var served = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await served.PutAsync("big"u8.ToArray(), new byte[NativeValueSize])).Status);
        var statistics = cluster[0].Core.Statistics;
        var budget = cluster[0].Core.ConnectionOptions.ClientBudget!;
        var clientsBefore = statistics.ConnectedClients;
        var accountsBefore = budget.Count;

        using var hog = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        hog.Socket.ReceiveBufferSize = 4096;
        hog.Socket.SendBufferSize = 64 * 1024;
        var frames = new ArrayBufferWriter<byte>();
        while (frames.WrittenCount < 6 << 20)
            FrameWriter.WriteGet(frames, hog.NextId(), "big"u8);
        await hog.SendRawAsync(frames.WrittenMemory);
        await Bounded.UntilAsync(() => budget.RecentMaxInputBuffer >= 4 << 20, "the node holds at least 4 MiB of the hog's Gets unread");
        Assert.Equal(clientsBefore + 1, statistics.ConnectedClients);

        hog.Socket.LingerState = new LingerOption(true, 0);
        hog.Dispose();

        await Bounded.UntilAsync(() => statistics.ConnectedClients == clientsBefore, "the hung-up client's session ends");
        await Bounded.UntilAsync(() => budget.Count == accountsBefore, "the hung-up client's buffers leave the budget (its connection is disposed)");
        Assert.Equal(StatusCode.Ok, (await served.GetAsync("big"u8.ToArray())).Status);
    }

    /// <summary>
    /// A native client that pipelines Gets of a large value, each followed by a Put, and reads nothing: the session runs
    /// its requests only as far as the answers are taken (a mebibyte held by the session, then the output pipe and the
    /// sockets' buffers), instead of building every answer of the read first (the old session ran all the Puts at once
    /// and held all the Gets' answers). Reading then gets every answer, in order.
    /// </summary>
    [Fact]
    public async Task A_native_client_that_reads_nothing_stops_its_pipeline_instead_of_piling_up_answers()
    {
        const int Rounds = 300;
        const int Size = 256 * 1024;
        // Frames of 1 MiB: the output pauses at 2 MiB. With the node's send buffer (a few MiB on loopback) a client that
        // reads nothing holds at most about 8 MiB of answers: about 30 rounds.
        await using var cluster = await StartBoundOnlyAsync(1);
        using var served = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await served.PutAsync("big"u8.ToArray(), new byte[Size])).Status);
        var store = cluster[0].Store;

        // The hog keeps its socket's default receive buffer (about 128 KiB while it reads nothing; it grows as it reads).
        // Not 4 KiB: a receive buffer shrunk below a segment on loopback moves about 35 KB/s even once raised again, so
        // reading the 75 MiB of answers took half an hour and the test host was killed as hung (session 10).
        using var hog = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var frames = new ArrayBufferWriter<byte>();
        for (var i = 0; i < Rounds; i++)
        {
            FrameWriter.WriteGet(frames, hog.NextId(), "big"u8);
            FrameWriter.WritePut(frames, hog.NextId(), Encoding.ASCII.GetBytes($"run-{i}"), "x"u8);
        }
        await hog.SendRawAsync(frames.WrittenMemory);

        await AssertFewerThanHalfRunAsync(Rounds, () =>
        {
            var ran = 0;
            while (ran < Rounds && store.TryGet(Encoding.ASCII.GetBytes($"run-{ran}"), out _))
                ran++;
            return ran;
        });

        for (var i = 0; i < Rounds; i++)
        {
            var get = await hog.ReadResponseAsync();
            Assert.NotNull(get);
            Assert.Equal(StatusCode.Ok, get.Status);
            Assert.Equal(Size, get.Value.Length);
            var put = await hog.ReadResponseAsync();
            Assert.NotNull(put);
            Assert.Equal(StatusCode.Ok, put.Status);
        }
        Assert.True(store.TryGet(Encoding.ASCII.GetBytes($"run-{Rounds - 1}"), out _));
    }

    /// <summary>
    /// The same client with the value on another node: every Get is forwarded and its answer relayed back. Relayed
    /// answers were never held back by the session's bound (they are written off the read loop): the first filled the
    /// output, every later one was copied to wait for the writer lock, and the read loop went on forwarding, so a client
    /// that reads nothing made the node hold every answer of its pipeline (4096 forwards in flight per link, each up to a
    /// frame). Now the session stops forwarding while its relays (copied answers, and an estimate of the answers in
    /// flight) reach the same mebibyte, and goes on as the client reads. Every answer then arrives.
    /// </summary>
    [Fact]
    public async Task A_native_client_that_reads_nothing_stops_its_forwards_instead_of_piling_up_relayed_answers()
    {
        const int Rounds = 600;
        const int Size = 256 * 1024;
        // Frames of 1 MiB (links and clients), output limits off: only the session's own bound holds the pipeline back.
        await using var cluster = await StartBoundOnlyAsync(2);
        var big = Encoding.UTF8.GetBytes(RespCluster.KeyOwnedBy(cluster, 1, "big"));
        // The Puts go to node 1 too, so every answer of the pipeline is relayed (a local answer could stall the read loop
        // on the writer lock by itself, and hide what the relays do).
        var runs = new byte[Rounds][];
        var n = 0;
        for (var i = 0; i < Rounds; n++)
        {
            var key = Encoding.ASCII.GetBytes($"run-{n}");
            if (cluster.OwnerOf(key) == 1)
                runs[i++] = key;
        }
        using (var atOwner = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1)))
            Assert.Equal(StatusCode.Ok, (await atOwner.PutAsync(big, new byte[Size])).Status);
        var store = cluster[1].Store;

        // The default receive buffer, as in the test above (a 4 KiB one makes loopback crawl).
        using var hog = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var frames = new ArrayBufferWriter<byte>();
        var gets = new uint[Rounds];
        var puts = new uint[Rounds];
        for (var i = 0; i < Rounds; i++)
        {
            FrameWriter.WriteGet(frames, gets[i] = hog.NextId(), big);
            FrameWriter.WritePut(frames, puts[i] = hog.NextId(), runs[i], "x"u8);
        }
        await hog.SendRawAsync(frames.WrittenMemory);

        // Without the bound all 600 rounds ran at once (150 MiB of answers, all but a few MiB copied in node 0); with it
        // about 64 (128 forwards in flight before the first answer shows their size).
        await AssertFewerThanHalfRunAsync(Rounds, () => runs.Count(k => store.TryGet(k, out _)));

        // Forwarded answers may come back in any order (the protocol's rule): each request is answered exactly once.
        var expected = new Dictionary<uint, bool>();
        for (var i = 0; i < Rounds; i++)
        {
            expected.Add(gets[i], true);
            expected.Add(puts[i], false);
        }
        for (var i = 0; i < 2 * Rounds; i++)
        {
            var answer = await hog.ReadResponseAsync();
            Assert.NotNull(answer);
            Assert.True(expected.Remove(answer.Header.RequestId, out var isGet), $"an answer to request {answer.Header.RequestId}, not asked or answered twice");
            Assert.Equal(StatusCode.Ok, answer.Status);
            if (isGet)
                Assert.Equal(Size, answer.Value.Length);
        }
        Assert.Empty(expected);
        Assert.All(runs, k => Assert.True(store.TryGet(k, out _)));
    }

    /// <summary>
    /// The RESP case of the test above: a client pipelines GETs of a 256 KiB value another node owns, each followed by a
    /// SET of a key there too, and reads nothing. The replies of forwarded commands wait in their slots of the reply
    /// queue, which the session's mebibyte did not count: one read of the pipeline forwarded every command, and every
    /// reply waited in the node (until the link's forward window of 1,024 stopped the read: 512 rounds, 128 MiB). Now the
    /// late replies count (those in, and those owed at the recent largest each, 8 KiB before the first), so the session
    /// stops after its first burst at about a mebibyte plus what the output and the sockets hold. Every reply then
    /// arrives, in order.
    /// </summary>
    [Fact]
    public async Task A_RESP_client_that_reads_nothing_stops_its_forwards_instead_of_piling_up_remote_replies()
    {
        const int Rounds = 600;
        const int Size = 256 * 1024;
        await using var cluster = await RespCluster.StartAsync(2, o =>
        {
            o.Limits = new ProtocolLimits { MaxFrameSize = 1 << 20 };
            o.ClientHardOutputLimit = 0;
            o.ClientSoftOutputLimit = 0;
        });
        var big = RespCluster.KeyOwnedBy(cluster, 1, "big");
        var runs = new string[Rounds];
        for (int i = 0, n = 0; i < Rounds; n++)
        {
            var key = $"run-{n}";
            if (cluster.OwnerOf(Encoding.ASCII.GetBytes(key)) == 1)
                runs[i++] = key;
        }
        var value = new string('v', Size);
        await using (var atOwner = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 1)))
            Assert.Equal("+OK\r\n", await atOwner.CallAsync("SET", big, value));
        var store = cluster[1].Store;

        // The default receive buffer (see the native test above).
        await using var hog = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
        var pipeline = new StringBuilder();
        foreach (var run in runs)
            pipeline.Append(RespTestClient.Encode("GET", big)).Append(RespTestClient.Encode("SET", run, "x"));
        await hog.SendAsync(pipeline.ToString());

        await AssertFewerThanHalfRunAsync(Rounds, () => runs.Count(k => store.TryGet(Encoding.ASCII.GetBytes(k), out _)));

        var expectedGet = $"${Size}\r\n{value}\r\n";
        for (var i = 0; i < Rounds; i++)
        {
            Assert.Equal(expectedGet, await hog.ReadReplyAsync());
            Assert.Equal("+OK\r\n", await hog.ReadReplyAsync());
        }
        Assert.All(runs, k => Assert.True(store.TryGet(Encoding.ASCII.GetBytes(k), out _)));
    }

    /// <summary>Nodes with 1 MiB frames (the output pauses at 2 MiB) and no output limits: only the session's own bound holds a pipeline back.</summary>
    private static Task<TestCluster> StartBoundOnlyAsync(int nodes) => TestCluster.StartAsync(nodes, o =>
    {
        o.Limits = new ProtocolLimits { MaxFrameSize = 1 << 20 };
        o.ClientHardOutputLimit = 0;
        o.ClientSoftOutputLimit = 0;
    });

    /// <summary>Watches the rounds that ran (their Puts) for 2 s while the client reads nothing: a load can only make fewer run, never more.</summary>
    private static async Task AssertFewerThanHalfRunAsync(int rounds, Func<int> ran)
    {
        var watchUntil = Environment.TickCount64 + 2000;
        while (Environment.TickCount64 < watchUntil)
        {
            var count = ran();
            Assert.True(count < rounds / 2, $"{count} of {rounds} rounds ran with the client reading nothing");
            await Task.Delay(20);
        }
    }
}
