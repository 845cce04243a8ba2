using System.Text;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>Wound-wait across nodes: a wound at one node reaches the victim's coordinator on another, which aborts it everywhere.</summary>
public sealed class WoundFlowTests
{
    [Fact]
    public async Task An_older_transaction_wounds_a_younger_waiting_one_through_its_coordinator()
    {
        await using var cluster = await TestCluster.StartAsync(3, o => o.LockStrategy = "wound-wait");
        byte[]? a = null, b = null;
        for (var i = 0; a is null || b is null; i++)
        {
            var key = Encoding.UTF8.GetBytes($"wound:{i}");
            var owner = cluster.OwnerOf(key);
            if (owner == 1)
                a ??= key;
            else if (owner == 0)
                b ??= key;
        }

        // Ages are chosen, not drawn from clocks: Z oldest, then O, then Y.
        var z = new TxnId(1_000, 0, 1);
        var o = new TxnId(2_000, 0, 2);
        var y = new TxnId(3_000, 2, 3);
        using var zClient = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var oClient = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        using var yClient = await NativeTestClient.ConnectAsync(cluster.EndPointOf(2));
        using var probe = await NativeTestClient.ConnectAsync(cluster.EndPointOf(1));

        (await zClient.LockAsync(z, [b], 60_000)).Tokens();
        // Y (coordinated by node 2) gets a at node 1, then waits for b behind the older Z at node 0.
        var yLock = yClient.LockAsync(y, [a, b], 60_000);
        for (var i = 0; i < 400 && (await probe.PutAsync(a, "x"u8.ToArray())).Status != StatusCode.Locked; i++)
            await Task.Delay(25);
        Assert.Equal(StatusCode.Locked, (await probe.PutAsync(a, "x"u8.ToArray())).Status);

        // O is older than Y: at node 1 it wounds Y; node 1 tells node 2, which aborts Y at every node, freeing a.
        // Without the wound reaching node 2, O would wait for Y's 60 s lease, past this test's bound.
        var oTokens = (await oClient.LockAsync(o, [a], 60_000).WithinAsync("the older transaction to get the key")).Tokens();
        Assert.Single(oTokens);
        var yResult = await yLock.WithinAsync("the wounded transaction's answer");
        Assert.Equal(StatusCode.Wounded, yResult.Status);
        Assert.Equal(StatusCode.Ok, (await oClient.FencedPutAsync(a, "o"u8.ToArray(), oTokens[0])).Status);
    }
}
