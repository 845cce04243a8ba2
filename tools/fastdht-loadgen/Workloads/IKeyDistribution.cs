namespace FastDht.LoadGen.Workloads;

/// <summary>A distribution of key indexes in 0..Count-1, drawn from a caller-owned (per-worker, seeded) Random.</summary>
public interface IKeyDistribution
{
    long Count { get; }

    long Next(Random random);
}
