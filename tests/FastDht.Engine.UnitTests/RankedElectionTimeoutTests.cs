using FastDht.Engine.Consensus.Internal;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// Election timeouts by rank (docs/replication.md, "Election timeouts by rank"): every voter draws its own timeout from a
/// slot of the range between the bounds, by its place among the voters, so two survivors of a leader never time out
/// within a message's delay of each other, and the later one's candidacy ends before the earlier one retries.
/// </summary>
public sealed class RankedElectionTimeoutTests
{
    private static ConsensusSettings Settings(int lowerMs) =>
        new(TimeSpan.FromMilliseconds(lowerMs), TimeSpan.FromMilliseconds(lowerMs * 2), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), null, TimeSpan.Zero);

    [Theory]
    [InlineData(250)]
    [InlineData(300)]
    [InlineData(10)]
    public void Every_rank_draws_within_the_bounds_and_apart_from_every_other_rank(int lowerMs)
    {
        var settings = Settings(lowerMs);
        var slots = Enumerable.Range(0, ConsensusSettings.RankSlots).Select(settings.RankedElectionTimeout).ToArray();
        foreach (var (lower, upper) in slots)
        {
            Assert.True(lower >= settings.LowerElectionTimeout, $"a rank draws from {lower}, below the lower bound the lease argument rests on");
            Assert.True(upper <= settings.UpperElectionTimeout, $"a rank draws up to {upper}, above the upper bound");
            Assert.True(upper > lower, "each rank keeps some jitter (two voters that share a rank still draw apart)");
        }
        for (var r = 1; r < slots.Length; r++)
        {
            var gap = slots[r].Lower - slots[r - 1].Upper;
            Assert.True(gap >= (settings.UpperElectionTimeout - settings.LowerElectionTimeout) / ConsensusSettings.RankSlots / 2,
                $"ranks {r - 1} and {r} may draw only {gap.TotalMilliseconds} ms apart");
        }
        // A retry of a failed pre-vote comes at least twice the lower timeout after the last heartbeat: after the fourth
        // rank's whole slot, the latest a survivor a majority of five voters needs times out.
        Assert.True(slots[3].Upper < settings.LowerElectionTimeout * 2);
    }

    [Fact]
    public void Ranks_beyond_the_slots_take_the_last_and_a_rank_is_a_voter_s_place_in_id_order()
    {
        var settings = Settings(250);
        Assert.Equal(settings.RankedElectionTimeout(ConsensusSettings.RankSlots - 1), settings.RankedElectionTimeout(7));
        Assert.Equal(settings.RankedElectionTimeout(0), settings.RankedElectionTimeout(-1));
        Assert.Equal((TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(275)), settings.RankedElectionTimeout(0));
        Assert.Equal((TimeSpan.FromMilliseconds(350), TimeSpan.FromMilliseconds(375)), settings.RankedElectionTimeout(2));

        ushort[] voters = [4, 1, 9];
        Assert.Equal(0, RaftGroup.RankOf(voters, 1));
        Assert.Equal(1, RaftGroup.RankOf(voters, 4));
        Assert.Equal(2, RaftGroup.RankOf(voters, 9));
    }
}
