using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>A theory that needs a real tiny filesystem (<see cref="SmallDisk"/>): skipped, with the reason, where none can be mounted.</summary>
public sealed class SmallDiskTheoryAttribute : TheoryAttribute
{
    public SmallDiskTheoryAttribute()
    {
        if (SmallDisk.WhyUnavailable is { } reason)
            Skip = reason;
    }
}
