using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen;

/// <summary>Everything one load-generator run needs: the workload, the target, the concurrency and the run length.</summary>
public sealed record LoadSettings
{
    /// <summary>What to run.</summary>
    public required WorkloadSpec Workload { get; init; }

    /// <summary>Addresses (host:port) of a running cluster's nodes; empty starts a local cluster instead.</summary>
    /// <remarks>Defaults to empty: a local cluster of <see cref="LocalNodes"/> in-process nodes on 127.0.0.1.</remarks>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>Nodes of the local cluster (ignored when <see cref="Nodes"/> is given).</summary>
    /// <remarks>Defaults to 3: the smallest cluster where a transaction's keys routinely span several nodes.</remarks>
    public int LocalNodes { get; init; } = 3;

    /// <summary>The cluster name presented in the handshake.</summary>
    /// <remarks>Defaults to "fastdht", the name fastdht-node starts with.</remarks>
    public string ClusterName { get; init; } = "fastdht";

    /// <summary>The lock strategy of the local cluster (a running cluster keeps its own).</summary>
    /// <remarks>Defaults to "wait-die", the node's default.</remarks>
    public string LockStrategy { get; init; } = "wait-die";

    /// <summary>
    /// The round trip every link of the local cluster gets (peer links and client links), from a relay in front of each
    /// node that delays each byte by half of it each way; null for direct loopback connections.
    /// </summary>
    /// <remarks>Defaults to null. Zero still puts the relays in (their own hop and no delay), so a sweep over round
    /// trips compares like with like.</remarks>
    public TimeSpan? LinkRoundTrip { get; init; }

    /// <summary>A folder under which each node of the local cluster keeps its data (<c>node0</c>, <c>node1</c>, ...): every write is logged.</summary>
    /// <remarks>Defaults to null: the local cluster keeps its keys in memory only. Refused for a running cluster, which keeps its own.</remarks>
    public string? DataDir { get; init; }

    /// <summary>The local cluster's fsync policy with <see cref="DataDir"/>.</summary>
    /// <remarks>Defaults to <see cref="Storage.Durability.FsyncPolicy.Always"/>, the node's default.</remarks>
    public Storage.Durability.FsyncPolicy Fsync { get; init; } = Storage.Durability.FsyncPolicy.Always;

    /// <summary>Client connections: one DhtClient each, which holds one socket per node.</summary>
    /// <remarks>Defaults to 4: enough to keep several node read loops busy without one client being the bottleneck.</remarks>
    public int Connections { get; init; } = 4;

    /// <summary>Requests in flight per connection: the number of worker loops that share one client.</summary>
    /// <remarks>Defaults to 16: deep enough for the client's batched writes to pay off (4 x 16 = 64 in flight in all).</remarks>
    public int InFlightPerConnection { get; init; } = 16;

    /// <summary>Requests each worker sends together as one <see cref="Engine.Client.DhtBatch"/>, awaiting them all before the next round.</summary>
    /// <remarks>
    /// Defaults to 1: each request is sent on its own and awaited (one ValueTask each). Above 1 a worker's requests go out
    /// under one writer-lock hold per node with one flush and complete together, so the client costs no task per
    /// request; each request's latency is its batch's. Single-key workloads only (dht, ycsb-a to ycsb-d); at most
    /// <see cref="Engine.Client.DhtBatch.MaxCount"/>.
    /// </remarks>
    public int Batch { get; init; } = 1;

    /// <summary>The engine that moves the bytes of the clients' connections (<see cref="Engine.Client.DhtClientOptions.SocketEngine"/>).</summary>
    /// <remarks>Defaults to the runtime's.</remarks>
    public Engine.Transport.SocketEngineKind SocketEngine { get; init; }

    /// <summary>Length of the measured window, when <see cref="OperationCount"/> is not set.</summary>
    /// <remarks>Defaults to 10 s.</remarks>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Run exactly this many measured operations instead of running for <see cref="Duration"/>.</summary>
    /// <remarks>Defaults to null (run for a duration).</remarks>
    public long? OperationCount { get; init; }

    /// <summary>Time the workload runs unmeasured first, so connections, JIT and caches are warm.</summary>
    /// <remarks>Defaults to 2 s.</remarks>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Seed of every worker's operation stream: the same seed replays the same operations.</summary>
    /// <remarks>Defaults to 42.</remarks>
    public int Seed { get; init; } = 42;

    /// <summary>How long a request may go unanswered before it counts as a Timeout error.</summary>
    /// <remarks>Defaults to 5 s, the client's default.</remarks>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Total worker loops.</summary>
    public int Workers => Connections * InFlightPerConnection;

    /// <summary>True when the run starts (and stops) its own cluster.</summary>
    public bool IsLocal => Nodes.Count == 0;

    /// <summary>Checks the settings, with a message that names the bad one.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        Workload.Validate();
        if (!IsLocal && DataDir is not null)
            throw new ArgumentException("--data-dir sets the data folder of the local cluster; a running cluster (--node) keeps its own");
        if (IsLocal && LocalNodes is < 1 or > 64)
            throw new ArgumentException($"the local cluster takes 1 to 64 nodes (got {LocalNodes})");
        if (Connections < 1)
            throw new ArgumentException($"connections must be at least 1 (got {Connections})");
        if (InFlightPerConnection < 1)
            throw new ArgumentException($"requests in flight per connection must be at least 1 (got {InFlightPerConnection})");
        if (Batch < 1 || Batch > Engine.Client.DhtBatch.MaxCount)
            throw new ArgumentException($"the batch takes 1 to {Engine.Client.DhtBatch.MaxCount} requests (got {Batch})");
        if (Batch > 1 && (Workload.KeysPerOperation != 1 || Workload.WriteKind == OperationKind.ReadModifyWrite))
            throw new ArgumentException($"--batch sends single-key requests; the {WorkloadNames.Of(Workload.Kind)} workload's operations are not (use dht or ycsb-a to ycsb-d)");
        if (OperationCount is { } count && count < 1)
            throw new ArgumentException($"the operation count must be at least 1 (got {count})");
        if (OperationCount is null && Duration <= TimeSpan.Zero)
            throw new ArgumentException($"the duration must be positive (got {Duration})");
        if (Warmup < TimeSpan.Zero)
            throw new ArgumentException($"the warm-up cannot be negative (got {Warmup})");
        if (LinkRoundTrip is { } rtt && (rtt < TimeSpan.Zero || rtt > TimeSpan.FromSeconds(1)))
            throw new ArgumentException($"the link round trip must be 0 to 1 s (got {rtt})");
        if (LinkRoundTrip is not null && !IsLocal)
            throw new ArgumentException("a link round trip applies to the local cluster only; a running cluster's links are what they are");
        if (RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"the request timeout must be positive (got {RequestTimeout})");
    }
}
