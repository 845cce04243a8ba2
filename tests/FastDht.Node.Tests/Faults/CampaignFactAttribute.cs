using System.Globalization;
using FastDht.TestUtilities;

namespace FastDht.Node.Tests.Faults;

/// <summary>
/// The long fault campaign: runs only when <c>FASTDHT_FAILOVER_CAMPAIGN</c> gives its duration in seconds
/// (benchmarks/failover-campaign.sh sets it), and where a <see cref="NetworkLab"/> can be built.
/// </summary>
public sealed class CampaignFactAttribute : FactAttribute
{
    public const string Variable = "FASTDHT_FAILOVER_CAMPAIGN";

    public CampaignFactAttribute()
    {
        if (Duration is null)
            Skip = $"the fault campaign runs for as long as {Variable}=SECONDS says (benchmarks/failover-campaign.sh); the CI's fault tests are FailoverFaultTests";
        else if (NetworkLab.WhyUnavailable is { } reason)
            Skip = reason;
    }

    /// <summary>The campaign's duration, or null when it is not asked for.</summary>
    public static TimeSpan? Duration =>
        int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
