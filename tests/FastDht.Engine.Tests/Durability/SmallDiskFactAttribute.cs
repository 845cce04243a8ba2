using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>A fact that needs a real tiny filesystem (<see cref="SmallDisk"/>): skipped, with the reason, where none can be mounted.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.WhyUnavailable is { } reason)
            Skip = reason;
    }
}
