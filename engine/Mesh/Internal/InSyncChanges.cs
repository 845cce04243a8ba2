using FastDht.Engine.Cluster;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// A primary's changes to the in-sync sets of its ranges, proposed through the Raft group: a replica leaves the set in
/// the cluster state before any write is acknowledged without it, and joins it once it holds everything.
/// </summary>
internal static class InSyncChanges
{
    /// <summary>The change putting <paramref name="replica"/> in (or out of) the in-sync set of every range <paramref name="primary"/> serves and it copies; null when nothing changes.</summary>
    public static Func<ClusterState, ClusterState?> Set(ushort primary, ushort replica, bool inSync) => state =>
    {
        var changed = false;
        var slots = state.Slots.Map(a =>
        {
            if (a.Primary != primary || !a.HasReplica(replica) || a.IsInSync(replica) == inSync)
                return a;
            changed = true;
            var set = new List<ushort>(a.InSync.Length + 1);
            foreach (var r in a.InSync)
            {
                if (r != replica)
                    set.Add(r);
            }
            if (inSync)
                set.Add(replica);
            return new SlotAssignment(primary, a.Replicas, set.ToArray(), a.Importing);
        });
        return changed ? state.Next(slots: slots) : null;
    };

    /// <summary>Whether the state lists <paramref name="replica"/> as in sync for some range of <paramref name="primary"/>.</summary>
    public static bool Lists(ClusterState state, ushort primary, ushort replica)
    {
        foreach (var a in state.Slots.RangeAssignments)
        {
            if (a.Primary == primary && a.IsInSync(replica))
                return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="replica"/> copies the same slots from <paramref name="primary"/> in both states (an unrelated change needs no resynchronization).</summary>
    public static bool SameCopies(ClusterState before, ClusterState after, ushort primary, ushort replica)
    {
        for (var slot = 0; slot < SlotTable.SlotCount; slot++)
        {
            var a = before.Slots.AssignmentOf(slot);
            var b = after.Slots.AssignmentOf(slot);
            if (ReferenceEquals(a, b))
                continue;
            if ((a.Primary == primary && a.HasReplica(replica)) != (b.Primary == primary && b.HasReplica(replica)))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Whether every slot <paramref name="replica"/> copies from <paramref name="primary"/> in <paramref name="after"/>
    /// but not in <paramref name="before"/> was moving to <paramref name="primary"/> in <paramref name="before"/> and
    /// lists the replica in sync in <paramref name="after"/>: a handover, whose replicas hold the slots (slots taken away
    /// need nothing). A promotion does not qualify: the promoted node and the other replicas may each hold writes that
    /// were never acknowledged, so they are made equal by a resynchronization.
    /// </summary>
    public static bool AddsOnlyInSync(ClusterState before, ClusterState after, ushort primary, ushort replica)
    {
        for (var slot = 0; slot < SlotTable.SlotCount; slot++)
        {
            var a = before.Slots.AssignmentOf(slot);
            var b = after.Slots.AssignmentOf(slot);
            if (ReferenceEquals(a, b) || b.Primary != primary || !b.HasReplica(replica))
                continue;
            if (!(a.Primary == primary && a.HasReplica(replica)) && (a.Importing != primary || !b.IsInSync(replica)))
                return false;
        }
        return true;
    }
}
