using System.Collections.Concurrent;
using FastDht.Engine.Client;
using FastDht.Engine.Node;
using FastDht.LoadGen.Progress;
using FastDht.LoadGen.Reporting;
using FastDht.LoadGen.Running;
using FastDht.LoadGen.Workloads;

namespace FastDht.LoadGen.Tests;

/// <summary>The rebalance run's check that no acknowledged write is lost: a read that misses a key known written is a failure, not a miss.</summary>
public sealed class WrittenKeysTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_key_is_known_once_added_and_keys_outside_the_range_never_are()
    {
        var keys = new WrittenKeys(100);
        Assert.False(keys.CheckRead(5));
        keys.Add(5);
        keys.Add(5);
        keys.Add(100); // outside: ignored
        Assert.True(keys.CheckRead(5));
        Assert.False(keys.CheckRead(6));
        Assert.False(keys.CheckRead(100));
        Assert.False(keys.CheckRead(-1));
        Assert.Equal(1, keys.CheckedReads);
    }

    [Fact]
    public async Task A_read_that_finds_nothing_for_a_key_written_before_it_is_a_failed_LostWrite()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { NodeCount = 1 });
        var options = new DhtClientOptions();
        foreach (var seed in cluster.Seeds)
            options.Seeds.Add(seed);
        await using var client = await DhtClient.ConnectAsync(options);
        var statistics = new RunStatistics { Failures = new ConcurrentQueue<FailedOperation>() };
        var control = new RunControl();
        control.BeginMeasuring(null);
        var written = new WrittenKeys(20);
        var spec = WorkloadSpec.Default(WorkloadKind.Dht) with { KeyCount = 20 };
        var worker = new Worker(client, spec, 7, 0, statistics, control, new LoadProgress(statistics, null, null, 0), written: written).RunAsync();
        try
        {
            await UntilAsync(() => written.CheckedReads >= 50, "reads of written keys");
            Assert.Empty(statistics.Failures); // nothing lost yet: every checked read found its key

            // The keys vanish behind the workload's back (as a lost write would): its next reads of them must fail.
            var key = new byte[KeyFormat.Length];
            for (var i = 0; i < 20; i++)
            {
                KeyFormat.Write(i, key);
                await client.DeleteAsync(key);
            }
            await UntilAsync(() => !statistics.Failures.IsEmpty, "a lost write to be seen");
        }
        finally
        {
            control.Stop();
            await worker.WaitAsync(Bound);
        }
        var lost = Assert.Single(statistics.Failures.Take(1));
        Assert.Equal(OperationKind.Get, lost.Kind);
        Assert.Equal(ErrorKinds.LostWrite, lost.ErrorKind);
        Assert.Contains("read nothing", lost.Message);
        Assert.Equal(statistics.Failures.Count, statistics.ErrorCount);
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
