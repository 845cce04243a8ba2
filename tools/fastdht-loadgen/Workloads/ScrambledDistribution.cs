namespace FastDht.LoadGen.Workloads;

/// <summary>
/// Scatters the ranks of another distribution over the key space with a fixed permutation, so the hot keys of a
/// zipfian workload are not neighbours (YCSB's "scrambled zipfian").
/// </summary>
/// <remarks>
/// YCSB hashes the rank, which is not a bijection: colliding ranks merge and the distribution drifts from the one
/// asked for. An affine map k -> (a*k + b) mod n with gcd(a, n) = 1 is a bijection, so every rank keeps its exact
/// probability; a is a large odd constant nudged until it is coprime with n.
/// </remarks>
public sealed class ScrambledDistribution : IKeyDistribution
{
    private readonly IKeyDistribution _inner;
    private readonly UInt128 _a;
    private readonly UInt128 _b;
    private readonly UInt128 _n;

    public ScrambledDistribution(IKeyDistribution inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        var n = (ulong)inner.Count;
        _n = n;
        var a = 0x9E3779B97F4A7C15UL % n; // the 64-bit golden ratio: consecutive ranks land far apart
        if (a == 0)
            a = 1;
        while (Gcd(a, n) != 1)
            a = (a + 1) % n == 0 ? 1 : a + 1;
        _a = a;
        _b = 0x632BE59BD9B4E019UL % n;
    }

    public long Count => _inner.Count;

    public long Next(Random random) => Map(_inner.Next(random));

    /// <summary>The key index a rank is placed at.</summary>
    public long Map(long rank) => (long)(ulong)(((_a * (ulong)rank) + _b) % _n);

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }
}
