namespace FastDht.LoadGen.Workloads;

/// <summary>A workload fully described: which operations in which proportions, over which keys.</summary>
public sealed record WorkloadSpec
{
    public required WorkloadKind Kind { get; init; }

    /// <summary>Number of distinct keys (the YCSB record count, or the DHT key range).</summary>
    /// <remarks>Defaults to 100,000.</remarks>
    public long KeyCount { get; init; } = 100_000;

    /// <summary>Zipf constant of the key distribution; 0 is uniform.</summary>
    /// <remarks>Defaults to 0 for the DHT workload and 0.99 (YCSB's default) for the others.</remarks>
    public double Zipf { get; init; }

    /// <summary>Value size in bytes.</summary>
    /// <remarks>Defaults to 16, the figure Redis and memcached are usually quoted at.</remarks>
    public int ValueSize { get; init; } = 16;

    /// <summary>Share of reads: Get for the DHT workload (the rest PutIfAbsent), MultiGet for transactions.</summary>
    public double ReadShare { get; init; }

    /// <summary>Keys per MultiPut/MultiGet.</summary>
    /// <remarks>Defaults to 10: with three nodes, a transaction nearly always spans all of them.</remarks>
    public int KeysPerTransaction { get; init; } = 10;

    /// <summary>The standard settings of a workload; callers override with `with { ... }`.</summary>
    public static WorkloadSpec Default(WorkloadKind kind) => kind switch
    {
        WorkloadKind.Dht => new WorkloadSpec { Kind = kind, Zipf = 0, ReadShare = 0.5 },
        WorkloadKind.YcsbA => new WorkloadSpec { Kind = kind, Zipf = 0.99, ReadShare = 0.5 },
        WorkloadKind.YcsbB => new WorkloadSpec { Kind = kind, Zipf = 0.99, ReadShare = 0.95 },
        WorkloadKind.YcsbC => new WorkloadSpec { Kind = kind, Zipf = 0.99, ReadShare = 1.0 },
        WorkloadKind.YcsbF => new WorkloadSpec { Kind = kind, Zipf = 0.99, ReadShare = 0.5 },
        WorkloadKind.Txn => new WorkloadSpec { Kind = kind, Zipf = 0, ReadShare = 0, KeyCount = 10_000 },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The operation drawn when the read-share coin says "write".</summary>
    public OperationKind WriteKind => Kind switch
    {
        WorkloadKind.Dht => OperationKind.PutIfAbsent,
        WorkloadKind.YcsbF => OperationKind.ReadModifyWrite,
        WorkloadKind.Txn => OperationKind.MultiPut,
        _ => OperationKind.Put,
    };

    /// <summary>The operation drawn when the read-share coin says "read".</summary>
    public OperationKind ReadKind => Kind == WorkloadKind.Txn ? OperationKind.MultiGet : OperationKind.Get;

    /// <summary>Keys touched by one operation.</summary>
    public int KeysPerOperation => Kind == WorkloadKind.Txn ? KeysPerTransaction : 1;

    /// <summary>Checks the settings, with a message that names the bad one.</summary>
    public void Validate()
    {
        if (KeyCount < 1)
            throw new ArgumentException($"the key count must be at least 1 (got {KeyCount})");
        if (!(Zipf >= 0) || double.IsInfinity(Zipf))
            throw new ArgumentException($"the zipf constant must be >= 0 (got {Zipf})");
        if (ValueSize < 0)
            throw new ArgumentException($"the value size must be >= 0 (got {ValueSize})");
        if (!(ReadShare is >= 0 and <= 1))
            throw new ArgumentException($"the read share must be within 0..1 (got {ReadShare})");
        if (Kind == WorkloadKind.Txn && (KeysPerTransaction < 1 || KeysPerTransaction > KeyCount))
            throw new ArgumentException($"keys per transaction must be within 1..{KeyCount} (got {KeysPerTransaction})");
    }
}
