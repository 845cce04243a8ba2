using Xunit.Abstractions;
using System.Globalization;
using FastDht.TestUtilities;
using FastDht.TestUtilities.Jepsen;

namespace FastDht.Node.Tests.Faults;

/// <summary>
/// The long version of <see cref="FailoverFaultTests"/> (benchmarks/failover-campaign.sh): round after round, a random
/// fault (SIGKILL then restart, SIGSTOP then SIGCONT, or a partition then heal) strikes a random node of a 3-node
/// cluster for a random 0.5-4 s while clients write and read registers over every node's range; every round's history
/// is checked (fresh keys each round, so the model's one-writer rule holds) and the cluster must be whole again before
/// the next round.
/// </summary>
public sealed class FailoverCampaignTests(ITestOutputHelper output)
{
    private const int Nodes = 3;

    [CampaignFact]
    public async Task Random_faults_lose_no_acknowledged_write_and_serve_no_stale_read()
    {
        var duration = CampaignFactAttribute.Duration!.Value;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var faults = Enum.GetValues<Fault>();
        await using var cluster = await NamespaceCluster.StartAsync(Nodes, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(250));
        await using var client = await cluster.ConnectClientAsync();
        var ends = DateTime.UtcNow + duration;
        var log = new List<string>();
        for (var round = 0; DateTime.UtcNow < ends; round++)
        {
            var fault = faults[random.Next(faults.Length)];
            var node = random.Next(Nodes);
            var lasts = TimeSpan.FromMilliseconds(500 + random.Next(3500));
            var keys = new List<string>();
            for (var primary = 0; primary < Nodes; primary++)
                keys.AddRange(cluster.KeysOf(primary, 8, string.Create(CultureInfo.InvariantCulture, $"c{round}:")));
            var history = new RegisterHistory();
            var workload = new RegisterWorkload(client, history, keys);
            using var stop = new CancellationTokenSource();
            var running = workload.RunAsync(writers: 6, readers: 6, stop.Token);
            var struckAt = RegisterHistory.Now();
            try
            {
                await FailoverFaultTests.AcknowledgedSinceAsync(history, struckAt, 50, "before the fault");
                struckAt = RegisterHistory.Now();
                await cluster.StrikeAsync(fault, node);
                await Task.Delay(lasts);
                await cluster.HealAsync(fault, node);
                await cluster.WaitUntilAllInSyncAsync(TimeSpan.FromSeconds(60));
                await FailoverFaultTests.AcknowledgedSinceAsync(history, RegisterHistory.Now(), 50, "after the fault healed");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"round {round} ({fault} node {node} for {lasts.TotalMilliseconds:0} ms, seed {seed}): {e.Message} {await FailoverFaultTests.DiagnoseAsync(cluster, client, history, workload, struckAt)}", e);
            }
            finally
            {
                await stop.CancelAsync();
                await running.WithinAsync("the clients to stop");
            }
            await workload.ReadAllAsync(Bounded.Timeout);
            var violations = history.Check();
            log.Add($"round {round}: {fault} node {node} for {lasts.TotalMilliseconds:0} ms: {FailoverFaultTests.Summary(history)}, {violations.Count} violations");
            output.WriteLine(log[^1]);
            if (violations.Count > 0)
            {
                var key = violations[0][..violations[0].IndexOf(':', StringComparison.Ordinal)];
                Assert.Fail($"{string.Join(Environment.NewLine, log)}{Environment.NewLine}seed {seed}:{Environment.NewLine}{string.Join(Environment.NewLine, violations.Take(20))}{Environment.NewLine}"
                    + $"{key}, times after the fault:{Environment.NewLine}{history.Describe(key, struckAt)}{await cluster.DescribeAsync()}");
            }
        }
        output.WriteLine($"{log.Count} rounds, seed {seed}, no violation");
    }
}
