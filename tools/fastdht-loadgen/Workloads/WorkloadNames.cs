namespace FastDht.LoadGen.Workloads;

/// <summary>The command-line names of the workloads ("dht", "ycsb-a", ..., "txn") and back.</summary>
public static class WorkloadNames
{
    /// <summary>Every name, in the order the help text lists them.</summary>
    public static IReadOnlyList<string> All { get; } = ["dht", "ycsb-a", "ycsb-b", "ycsb-c", "ycsb-f", "txn"];

    public static string Of(WorkloadKind kind) => kind switch
    {
        WorkloadKind.Dht => "dht",
        WorkloadKind.YcsbA => "ycsb-a",
        WorkloadKind.YcsbB => "ycsb-b",
        WorkloadKind.YcsbC => "ycsb-c",
        WorkloadKind.YcsbF => "ycsb-f",
        WorkloadKind.Txn => "txn",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses a name, case-insensitively; "ycsba" and "ycsb-a" both work.</summary>
    public static bool TryParse(string name, out WorkloadKind kind)
    {
        foreach (var candidate in Enum.GetValues<WorkloadKind>())
        {
            var canonical = Of(candidate);
            if (string.Equals(name, canonical, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, canonical.Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }
        kind = default;
        return false;
    }
}
