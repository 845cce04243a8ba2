using FastDht.Engine.Resp.Internal;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// Which commands' replies wait for the blocked clients a push woke (RespSession.SettleBlockedAsync): only those that
/// may have made the push. A read that merely ran while another connection pushed is answered at once.
/// </summary>
/// <remarks>
/// The decision is tested directly: the wait it guards is bounded (1 s), so a read held by it is only late, and telling
/// late from on time would be a timing assertion. That a push's own reply still waits is list.tcl's (219/0).
/// </remarks>
public sealed class RespBlockingSettleTests
{
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
