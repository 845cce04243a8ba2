namespace FastDht.LoadGen.Workloads;

/// <summary>
/// One worker's stream of operations: deterministic for a given (seed, worker index), so the same seed replays the
/// same sequence; every worker owns its generator, so drawing needs no lock and allocates nothing.
/// </summary>
public sealed class OperationGenerator
{
    private readonly WorkloadSpec _spec;
    private readonly IKeyDistribution _keys;
    private readonly Random _random;

    public OperationGenerator(WorkloadSpec spec, int seed, int workerIndex)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        _spec = spec;
        var zipf = new ZipfianGenerator(spec.KeyCount, spec.Zipf);
        _keys = spec.Zipf > 0 ? new ScrambledDistribution(zipf) : zipf;
        // Derive the worker's seed by mixing, not adding: seeds (s, w+1) and (s+1, w) must not collide.
        _random = new Random(HashCode.Combine(seed, workerIndex, 0x5EED));
    }

    public WorkloadSpec Spec => _spec;

    /// <summary>Draws the next operation, writing its key indexes (distinct) into <paramref name="keys"/>.</summary>
    /// <returns>The kind; the number of keys written is <see cref="WorkloadSpec.KeysPerOperation"/>.</returns>
    public OperationKind Next(Span<long> keys)
    {
        var kind = _random.NextDouble() < _spec.ReadShare ? _spec.ReadKind : _spec.WriteKind;
        var count = _spec.KeysPerOperation;
        if (keys.Length < count)
            throw new ArgumentException($"the key buffer holds {keys.Length} keys; this workload draws {count}", nameof(keys));
        for (var i = 0; i < count; i++)
        {
            long k;
            do
            {
                k = _keys.Next(_random);
            }
            while (keys[..i].Contains(k)); // distinct keys: a transaction never lists one key twice
            keys[i] = k;
        }
        return kind;
    }
}
