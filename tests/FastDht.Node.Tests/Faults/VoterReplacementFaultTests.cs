using FastDht.TestUtilities;
using FastDht.TestUtilities.Jepsen;

namespace FastDht.Node.Tests.Faults;

/// <summary>
/// Voter replacement on real hosts (issue 11; docs/replication.md, "Voting group changes"): four fastdht-node processes,
/// each in its own network namespace, with <c>--replicas 1</c> and a short <c>--voter-timeout</c>: voters 0, 1 and 2,
/// learner 3. Voter 0 killed for good (SIGKILL, never restarted) is replaced by the learner; then voter 1 is killed
/// too. The two left (voter 2 and the former learner) are a majority of the new group only: they elect a leader when
/// needed, commit the failover of node 1's range, and keep acknowledging writes; the register checker finds no lost
/// acknowledged write and no stale read. With the voters fixed at {0, 1, 2} one voter would be left: nothing would
/// commit and node 1's range would stay down. Which node leads does not matter (a loaded machine moves it).
/// </summary>
public sealed class VoterReplacementFaultTests
{
    private const int Nodes = 4;
    private const int Learner = 3;

    // As in FailoverFaultTests: above the defaults, so that a loaded CI machine sees no false failovers.
    private static readonly TimeSpan FailoverTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ElectionTimeout = TimeSpan.FromMilliseconds(300);

    [NetworkLabFact]
    public async Task A_voter_killed_for_good_is_replaced_by_the_learner_and_the_cluster_survives_losing_a_second_original_voter()
    {
        await using var cluster = await NamespaceCluster.StartAsync(Nodes, FailoverTimeout, ElectionTimeout, "--voter-timeout", "2s");
        var initial = await cluster.VotersAsync(Learner);
        Assert.Equal(new[] { 0, 1, 2 }, initial);
        // Voters 0, then 1, die, whichever leads (a loaded machine moves the leadership around): 0 is the replica of
        // range 3 (the learner's, which stays with it), 2 the replica of range 1, which it takes when 1 dies. Range
        // 0 (replicated by 1) is down for good after the second kill, so no key of it is used.
        const int first = 0, second = 1;
        var replaced = new[] { 1, 2, Learner };
        var survivors = new[] { 2, Learner };
        var secondKeys = cluster.KeysOf(second, 12, "reg:");
        var keys = secondKeys.Concat(cluster.KeysOf(Learner, 12, "reg:")).ToArray();

        await using var client = await cluster.ConnectClientAsync();
        var history = new RegisterHistory();
        var workload = new RegisterWorkload(client, history, keys);
        using var stop = new CancellationTokenSource();
        var running = workload.RunAsync(writers: 4, readers: 4, stop.Token);
        var struckAt = RegisterHistory.Now();
        try
        {
            await FailoverFaultTests.AcknowledgedSinceAsync(history, struckAt, 100, "before the faults");
            await cluster.WaitUntilAllInSyncAsync(TimeSpan.FromSeconds(30));

            // Voter 0 dies for good: after the voter timeout the leader gives its vote to the learner, adds the
            // learner to the Raft configuration, then removes the dead voter from it.
            struckAt = RegisterHistory.Now();
            await cluster.SignalAsync(first, Signals.Kill);
            foreach (var node in replaced)
            {
                await Bounded.UntilAsync(
                    async () => await cluster.VotersAsync(node) is { } voters && voters.SequenceEqual(replaced),
                    $"node {node} to report the voters {string.Join(",", replaced)}");
            }
            var removal = $"removing {cluster.EndPointOf(first)} from the Raft configuration: True";
            await Bounded.UntilAsync(() => replaced.Any(n => cluster.Node(n).HasLine(removal)), $"the leader to log '{removal}'");
            await FailoverFaultTests.AcknowledgedSinceAsync(history, RegisterHistory.Now(), 50, "once the learner votes");

            // A second original voter dies: the two left are a majority of {1, 2, 3} only. They (re)elect a leader
            // if it was the leader, and commit the failover of its range to its replica, node 2.
            var secondAt = RegisterHistory.Now();
            await cluster.SignalAsync(second, Signals.Kill);
            await Bounded.UntilAsync(
                async () => await cluster.RangeAsync(Learner, secondKeys[0]) is { } range && survivors.Contains(range.Primary),
                $"node {Learner} to report node {second}'s range promoted to a survivor");
            await FailoverFaultTests.AcknowledgedSinceAsync(history, secondAt, 50, "with two voters left");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} {await FailoverFaultTests.DiagnoseAsync(cluster, client, history, workload, struckAt)}", e);
        }
        finally
        {
            await stop.CancelAsync();
            await running.WithinAsync("the clients to stop");
        }
        await workload.ReadAllAsync(Bounded.Timeout);

        var violations = history.Check();
        if (violations.Count > 0)
        {
            var key = violations[0][..violations[0].IndexOf(':', StringComparison.Ordinal)];
            Assert.Fail($"{violations.Count} violations ({FailoverFaultTests.Summary(history)}):{Environment.NewLine}{string.Join(Environment.NewLine, violations.Take(20))}{Environment.NewLine}"
                + $"{key}, times after the fault:{Environment.NewLine}{history.Describe(key, struckAt)}{await cluster.DescribeAsync()}");
        }
    }
}
