using FastDht.Engine.Consensus.Internal;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The Raft leader lease by this node's own clock (docs/replication.md, "No split brain"): a library token that a late
/// timer has not cancelled yet no longer keeps the lease once the lower election timeout has passed since the clock read
/// before the last heartbeat round a majority answered.
/// </summary>
public sealed class LeaderLeaseBoundTests
{
    private static readonly TimeSpan Length = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void A_token_never_cancelled_holds_only_until_the_last_confirmed_round_plus_the_election_timeout()
    {
        var bound = new LeaderLeaseBound();
        var late = CancellationToken.None; // a token whose timer never ran: what a starved thread pool looks like
        Assert.False(bound.Holds(late, 0), "nothing confirmed yet");
        bound.Confirmed(1_000, Length);
        Assert.True(bound.Holds(late, 1_000));
        Assert.True(bound.Holds(late, 1_249));
        Assert.False(bound.Holds(late, 1_250));
        Assert.False(bound.Holds(late, 60_000));
    }

    [Fact]
    public void A_cancelled_token_ends_the_lease_within_the_bound_and_an_older_confirmation_never_shortens_it()
    {
        var bound = new LeaderLeaseBound();
        bound.Confirmed(1_000, Length);
        Assert.False(bound.Holds(new CancellationToken(canceled: true), 1_100));
        bound.Confirmed(900, Length); // a round asked for earlier that answered later
        Assert.Equal(1_250, bound.UntilMs);
        bound.Confirmed(1_100, Length);
        Assert.True(bound.Holds(CancellationToken.None, 1_300));
    }
}
