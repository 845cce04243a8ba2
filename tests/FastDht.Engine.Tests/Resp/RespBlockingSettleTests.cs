using System.Text;
using FastDht.Engine.Resp.Internal;
using FastDht.Protocol.Resp;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// Which commands' replies wait for the blocked clients a push woke (RespSession.SettleBlockedAsync): only those that
/// may have made the push. A read that merely ran while another connection pushed is answered at once.
/// </summary>
/// <remarks>
/// The decision is tested directly: the wait it guards is bounded (1 s), so a read held by it is only late, and telling
/// late from on time would be a timing assertion. That a push's own reply waits is tested by order, as Redis defines it:
/// the blocked client is served before the pushing connection's next command runs.
/// </remarks>
public sealed class RespBlockingSettleTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_pushed_element_goes_to_the_blocked_client_before_the_pushers_next_command(int owner)
    {
        // Both clients at the key's owner: BLPOP blocks there, and LPUSH + LLEN are pipelined in one write, so only the
        // settle between them makes LLEN see the list the woken BLPOP already emptied (Redis: 0).
        var endPoint = RespCluster.RespOf(Cluster, owner);
        for (var round = 0; round < 3; round++)
        {
            var key = RespCluster.KeyOwnedBy(Cluster, owner, $"settle{round}");
            await using var blocked = await RespTestClient.ConnectAsync(endPoint);
            await using var pusher = await RespTestClient.ConnectAsync(endPoint);
            await blocked.SendAsync(RespTestClient.Encode("BLPOP", key, "0"));
            await WaitUntilBlockedAsync(pusher);
            await pusher.SendAsync(RespTestClient.Encode("LPUSH", key, "v") + RespTestClient.Encode("LLEN", key));
            Assert.Equal(":1\r\n", await pusher.ReadReplyAsync());
            Assert.Equal(":0\r\n", await pusher.ReadReplyAsync());
            var popped = await blocked.ReadReplyAsync();
            Assert.Equal("*2\r\n$" + Encoding.Latin1.GetByteCount(key) + "\r\n" + key + "\r\n$1\r\nv\r\n", popped);
        }
    }

    private static async Task WaitUntilBlockedAsync(RespTestClient c)
    {
        for (var i = 0; i < 400; i++)
        {
            var info = await c.CallAsync("INFO", "clients");
            if (!info.Contains("blocked_clients:0\r\n", StringComparison.Ordinal))
                return;
            await Task.Delay(25);
        }
        Assert.Fail("the BLPOP never showed as blocked in INFO clients");
    }

    [Theory]
    [InlineData(RespCommandKind.LPush)]
    [InlineData(RespCommandKind.RPush)]
    [InlineData(RespCommandKind.LMove)]
    [InlineData(RespCommandKind.ZAdd)]
    [InlineData(RespCommandKind.Set)]
    [InlineData(RespCommandKind.Restore)]
    [InlineData(RespCommandKind.Exec)]
    [InlineData(RespCommandKind.Eval)]
    [InlineData(RespCommandKind.EvalSha)]
    [InlineData(RespCommandKind.EvalRo)]
    public void A_command_that_may_push_waits_for_the_clients_it_woke(RespCommandKind kind) =>
        Assert.True(RespSession.MayPush(kind));

    [Theory]
    [InlineData(RespCommandKind.Get)]
    [InlineData(RespCommandKind.MGet)]
    [InlineData(RespCommandKind.LRange)]
    [InlineData(RespCommandKind.LLen)]
    [InlineData(RespCommandKind.ZRange)]
    [InlineData(RespCommandKind.Ping)]
    [InlineData(RespCommandKind.Multi)]
    [InlineData(RespCommandKind.Subscribe)]
    [InlineData(RespCommandKind.Info)]
    public void A_command_that_cannot_push_is_answered_without_waiting(RespCommandKind kind) =>
        Assert.False(RespSession.MayPush(kind));
}
