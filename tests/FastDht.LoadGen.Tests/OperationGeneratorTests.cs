using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

public sealed class OperationGeneratorTests
{
    [Theory]
    [InlineData(WorkloadKind.Dht, OperationKind.Get, 0.5)]
    [InlineData(WorkloadKind.YcsbA, OperationKind.Get, 0.5)]
    [InlineData(WorkloadKind.YcsbB, OperationKind.Get, 0.95)]
    [InlineData(WorkloadKind.YcsbC, OperationKind.Get, 1.0)]
    [InlineData(WorkloadKind.YcsbF, OperationKind.Get, 0.5)]
    public void Mix_proportions_match_the_workload(WorkloadKind kind, OperationKind read, double share)
    {
        var spec = WorkloadSpec.Default(kind);
        var gen = new OperationGenerator(spec, seed: 42, workerIndex: 0);
        Span<long> keys = stackalloc long[1];
        const int n = 100_000;
        var reads = 0;
        var writes = 0;
        for (var i = 0; i < n; i++)
        {
            var op = gen.Next(keys);
            if (op == read) reads++;
            else if (op == spec.WriteKind) writes++;
            Assert.InRange(keys[0], 0, spec.KeyCount - 1);
        }
        Assert.Equal(n, reads + writes);
        Assert.InRange(reads / (double)n, share - 0.01, share + 0.01);
    }

    [Fact]
    public void Transactions_draw_k_distinct_keys_and_the_read_share()
    {
        var spec = WorkloadSpec.Default(WorkloadKind.Txn) with { KeyCount = 20, KeysPerTransaction = 10, ReadShare = 0.25 };
        var gen = new OperationGenerator(spec, 3, 1);
        var keys = new long[10];
        var multiGets = 0;
        for (var i = 0; i < 20_000; i++)
        {
            if (gen.Next(keys) == OperationKind.MultiGet) multiGets++;
            Assert.Equal(10, keys.Distinct().Count());
        }
        Assert.InRange(multiGets / 20_000.0, 0.23, 0.27);
    }

    [Fact]
    public void The_same_seed_gives_the_same_sequence_and_workers_differ()
    {
        static (OperationKind, long)[] Draw(int seed, int worker)
        {
            var gen = new OperationGenerator(WorkloadSpec.Default(WorkloadKind.YcsbA), seed, worker);
            var keys = new long[1];
            var ops = new (OperationKind, long)[1000];
            for (var i = 0; i < ops.Length; i++)
                ops[i] = (gen.Next(keys), keys[0]);
            return ops;
        }
        Assert.Equal(Draw(9, 3), Draw(9, 3));
        Assert.NotEqual(Draw(9, 3), Draw(9, 4));
        Assert.NotEqual(Draw(9, 3), Draw(10, 3));
    }

    [Fact]
    public void Keys_are_sixteen_bytes_like_redis_benchmark()
    {
        Assert.Equal("key:000000000042"u8.ToArray(), KeyFormat.ToArray(42));
        Assert.Equal("key:999999999999"u8.ToArray(), KeyFormat.ToArray(999_999_999_999));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyFormat.ToArray(-1));
    }

    [Fact]
    public void Bad_settings_name_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new OperationGenerator(WorkloadSpec.Default(WorkloadKind.Txn) with { KeyCount = 5 }, 1, 0));
        Assert.Contains("keys per transaction", e.Message, StringComparison.Ordinal);
    }
}
