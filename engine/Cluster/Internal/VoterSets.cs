namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// How a membership change changes the Raft group's voters (part of the <see cref="ClusterState"/>): grown to the
/// member count's target with the first learners, or a leaving voter replaced by the first live learner. Pure
/// functions of the state, so every proposal computes the same next state.
/// </summary>
internal static class VoterSets
{
    /// <summary>
    /// The voters of a state whose members are <paramref name="members"/>: <paramref name="voters"/> with the first
    /// members in id order that do not vote added until there are <see cref="ClusterState.VoterTarget"/>; null when
    /// nothing is added (voters are never dropped here: only a leaving or silent voter is).
    /// </summary>
    public static ushort[]? Grown(IReadOnlyList<ushort> voters, MemberList members)
    {
        var target = ClusterState.VoterTarget(members.Count);
        if (voters.Count >= target)
            return null;
        var grown = new List<ushort>(voters);
        foreach (var m in members.Members)
        {
            if (grown.Count == target)
                break;
            if (!grown.Contains(m.NodeId))
                grown.Add(m.NodeId);
        }
        return grown.ToArray();
    }

    /// <summary>
    /// <paramref name="voters"/> without <paramref name="leaving"/>, and with the first member of
    /// <paramref name="members"/> (in id order) that does not vote and <paramref name="isLive"/> says is up in its place
    /// (none when there is no such learner: the group shrinks by one).
    /// </summary>
    public static ushort[] Replaced(IReadOnlyList<ushort> voters, ushort leaving, MemberList members, Func<ushort, bool> isLive)
    {
        var rest = new List<ushort>(voters.Count);
        foreach (var id in voters)
        {
            if (id != leaving)
                rest.Add(id);
        }
        if (FirstLiveLearner(rest, leaving, members, isLive) is { } learner)
            rest.Add(learner);
        return rest.ToArray();
    }

    /// <summary>The first member in id order that is not in <paramref name="voters"/>, is not <paramref name="except"/>, and is up; null when none is.</summary>
    public static ushort? FirstLiveLearner(IReadOnlyList<ushort> voters, ushort except, MemberList members, Func<ushort, bool> isLive)
    {
        foreach (var m in members.Members)
        {
            if (m.NodeId != except && !voters.Contains(m.NodeId) && isLive(m.NodeId))
                return m.NodeId;
        }
        return null;
    }
}
