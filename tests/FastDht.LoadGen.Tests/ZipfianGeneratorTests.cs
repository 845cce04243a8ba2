using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

public sealed class ZipfianGeneratorTests
{
    [Theory]
    [InlineData(10, 0.0)]
    [InlineData(10, 0.5)]
    [InlineData(10, 0.99)]
    [InlineData(10, 1.0)]
    [InlineData(5, 2.0)]
    [InlineData(50, 0.8)]
    public void Frequencies_match_the_exact_probabilities(int n, double theta)
    {
        const int draws = 400_000;
        var zipf = new ZipfianGenerator(n, theta);
        var random = new Random(12345);
        var counts = new int[n];
        for (var i = 0; i < draws; i++)
            counts[zipf.Next(random)]++;

        // Each observed frequency within 5 standard deviations of a binomial(draws, p): the test fails on a wrong
        // distribution (the shape is checked rank by rank), not on sampling noise (with a fixed seed it is repeatable).
        for (var k = 0; k < n; k++)
        {
            var p = ZipfianGenerator.Probability(n, theta, k);
            var expected = draws * p;
            var sd = Math.Sqrt(draws * p * (1 - p));
            Assert.InRange(counts[k], expected - (5 * sd) - 1, expected + (5 * sd) + 1);
        }
    }

    [Fact]
    public void Higher_theta_concentrates_on_the_first_ranks()
    {
        var random = new Random(7);
        double TopShare(double theta)
        {
            var z = new ZipfianGenerator(1000, theta);
            var top = 0;
            for (var i = 0; i < 100_000; i++)
                if (z.Next(random) < 10) top++;
            return top / 100_000.0;
        }
        var uniform = TopShare(0);
        var mid = TopShare(0.6);
        var skewed = TopShare(0.99);
        Assert.True(uniform < mid && mid < skewed, $"{uniform} < {mid} < {skewed}");
        Assert.InRange(uniform, 0.005, 0.015);
    }

    [Fact]
    public void Ranks_stay_in_range_for_large_key_spaces()
    {
        var z = new ZipfianGenerator(1_000_000_000_000, 0.99);
        var random = new Random(1);
        for (var i = 0; i < 100_000; i++)
            Assert.InRange(z.Next(random), 0, 999_999_999_999);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(1 << 20)]
    public void Scrambling_is_a_permutation(long n)
    {
        var s = new ScrambledDistribution(new ZipfianGenerator(n, 0.99));
        var limit = Math.Min(n, 5000);
        var seen = new HashSet<long>();
        for (long r = 0; r < limit; r++)
        {
            var k = s.Map(r);
            Assert.InRange(k, 0, n - 1);
            Assert.True(seen.Add(k), $"rank {r} collides");
        }
        if (n > 2)
            Assert.NotEqual(1, Math.Abs(s.Map(1) - s.Map(0))); // hot keys are not neighbours
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZipfianGenerator(0, 0.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZipfianGenerator(10, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZipfianGenerator(10, double.NaN));
    }
}
