namespace FastDht.LoadGen.Workloads;

/// <summary>The workloads fastdht-loadgen knows, by the name given on its command line.</summary>
public enum WorkloadKind
{
    /// <summary>The classic DHT workload: uniform keys, a mix of Get and PutIfAbsent.</summary>
    Dht,

    /// <summary>YCSB A: 50% read, 50% update, zipfian.</summary>
    YcsbA,

    /// <summary>YCSB B: 95% read, 5% update, zipfian.</summary>
    YcsbB,

    /// <summary>YCSB C: read only, zipfian.</summary>
    YcsbC,

    /// <summary>YCSB F: 50% read, 50% read-modify-write, zipfian.</summary>
    YcsbF,

    /// <summary>Transactions: MultiPut of k keys, with a share of read-only MultiGets.</summary>
    Txn,
}
