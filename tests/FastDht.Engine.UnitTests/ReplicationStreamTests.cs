using System.Text;
using FastDht.Engine.Keyspace.Internal;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The replication stream's acknowledgement barrier: one acknowledgement releases every held reply it covers, together
/// and on the thread that reported it, and never a reply whose write some in-sync replica has not acknowledged.
/// </summary>
public sealed class ReplicationStreamTests
{
    private static readonly byte[] Value = Encoding.UTF8.GetBytes("v");

    // Set only while the test thread is inside an Acknowledge or SetInSync call: a continuation that sees it set (on
    // that thread) was resumed by the call itself, not queued to run later.
    private static volatile bool s_inside;
    private static int s_reportingThread;

    [Fact]
    public async Task An_acknowledgement_resumes_the_replies_it_covers_on_the_reporting_thread_and_holds_the_rest()
    {
        using var stream = new ReplicationStream();
        stream.AddReplica(1);
        stream.SetInSync(1, true);
        var marks = Append(stream, 4);
        var waits = marks.Select(m => ObserveAsync(stream.WaitAsync(m))).ToArray();
        Assert.All(waits, w => Assert.False(w.IsCompleted));

        Report(() => stream.Acknowledge(1, marks[2]));

        for (var i = 0; i < 3; i++)
        {
            Assert.True(waits[i].IsCompleted, $"the reply waiting for record {i} was not released by an acknowledgement past it");
            var (replicated, resumedInside) = await waits[i];
            Assert.True(replicated);
            Assert.True(resumedInside, $"the reply waiting for record {i} was resumed later or elsewhere (a thread-pool hop), not by the acknowledgement");
        }
        Assert.False(waits[3].IsCompleted, "a reply was released before its record was acknowledged");

        Report(() => stream.Acknowledge(1, marks[3]));
        Assert.Equal((true, true), await waits[3]);
    }

    [Fact]
    public async Task A_reply_waits_for_the_slowest_in_sync_replica_and_is_released_when_that_one_leaves_the_set()
    {
        using var stream = new ReplicationStream();
        stream.AddReplica(1);
        stream.AddReplica(2);
        stream.SetInSync(1, true);
        stream.SetInSync(2, true);
        var marks = Append(stream, 3);
        var waits = marks.Select(m => ObserveAsync(stream.WaitAsync(m))).ToArray();

        // Replica 1 has everything, replica 2 only the first record: only that one may be acknowledged to its client.
        Report(() => stream.Acknowledge(1, marks[2]));
        Assert.All(waits, w => Assert.False(w.IsCompleted));
        Report(() => stream.Acknowledge(2, marks[0]));
        Assert.True(waits[0].IsCompleted);
        Assert.False(waits[1].IsCompleted, "a reply was released while an in-sync replica had not acknowledged its record");
        Assert.False(waits[2].IsCompleted, "a reply was released while an in-sync replica had not acknowledged its record");

        // Replica 2 leaves the in-sync set (its primary gave it up): the rest go on without it, resumed by that call.
        Report(() => stream.SetInSync(2, false, reason: "test"));
        Assert.Equal((true, true), await waits[1]);
        Assert.Equal((true, true), await waits[2]);
    }

    /// <summary>
    /// Ranges lost to a promotion: the replies waiting then are failed (never released as acknowledged when the replica
    /// leaves afterwards), the ones already acknowledged stay acknowledged, and a write appended later is released by the
    /// replica's leaving as before (docs/replication.md, "A primary that loses some of its ranges and keeps others").
    /// </summary>
    [Fact]
    public async Task Replies_waiting_when_ranges_are_lost_are_failed_and_later_ones_are_released_as_before()
    {
        using var stream = new ReplicationStream();
        stream.AddReplica(1);
        stream.SetInSync(1, true);
        var marks = Append(stream, 3);
        var waits = marks.Select(m => ObserveAsync(stream.WaitAsync(m))).ToArray();
        Report(() => stream.Acknowledge(1, marks[0]));
        Assert.True(waits[0].IsCompleted);

        Assert.Equal(0, stream.RangesLost);
        Assert.Equal(2, stream.AbandonForLostRanges());
        Assert.Equal(1, stream.RangesLost);
        Assert.False((await waits[1]).Replicated, "a reply waiting when its range was lost was released as acknowledged");
        Assert.False((await waits[2]).Replicated, "a reply waiting when its range was lost was released as acknowledged");
        // A wait that starts only now for a write appended before is failed too.
        Assert.False(await stream.WaitAsync(marks[2]));

        var later = stream.AppendPut(Encoding.UTF8.GetBytes("later"), Value, expiresAt: 0);
        var laterWait = ObserveAsync(stream.WaitAsync(later));
        Assert.False(laterWait.IsCompleted);
        Report(() => stream.SetInSync(1, false, reason: "test"));
        Assert.Equal((true, true), await laterWait);
        Assert.Equal((true, true), await waits[0]);
    }

    private static long[] Append(ReplicationStream stream, int count)
    {
        var marks = new long[count];
        for (var i = 0; i < count; i++)
            marks[i] = stream.AppendPut(Encoding.UTF8.GetBytes($"k{i}"), Value, expiresAt: 0);
        return marks;
    }

    private static void Report(Action acknowledge)
    {
        s_reportingThread = Environment.CurrentManagedThreadId;
        s_inside = true;
        try
        {
            acknowledge();
        }
        finally
        {
            s_inside = false;
        }
    }

    private static async Task<(bool Replicated, bool ResumedInside)> ObserveAsync(ValueTask<bool> wait)
    {
        var replicated = await wait.ConfigureAwait(false);
        return (replicated, s_inside && Environment.CurrentManagedThreadId == s_reportingThread);
    }
}
