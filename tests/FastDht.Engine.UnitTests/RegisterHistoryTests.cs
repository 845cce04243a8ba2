using FastDht.TestUtilities.Jepsen;

namespace FastDht.Engine.UnitTests;

/// <summary>The fault tests' checker: it must pass correct histories and name every lost write, stale read and invented value.</summary>
public sealed class RegisterHistoryTests
{
    [Fact]
    public void A_history_where_every_read_sees_the_last_acknowledged_write_or_a_concurrent_one_passes()
    {
        var h = new RegisterHistory();
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        h.Read("k", 1, invoked: 21, completed: 22);
        h.Write("k", 2, invoked: 30, completed: 40, acknowledged: true);
        h.Read("k", 1, invoked: 31, completed: 35); // concurrent with write 2: either value
        h.Read("k", 2, invoked: 32, completed: 36);
        h.Read("k", 2, invoked: 41, completed: 42);
        h.Read("other", 0, invoked: 1, completed: 2); // never written: absent
        Assert.Empty(h.Check());
        Assert.Equal((2, 0, 5), h.Counts());
    }

    [Fact]
    public void A_write_in_doubt_may_be_seen_or_not_until_the_next_acknowledged_write()
    {
        var h = new RegisterHistory();
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        h.Write("k", 2, invoked: 30, completed: 40, acknowledged: false);
        h.Read("k", 2, invoked: 41, completed: 42);
        h.Read("k", 1, invoked: 43, completed: 44);
        Assert.Empty(h.Check());
        Assert.Equal((1, 1, 2), h.Counts());

        h.Write("k", 3, invoked: 50, completed: 60, acknowledged: true);
        h.Read("k", 2, invoked: 61, completed: 62);
        Assert.Equal(["k: a read found value 2, older than write 3 acknowledged before it began (stale or lost)"], h.Check());
    }

    [Fact]
    public void A_lost_acknowledged_write_is_named()
    {
        var h = new RegisterHistory();
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        h.Read("k", 0, invoked: 30, completed: 31);
        Assert.Equal(["k: a read found nothing, but write 1 was acknowledged before it began (lost)"], h.Check());
    }

    [Fact]
    public void A_stale_read_is_named()
    {
        var h = new RegisterHistory();
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        h.Write("k", 2, invoked: 21, completed: 30, acknowledged: true);
        h.Read("k", 1, invoked: 31, completed: 32);
        Assert.Single(h.Check());
    }

    [Fact]
    public void A_value_read_before_anyone_wrote_it_is_named()
    {
        var h = new RegisterHistory();
        h.Read("k", 1, invoked: 1, completed: 5);
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        Assert.Equal(["k: a read found value 1, which was not written before the read ended (newest: 0)"], h.Check());
    }

    [Fact]
    public void Overlapping_writes_of_one_key_break_the_model_and_are_named()
    {
        var h = new RegisterHistory();
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        h.Write("k", 2, invoked: 15, completed: 25, acknowledged: true);
        Assert.Single(h.Check());
    }

    [Fact]
    public void Progress_since_a_moment_counts_acknowledged_writes_invoked_after_it()
    {
        var h = new RegisterHistory();
        h.Write("k", 1, invoked: 10, completed: 20, acknowledged: true);
        h.Write("k", 2, invoked: 30, completed: 40, acknowledged: false);
        h.Write("k", 3, invoked: 50, completed: 60, acknowledged: true);
        h.Read("k", 3, invoked: 61, completed: 62);
        Assert.Equal(1, h.AcknowledgedSince(25));
        Assert.Equal(2, h.AcknowledgedSince(5));
    }
}
