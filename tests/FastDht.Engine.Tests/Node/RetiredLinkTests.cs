using System.Text;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Tests.Transactions;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Node;

/// <summary>
/// A link retired as a duplicate (it lost the tie-break to a newer link) closes only once nothing is pending on it
/// either way: its own requests answered, and the peer's requests it serves answered too (docs/known-issues.md).
/// </summary>
public sealed class RetiredLinkTests
{
    [Fact]
    public async Task A_retired_link_answers_a_peer_request_it_is_still_serving_before_it_closes()
    {
        // A forward timeout well past the retirement's grace: it bounds how long a retired link waits for its work.
        await using var cluster = await TestCluster.StartAsync(2, o => o.ForwardTimeout = TimeSpan.FromSeconds(60));
        var key = Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes($"retire:{i}")).First(k => cluster.OwnerOf(k) == 1);
        await Bounded.UntilAsync(
            () => ((IPeerLinks)cluster[0].Core.Mesh).LinkTo(1) is { } a && ((IPeerLinks)cluster[1].Core.Mesh).LinkTo(0) is { } b
                && Equals(a.Connection.LocalEndPoint, b.Connection.RemoteEndPoint),
            "nodes 0 and 1 to keep one link between them");
        var coordinatorSide = ((IPeerLinks)cluster[0].Core.Mesh).LinkTo(1)!;
        var servingSide = cluster[1].Core.Mesh.GetLink(0)!;

        // A client holds the key at node 1 under a young transaction; node 0's older TxnLock waits for it (wait-die: the
        // older waits), so node 1's link owes node 0 an answer it writes later, off its read loop.
        using var client = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));
        var holder = TxnRequests.NewTxn(1);
        Assert.Equal(StatusCode.Ok, (await client.LockAsync(holder, [key], 60_000)).Status);
        var waiting = coordinatorSide.CallAsync(
            new TxnLockRequest(Opcode.TxnLock, new TxnId(1, 0, 1), LockMode.Exclusive, 60_000, [key]), ResponseShape.Body, TimeSpan.FromSeconds(60), 1).AsTask();
        await Bounded.UntilAsync(() => servingSide.Serving > 0, "node 1 to serve the TxnLock (waiting for the key)");

        // Node 1 retires the link as if it had lost a tie-break. Nothing of node 1's own is pending on it, so past the
        // grace the old rule closed it and the TxnLock was lost ("closed its link"). Give it three graces to do that.
        servingSide.Retire();
        await Task.WhenAny(servingSide.Completion, Task.Delay(3 * FastDht.Engine.Mesh.Internal.PeerLink.RetireGrace));
        Assert.False(waiting.IsCompleted, "the TxnLock was answered before its key was free");
        Assert.True(servingSide.IsOpen, "the retired link closed while it still owed node 0 an answer");

        // The key is freed: the waiting TxnLock is granted and its answer reaches node 0 over the retired link, which
        // then closes (nothing pending either way).
        Assert.Equal(StatusCode.Ok, (await client.UnlockAsync(holder, [key])).Status);
        var granted = await waiting.WithinAsync("the TxnLock's answer");
        Assert.True(granted.Status == StatusCode.Ok, $"{granted.Status} {granted.ErrorMessage}");
        await servingSide.Completion.WithinAsync("the retired link to close once drained");
    }
}
