using FastDht.LoadGen.Running;

namespace FastDht.LoadGen.Tests;

public sealed class RunControlTests
{
    [Fact]
    public void Warm_up_operations_are_unmeasured_and_a_count_admits_exactly_that_many()
    {
        var control = new RunControl();
        Assert.True(control.TryBegin(out var measured));
        Assert.False(measured);

        control.BeginMeasuring(3);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(control.TryBegin(out measured));
            Assert.True(measured);
        }
        Assert.False(control.TryBegin(out _));
        Assert.False(control.TryBegin(out _));
    }

    [Fact]
    public void A_count_is_exact_under_concurrent_workers()
    {
        var control = new RunControl();
        control.BeginMeasuring(10_000);
        var admitted = 0;
        Parallel.For(0, 8, _ =>
        {
            while (control.TryBegin(out var measured))
            {
                Assert.True(measured);
                Interlocked.Increment(ref admitted);
            }
        });
        Assert.Equal(10_000, admitted);
    }

    [Fact]
    public void Stop_ends_a_duration_run()
    {
        var control = new RunControl();
        control.BeginMeasuring(null);
        Assert.True(control.TryBegin(out var measured));
        Assert.True(measured);
        control.Stop();
        Assert.False(control.TryBegin(out _));
        Assert.True(control.IsStopped);
    }
}
