using System.Text;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Sessions;

/// <summary>What a peer link may carry: an opcode only clients send is refused (BadRequest), nothing is applied, the link stays up.</summary>
public sealed class PeerLinkRulesTests
{
    private static readonly byte[] Original = "original"u8.ToArray();

    /// <summary>Every opcode only a client may send, from the one table.</summary>
    public static TheoryData<Opcode> ClientOnlyOpcodes()
    {
        var data = new TheoryData<Opcode>();
        for (var b = 0; b < 256; b++)
        {
            if (OpcodeDirections.Of((Opcode)b) == OpcodeDirection.ClientToNode)
                data.Add((Opcode)b);
        }
        return data;
    }

    /// <summary>Sends a well-formed <paramref name="opcode"/> request on <paramref name="key"/> over node 0's link to node 1.</summary>
    private static ValueTask<ResponseResult> SendOverTheLink(FrameSession link, Opcode opcode, byte[] key)
    {
        var timeout = Bounded.Timeout;
        return opcode switch
        {
            Opcode.MultiPut => link.CallAsync(new MultiPutRequest([new KeyValue(key, "evil"u8.ToArray())]), ResponseShape.Body, timeout, 1),
            Opcode.MultiGet => link.CallAsync(new MultiGetRequest([key]), ResponseShape.Body, timeout, 1),
            Opcode.Lock => link.CallAsync(new TxnLockRequest(Opcode.Lock, new TxnId(1000, 0, 1), LockMode.Exclusive, 60_000, [key]), ResponseShape.Body, timeout, 1),
            Opcode.Snapshot => link.CallAsync(new SnapshotRequest(wait: true), ResponseShape.Body, timeout, 1),
            Opcode.MoveSlots => link.CallAsync(new MoveSlotsRequest((ushort)KeySlot.Of(key), (ushort)KeySlot.Of(key), 0), ResponseShape.Body, timeout, 1),
            Opcode.RemoveNode => link.CallAsync(new RemoveNodeRequest(0, forget: true), ResponseShape.Body, timeout, 1),
            _ => throw new InvalidOperationException($"no well-formed body for {opcode}: add one here"),
        };
    }

    [Theory]
    [MemberData(nameof(ClientOnlyOpcodes))]
    public async Task A_client_only_opcode_over_a_peer_link_is_refused_applies_nothing_and_keeps_the_link(Opcode opcode)
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var key = Enumerable.Range(0, 100).Select(i => Encoding.UTF8.GetBytes($"peer:{i}")).First(k => cluster.OwnerOf(k) == 1);
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, Original)).Status);
        // Both nodes may have dialed each other at start: wait until they keep the same one link (the other retired).
        await Bounded.UntilAsync(
            () => ((IPeerLinks)cluster[0].Core.Mesh).LinkTo(1) is { } a && ((IPeerLinks)cluster[1].Core.Mesh).LinkTo(0) is { } b
                && Equals(a.Connection.LocalEndPoint, b.Connection.RemoteEndPoint),
            "nodes 0 and 1 to keep one link between them");
        var link = ((IPeerLinks)cluster[0].Core.Mesh).LinkTo(1);
        Assert.NotNull(link);

        var refused = await SendOverTheLink(link, opcode, key);

        Assert.True(refused.Status == StatusCode.BadRequest, $"{refused.Status} {refused.ErrorMessage}");
        Assert.Contains("clients only", refused.ErrorMessage, StringComparison.Ordinal);
        // Nothing applied: the value is the original and no lock was taken (a plain write goes through).
        Assert.Equal(Original, (await client.GetAsync(key)).Value);
        Assert.False(cluster[1].Core.Locks.IsLocked(key));
        // The link is kept: a node-to-node call on it is answered.
        Assert.Same(link, ((IPeerLinks)cluster[0].Core.Mesh).LinkTo(1));
        var ping = await link.CallAsync(new PingRequest("still-up"u8.ToArray()), ResponseShape.Body, Bounded.Timeout, 1);
        Assert.Equal(StatusCode.Ok, ping.Status);
        Assert.Equal(StatusCode.Ok, (await client.PutAsync(key, "after"u8.ToArray())).Status);
    }
}
