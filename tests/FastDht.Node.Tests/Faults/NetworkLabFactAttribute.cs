using FastDht.TestUtilities;

namespace FastDht.Node.Tests.Faults;

/// <summary>A fact that needs hosts of its own (<see cref="NetworkLab"/>): skipped, with the reason, where none can be built (not root, no ip or nftables).</summary>
public sealed class NetworkLabFactAttribute : FactAttribute
{
    public NetworkLabFactAttribute()
    {
        if (NetworkLab.WhyUnavailable is { } reason)
            Skip = reason;
    }
}
