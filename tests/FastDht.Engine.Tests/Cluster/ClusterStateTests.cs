using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Tests.Cluster;

public sealed class ClusterStateTests
{
    private static readonly MemberList Three = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002");

    [Fact]
    public void The_initial_state_is_epoch_1_with_the_default_table_and_next_raises_the_epoch()
    {
        var initial = ClusterState.Initial(Three);
        Assert.Equal(1UL, initial.Epoch);
        Assert.True(initial.Slots.SameAssignment(SlotTable.CreateDefault(Three)));
        Assert.Equal(Three.Digest, initial.Members.Digest);

        var next = initial.Next(slots: initial.Slots.Assign(0, 99, new SlotAssignment(2)));
        Assert.Equal(2UL, next.Epoch);
        Assert.Same(Three, next.Members);
        Assert.Equal((ushort)2, next.Slots.OwnerOf(0));
        Assert.Equal((ushort)0, initial.Slots.OwnerOf(0));
    }

    [Fact]
    public void A_slot_owned_by_a_node_that_is_not_a_member_is_refused()
    {
        var initial = ClusterState.Initial(Three);
        var two = MemberList.Parse("127.0.0.1:7000,127.0.0.1:7001");
        var e = Assert.Throws<ClusterConfigurationException>(() => initial.Next(members: two));
        Assert.Contains("node 2, which is not a member", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterState(0, Three, initial.Slots));
    }

    [Fact]
    public void The_holder_installs_only_later_epochs_and_tells_subscribers_in_order()
    {
        var initial = ClusterState.Initial(Three);
        var holder = new ClusterStateHolder(initial);
        var seen = new List<(ulong, ulong)>();
        using var subscription = holder.Subscribe((previous, current) => seen.Add((previous.Epoch, current.Epoch)));

        var e2 = initial.Next(slots: initial.Slots.Assign(0, 0, new SlotAssignment(1)));
        var e3 = e2.Next(slots: e2.Slots.Assign(0, 0, new SlotAssignment(2)));
        Assert.True(holder.TryInstall(e3));
        Assert.False(holder.TryInstall(e2)); // older: a late change never takes the node back
        Assert.False(holder.TryInstall(e3)); // same epoch: nothing to do
        Assert.Same(e3, holder.Current);
        Assert.Equal([(1UL, 3UL)], seen);

        subscription.Dispose();
        Assert.True(holder.TryInstall(e3.Next()));
        Assert.Single(seen);
    }

    [Fact]
    public void A_failing_subscriber_does_not_stop_the_change_or_the_other_subscribers()
    {
        var initial = ClusterState.Initial(Three);
        var holder = new ClusterStateHolder(initial);
        var told = 0;
        using var failing = holder.Subscribe((_, _) => throw new InvalidOperationException("boom"));
        using var counting = holder.Subscribe((_, _) => told++);

        var next = initial.Next();
        var e = Assert.Throws<AggregateException>(() => holder.TryInstall(next));
        Assert.Contains("epoch 2", e.Message, StringComparison.Ordinal);
        Assert.Same(next, holder.Current);
        Assert.Equal(1, told);
    }

    [Fact]
    public async Task Concurrent_installs_end_at_the_highest_epoch_and_readers_never_see_a_mixed_state()
    {
        // Epoch e gives every slot to node e % 3: a reader that saw the slots of one epoch with the epoch of another
        // would find an owner that does not match.
        var initial = ClusterState.Initial(Three);
        var states = new ClusterState[201];
        states[1] = initial.Next(slots: SlotTable.FromRanges([new SlotRange(0, SlotTable.SlotCount - 1, 2)]));
        for (var e = 2; e <= 200; e++)
            states[e] = new ClusterState((ulong)e + 1, Three, SlotTable.FromRanges([new SlotRange(0, SlotTable.SlotCount - 1, (ushort)((e + 1) % 3))]));
        var holder = new ClusterStateHolder(initial);
        var notified = new List<ulong>();
        using var subscription = holder.Subscribe((_, current) => notified.Add(current.Epoch));

        using var stop = new CancellationTokenSource();
        var mismatches = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var s = holder.Current;
                if (s.Epoch > 1 && s.Slots.OwnerOf(12345) != (ushort)(s.Epoch % 3))
                    Interlocked.Increment(ref mismatches);
            }
        });
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var e = 1 + w; e <= 200; e += 4)
                holder.TryInstall(states[e]);
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(20));
        await stop.CancelAsync();
        await reader.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, mismatches);
        Assert.Equal(201UL, holder.Current.Epoch);
        Assert.Equal(201UL, notified[^1]);
        for (var i = 1; i < notified.Count; i++)
            Assert.True(notified[i] > notified[i - 1], $"notifications out of order: {notified[i - 1]} then {notified[i]}");
    }
}
