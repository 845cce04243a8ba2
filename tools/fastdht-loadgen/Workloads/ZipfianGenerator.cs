namespace FastDht.LoadGen.Workloads;

/// <summary>
/// Draws ranks 0..n-1 with P(rank = k) proportional to 1 / (k + 1)^theta, exactly, in O(1) time and memory per draw.
/// </summary>
/// <remarks>
/// Rejection-inversion sampling (Hörmann and Derflinger, "Rejection-inversion to generate variates from monotone
/// discrete distributions", 1996; the sampler Apache Commons uses). YCSB's generator (Gray et al. 1994) is an
/// approximation that is exact only for the first two ranks; this one is exact for every rank and every theta &gt; 0,
/// including theta = 1, and needs no O(n) zeta precomputation, so a billion-key space costs nothing to set up.
/// theta = 0 is the uniform distribution and is drawn directly.
/// </remarks>
public sealed class ZipfianGenerator : IKeyDistribution
{
    private readonly long _n;
    private readonly double _theta;
    private readonly double _hIntegralX1;
    private readonly double _hIntegralN;
    private readonly double _s;

    public ZipfianGenerator(long n, double theta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (!(theta >= 0) || double.IsInfinity(theta))
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "the zipf constant must be a finite number >= 0");
        _n = n;
        _theta = theta;
        if (theta > 0)
        {
            _hIntegralX1 = HIntegral(1.5) - 1.0;
            _hIntegralN = HIntegral(n + 0.5);
            _s = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
        }
    }

    public long Count => _n;

    public double Theta => _theta;

    /// <summary>The next rank in 0..n-1; rank 0 is the most popular.</summary>
    public long Next(Random random)
    {
        if (_theta == 0)
            return random.NextInt64(_n);
        while (true)
        {
            // u is uniform in (hIntegral(1.5) - 1, hIntegral(n + 0.5)].
            var u = _hIntegralN + (random.NextDouble() * (_hIntegralX1 - _hIntegralN));
            var x = HIntegralInverse(u);
            var k = (long)(x + 0.5);
            if (k < 1)
                k = 1;
            else if (k > _n)
                k = _n;
            if (k - x <= _s || u >= HIntegral(k + 0.5) - H(k))
                return k - 1;
        }
    }

    /// <summary>The exact probability of a rank, for tests and reports: (1/(k+1)^theta) / H(n, theta).</summary>
    public static double Probability(long n, double theta, long rank)
    {
        var sum = 0.0;
        for (long i = 1; i <= n; i++)
            sum += Math.Pow(i, -theta);
        return Math.Pow(rank + 1, -theta) / sum;
    }

    private double H(double x) => Math.Exp(-_theta * Math.Log(x));

    // The integral of h from 1 to x, up to a constant: (x^(1-theta) - 1) / (1 - theta), or log(x) when theta = 1,
    // computed through helper functions that stay accurate as theta approaches 1.
    private double HIntegral(double x)
    {
        var logX = Math.Log(x);
        return Helper2((1.0 - _theta) * logX) * logX;
    }

    private double HIntegralInverse(double x)
    {
        var t = x * (1.0 - _theta);
        if (t < -1.0)
            t = -1.0; // numerical noise can push it just below the domain
        return Math.Exp(Helper1(t) * x);
    }

    // log(1 + x) / x, with its series near 0 where the quotient loses precision.
    private static double Helper1(double x) =>
        Math.Abs(x) > 1e-8 ? double.LogP1(x) / x : 1.0 - (x * ((1.0 / 2.0) - (x * ((1.0 / 3.0) - (x * (1.0 / 4.0))))));

    // (exp(x) - 1) / x, likewise.
    private static double Helper2(double x) =>
        Math.Abs(x) > 1e-8 ? double.ExpM1(x) / x : 1.0 + (x * (1.0 / 2.0) * (1.0 + (x * (1.0 / 3.0) * (1.0 + (x * (1.0 / 4.0))))));
}
