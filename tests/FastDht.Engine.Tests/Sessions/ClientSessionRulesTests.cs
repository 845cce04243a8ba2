using System.Buffers;
using System.Net.Sockets;
using System.Text;
using FastDht.Engine.Tests.Transactions;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Sessions;

/// <summary>What a client connection may send: node-to-node opcodes, FORWARDED and RESPONSE are refused, nothing is applied, the connection is kept.</summary>
public sealed class ClientSessionRulesTests
{
    private static readonly byte[] Original = "original"u8.ToArray();

    /// <summary>Every opcode only a node may send, from the one table.</summary>
    public static TheoryData<Opcode> NodeOnlyOpcodes()
    {
        var data = new TheoryData<Opcode>();
        for (var b = 0; b < 256; b++)
        {
            if (OpcodeDirections.Of((Opcode)b) == OpcodeDirection.NodeToNode)
                data.Add((Opcode)b);
        }
        return data;
    }

    /// <summary>A well-formed request of a node-to-node opcode on <paramref name="key"/>, as a coordinator (or RESP server) would send it.</summary>
    private static void WriteNodeRequest(IBufferWriter<byte> w, uint id, Opcode opcode, TxnId txn, byte[] key)
    {
        ReadOnlyMemory<byte>[] keys = [key];
        switch (opcode)
        {
            case Opcode.TxnLock:
                FrameWriter.WriteTxnLock(w, id, txn, LockMode.Exclusive, 0, 10_000, keys);
                break;
            case Opcode.TxnPrepare:
                FrameWriter.WriteTxnPrepare(w, id, txn, 0, 1, [new TxnMember(0, 1)], [new TxnWrite(key, "evil"u8.ToArray(), 1)]);
                break;
            case Opcode.TxnCommit:
                FrameWriter.WriteTxnCommit(w, id, txn, 0);
                break;
            case Opcode.TxnAbort:
                FrameWriter.WriteTxnAbort(w, id, txn, 0);
                break;
            case Opcode.TxnStatus:
                FrameWriter.WriteTxnStatus(w, id, txn, 0);
                break;
            case Opcode.TxnPin:
                FrameWriter.WriteTxnPin(w, id, txn);
                break;
            case Opcode.TxnWound:
                FrameWriter.WriteTxnWound(w, id, txn);
                break;
            case Opcode.TxnRead:
                FrameWriter.WriteTxnRead(w, id, txn, keys);
                break;
            case Opcode.TxnWaitsFor:
                FrameWriter.WriteTxnWaitsFor(w, id);
                break;
            case Opcode.RespExecute:
                var command = Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{Encoding.ASCII.GetString(key)}\r\n$4\r\nevil\r\n");
                FrameWriter.WriteFrame(w, id, Opcode.RespExecute, FrameFlags.None, StatusCode.Ok, [2, .. command]);
                break;
            case Opcode.ReplicaSync:
                // Epoch 1, a batch of records, position 0, then one put of the key: what a primary streams to its replica.
                var evil = "evil"u8;
                var body = new byte[Engine.Mesh.Internal.ReplicaSyncRequest.PrefixSize + Engine.Keyspace.Internal.StreamRecords.PutSize(key.Length, evil.Length)];
                body[0] = 1;
                Engine.Keyspace.Internal.StreamRecords.WritePut(body.AsSpan(Engine.Mesh.Internal.ReplicaSyncRequest.PrefixSize), key, evil, 0);
                FrameWriter.WriteFrame(w, id, Opcode.ReplicaSync, FrameFlags.None, StatusCode.Ok, body);
                break;
            case Opcode.ClusterPropose:
            case Opcode.ClusterPush:
                // A whole cluster state one epoch up: what a proposer or the Raft leader sends.
                var state = Engine.Cluster.ClusterState.Initial(Engine.Cluster.MemberList.Parse("127.0.0.1:7000")).Next();
                FrameWriter.WriteFrame(w, id, opcode, FrameFlags.None, StatusCode.Ok, Engine.Cluster.Internal.ClusterStateCodec.Encode(state));
                break;
            case Opcode.MigrateKeys:
                // Epoch 1, records, the key's slot, then one put of the key: what a node moving the slot sends.
                var moved = "evil"u8;
                var slot = KeySlot.Of(key);
                var migrate = new byte[Engine.Mesh.Internal.MigrateKeysRequest.PrefixSize + Engine.Keyspace.Internal.StreamRecords.PutSize(key.Length, moved.Length)];
                migrate[0] = 1;
                migrate[9] = (byte)slot;
                migrate[10] = (byte)(slot >> 8);
                migrate[11] = (byte)slot;
                migrate[12] = (byte)(slot >> 8);
                Engine.Keyspace.Internal.StreamRecords.WritePut(migrate.AsSpan(Engine.Mesh.Internal.MigrateKeysRequest.PrefixSize), key, moved, 0);
                FrameWriter.WriteFrame(w, id, Opcode.MigrateKeys, FrameFlags.None, StatusCode.Ok, migrate);
                break;
            case Opcode.ClusterJoin:
                // The address of a node asking to be admitted: what a joining node sends after proving the secret.
                FrameWriter.WriteFrame(w, id, opcode, FrameFlags.None, StatusCode.Ok, [14, 0, .. "127.0.0.1:7009"u8]);
                break;
            case Opcode.LeaseRenew:
                // Epoch 1, trustworthy: a node asking the Raft leader for its serving lease.
                FrameWriter.WriteFrame(w, id, opcode, FrameFlags.None, StatusCode.Ok, [1, 0, 0, 0, 0, 0, 0, 0, 1]);
                break;
            case Opcode.RespPublish:
                // The channel (u32 length + bytes), then the message: a PUBLISH another node broadcasts.
                FrameWriter.WriteFrame(w, id, opcode, FrameFlags.None, StatusCode.Ok, [(byte)key.Length, 0, 0, 0, .. key, .. "evil"u8]);
                break;
            case Opcode.Fragment:
                // One piece carrying a whole Put of the key: what a node sends of a large frame, here small.
                var put = new System.Buffers.ArrayBufferWriter<byte>();
                FrameWriter.WritePut(put, 1, key, "evil"u8);
                FrameWriter.WriteFrame(w, id, opcode, FrameFlags.None, StatusCode.Ok, put.WrittenSpan);
                break;
            default:
                throw new InvalidOperationException($"no well-formed body for {opcode}: add one here");
        }
    }

    [Theory]
    [MemberData(nameof(NodeOnlyOpcodes))]
    public async Task A_node_to_node_opcode_from_a_client_is_refused_changes_nothing_and_keeps_the_connection(Opcode opcode)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var holder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var intruder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var key = "guarded"u8.ToArray();
        Assert.Equal(StatusCode.Ok, (await holder.PutAsync(key, Original)).Status);
        // Another client's lock on the key, under its own transaction id: the intruder names that very transaction.
        var txn = TxnRequests.NewTxn(0);
        Assert.Single((await holder.LockAsync(txn, [key], 60_000)).Tokens());

        var refused = await intruder.RequestAsync((w, id) => WriteNodeRequest(w, id, opcode, txn, key));

        Assert.Equal(StatusCode.BadRequest, refused.Status);
        Assert.Contains("node-to-node", refused.ErrorMessage, StringComparison.Ordinal);
        // Nothing applied: the value is the original and the holder's lock is still there (a plain write is refused).
        Assert.Equal(Original, (await intruder.GetAsync(key)).Value);
        Assert.Equal(StatusCode.Locked, (await intruder.PutAsync(key, "after"u8.ToArray())).Status);
        Assert.Equal(StatusCode.Ok, (await holder.UnlockAsync(txn, [key])).Status);
        Assert.Equal(StatusCode.Ok, (await intruder.PutAsync(key, "after"u8.ToArray())).Status);
    }

    [Fact]
    public async Task A_clients_TxnAbort_at_the_keys_owner_does_not_free_another_clients_lock()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var key = Enumerable.Range(0, 100).Select(i => Encoding.UTF8.GetBytes($"abort:{i}")).First(k => cluster.OwnerOf(k) == 2);
        using var holder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var intruder = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2));
        var txn = TxnRequests.NewTxn(0);
        Assert.Single((await holder.LockAsync(txn, [key], 60_000)).Tokens());

        // The lock is held at node 2 under a coordinator link's session; the intruder talks to node 2 directly.
        var refused = await intruder.RequestAsync((w, id) => FrameWriter.WriteTxnAbort(w, id, txn, 0));
        Assert.Equal(StatusCode.BadRequest, refused.Status);

        Assert.Equal(StatusCode.Locked, (await intruder.PutAsync(key, "stolen"u8.ToArray())).Status);
        Assert.Equal(StatusCode.Ok, (await holder.UnlockAsync(txn, [key])).Status);
    }

    [Fact]
    public async Task A_client_frame_with_FORWARDED_is_refused_and_not_applied()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var key = "forwarded"u8.ToArray();
        var frame = new ArrayBufferWriter<byte>();
        FrameWriter.WritePut(frame, 41, key, "x"u8.ToArray());
        var bytes = frame.WrittenMemory.ToArray();
        bytes[9] |= (byte)FrameFlags.Forwarded;
        await c.SendRawAsync(bytes);

        var r = await c.ReadResponseAsync();
        Assert.NotNull(r);
        Assert.Equal(41u, r.Header.RequestId);
        Assert.Equal(StatusCode.BadRequest, r.Status);
        Assert.Contains("FORWARDED", r.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, (await c.GetAsync(key)).Status);
    }

    [Fact]
    public async Task A_request_with_the_RESPONSE_flag_is_answered_BadRequest_and_the_connection_kept()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        var key = "responded"u8.ToArray();
        var frame = new ArrayBufferWriter<byte>();
        FrameWriter.WritePut(frame, 42, key, "x"u8.ToArray());
        var bytes = frame.WrittenMemory.ToArray();
        bytes[9] |= (byte)FrameFlags.Response;
        await c.SendRawAsync(bytes);

        var r = await c.ReadResponseAsync();
        Assert.NotNull(r);
        Assert.Equal(42u, r.Header.RequestId);
        Assert.Equal(StatusCode.BadRequest, r.Status);
        Assert.Equal(StatusCode.NotFound, (await c.GetAsync(key)).Status);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("fenced")]
    [InlineData("forwarded")]
    public async Task A_Hello_with_a_status_or_a_flag_is_refused_and_the_connection_closed(string defect)
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var frame = new ArrayBufferWriter<byte>();
        FrameWriter.WriteHello(frame, 7, NodeRole.Client, ProtocolConstants.ClientNodeId, "test", "", 1 << 20);
        var bytes = frame.WrittenMemory.ToArray();
        switch (defect)
        {
            case "status":
                bytes[10] = 1;
                break;
            case "fenced":
                bytes[9] = (byte)FrameFlags.Fenced;
                break;
            default:
                bytes[9] = (byte)FrameFlags.Forwarded;
                break;
        }
        await c.SendRawAsync(bytes);

        var r = await c.ReadResponseAsync();
        Assert.NotNull(r);
        Assert.Equal(StatusCode.BadRequest, r.Status);
        Assert.True(await c.IsClosedByNodeAsync());
    }

    [Fact]
    public async Task A_clients_Hello_must_carry_the_client_values()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        var r = await c.RequestAsync((w, id) => FrameWriter.WriteHello(w, id, NodeRole.Client, 3, "test", "wait-die", 1 << 20));
        Assert.Equal(StatusCode.HandshakeRefused, r.Status);
        Assert.Contains("0xFFFF", r.ErrorMessage, StringComparison.Ordinal);
        Assert.True(await c.IsClosedByNodeAsync());

        using var tiny = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0), cluster: null);
        r = await tiny.RequestAsync((w, id) => FrameWriter.WriteHello(w, id, NodeRole.Client, ProtocolConstants.ClientNodeId, "test", "", 100));
        Assert.Equal(StatusCode.HandshakeRefused, r.Status);
        Assert.Contains("maxFrameSize", r.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_half_closes_still_gets_every_answer_it_is_owed()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        byte[] KeyOf(string prefix, int owner) =>
            Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes($"{prefix}:{i}")).First(k => cluster.OwnerOf(k) == owner);
        for (var round = 0; round < 10; round++)
        {
            // Keys on the other nodes: every answer is produced off the read loop, after remote round trips.
            var locked = KeyOf($"half-lock-{round}", 1);
            var written = new[] { KeyOf($"half-put-{round}", 1), KeyOf($"half-put-{round}", 2) };
            var read = new[] { KeyOf($"half-get-{round}", 2), KeyOf($"half-get-{round}", 1) };
            using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
            var txn = TxnRequests.NewTxn(0);
            var batch = new ArrayBufferWriter<byte>();
            FrameWriter.WriteLock(batch, 1, txn, LockMode.Exclusive, 10_000, [locked]);
            FrameWriter.WriteRenewLease(batch, 2, txn, 10_000, [locked]);
            FrameWriter.WriteUnlock(batch, 3, txn, [locked]);
            FrameWriter.WriteMultiPut(batch, 4, Array.ConvertAll(written, k => new KeyValue(k, "v"u8.ToArray())));
            FrameWriter.WriteMultiGet(batch, 5, Array.ConvertAll(read, k => (ReadOnlyMemory<byte>)k));
            await c.SendRawAsync(batch.WrittenMemory);
            c.Socket.Shutdown(SocketShutdown.Send);

            var answered = new Dictionary<uint, StatusCode>();
            while (await c.ReadResponseAsync() is { } r)
                answered[r.Header.RequestId] = r.Status;
            Assert.Equal(new uint[] { 1, 2, 3, 4, 5 }, answered.Keys.Order().ToArray());
            Assert.All(answered.Values, s => Assert.Equal(StatusCode.Ok, s));
        }
    }
}
