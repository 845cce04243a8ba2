namespace FastDht.LoadGen.Reporting;

/// <summary>The result of one load-generator run: what ran, against what, and what it measured.</summary>
/// <remarks>This record is the JSON schema of `--json FILE`; renaming a property is a breaking change for scripts.</remarks>
public sealed record LoadReport
{
    public required string Workload { get; init; }

    public required string Target { get; init; }

    public required string LockStrategy { get; init; }

    public required int Connections { get; init; }

    public required int InFlightPerConnection { get; init; }

    /// <summary>Requests each worker sent together as one batch (1: each on its own).</summary>
    public int Batch { get; init; } = 1;

    public required long KeyCount { get; init; }

    public required double Zipf { get; init; }

    public required int ValueSize { get; init; }

    public required int Seed { get; init; }

    public required double WarmupSeconds { get; init; }

    /// <summary>Records the load phase inserted (YCSB workloads); absent for workloads without a load phase.</summary>
    public long? LoadedRecords { get; init; }

    /// <summary>Length of the measured window (after warm-up), in seconds.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>True when Ctrl+C ended the run before its planned end.</summary>
    public required bool StoppedEarly { get; init; }

    public required long Operations { get; init; }

    public required long Successes { get; init; }

    public required long Misses { get; init; }

    public required long Errors { get; init; }

    /// <summary>Operations per second over the measured window.</summary>
    public required double Throughput { get; init; }

    public required IReadOnlyList<OperationReport> ByOperation { get; init; }

    /// <summary>Present for workloads that run transactions.</summary>
    public TransactionReport? Transactions { get; init; }

    /// <summary>Failed operations by error kind (for example "Timeout", "NodeUnavailable").</summary>
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }
}
