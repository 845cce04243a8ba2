using FastDht.Engine.Mesh.Internal;

namespace FastDht.Engine.UnitTests;

public sealed class CopyPacingTests
{
    [Fact]
    public void A_copy_rests_so_that_it_works_its_duty_cycle_and_longer_when_its_batches_take_longer()
    {
        var pacing = new CopyPacing(0.2, 0);
        Assert.Equal(TimeSpan.FromMilliseconds(4), pacing.RestAfter(TimeSpan.FromMilliseconds(1), 16384, TimeSpan.FromSeconds(1)));
        // A busy target answers later: the same batch's work looks longer, and the copy yields more.
        Assert.Equal(TimeSpan.FromMilliseconds(20), pacing.RestAfter(TimeSpan.FromMilliseconds(5), 16384, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void The_byte_rate_still_bounds_a_copy_whose_batches_are_cheap()
    {
        var pacing = new CopyPacing(0.2, 1 << 20);
        // 1 MiB sent in 0.5 s at 1 MiB/s: 0.5 s ahead, more than the duty cycle's 4 ms.
        Assert.Equal(TimeSpan.FromSeconds(0.5), pacing.RestAfter(TimeSpan.FromMilliseconds(1), 1 << 20, TimeSpan.FromSeconds(0.5)));
        // Behind the rate: the duty cycle alone.
        Assert.Equal(TimeSpan.FromMilliseconds(4), pacing.RestAfter(TimeSpan.FromMilliseconds(1), 1 << 20, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void Without_a_duty_cycle_only_the_byte_rate_rests()
    {
        Assert.Equal(TimeSpan.Zero, new CopyPacing(0, 1 << 20).RestAfter(TimeSpan.FromMilliseconds(3), 1024, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.Zero, new CopyPacing(1, 0).RestAfter(TimeSpan.FromMilliseconds(3), 1024, TimeSpan.FromSeconds(1)));
    }
}
