using FastDht.TestUtilities;

namespace FastDht.Node.Tests.Faults;

/// <summary>A theory that needs hosts of its own (<see cref="NetworkLab"/>): skipped, with the reason, where none can be built (not root, no ip or nftables).</summary>
public sealed class NetworkLabTheoryAttribute : TheoryAttribute
{
    public NetworkLabTheoryAttribute()
    {
        if (NetworkLab.WhyUnavailable is { } reason)
            Skip = reason;
    }
}
