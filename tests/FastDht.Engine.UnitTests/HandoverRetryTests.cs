using FastDht.Engine.Cluster.Internal;

namespace FastDht.Engine.UnitTests;

public sealed class HandoverRetryTests
{
    [Fact]
    public void A_handover_is_tried_again_every_millisecond_first_then_at_doubling_pauses_up_to_32_ms()
    {
        // The first tries 1 ms apart: a request that met the mark is answered within about a millisecond of the
        // handover's end (the doubling from the first try answered a 9 ms handover at 15 ms).
        for (var attempt = 0; attempt < 8; attempt++)
            Assert.Equal(1, HandoverRetry.DelayMs(attempt));
        Assert.Equal([2, 4, 8, 16, 32, 32], [HandoverRetry.DelayMs(8), HandoverRetry.DelayMs(9), HandoverRetry.DelayMs(10), HandoverRetry.DelayMs(11), HandoverRetry.DelayMs(12), HandoverRetry.DelayMs(HandoverRetry.Attempts - 1)]);
    }

    [Fact]
    public void The_tries_still_wait_about_two_seconds_in_all_before_the_refusal()
    {
        var total = 0;
        for (var attempt = 0; attempt < HandoverRetry.Attempts; attempt++)
            total += HandoverRetry.DelayMs(attempt);
        Assert.InRange(total, 2_000, 2_200);
    }
}
