namespace FastDht.LoadGen.Workloads;

/// <summary>What one load-generator operation does; each kind gets its own latency histogram in the report.</summary>
public enum OperationKind
{
    /// <summary>Read one key (found or missing).</summary>
    Get,

    /// <summary>Upsert one key (YCSB "update").</summary>
    Put,

    /// <summary>Store one key only if absent (the classic DHT "put" that counts successes).</summary>
    PutIfAbsent,

    /// <summary>Read a key, then write it back (YCSB workload F); timed as one operation.</summary>
    ReadModifyWrite,

    /// <summary>An atomic write of several keys across nodes (a transaction).</summary>
    MultiPut,

    /// <summary>A read of several keys under shared locks (a read-only transaction).</summary>
    MultiGet,
}
