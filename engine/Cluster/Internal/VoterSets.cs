namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// How the Raft group's voters (part of the <see cref="ClusterState"/>) change: grown to the member count's target
/// with the first learners on a join, a leaving voter replaced by the first live learner (or just dropped when the
/// members left keep fewer voters), and, at the leader, brought one voter at a time to the target
/// (<see cref="Resized"/>). Pure functions of the state, so every proposal computes the same next state.
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
    /// (none when there is no such learner, or when the voters left are already as many as <paramref name="members"/>
    /// keep (<see cref="ClusterState.VoterTarget"/>): the group shrinks by one).
    /// </summary>
    public static ushort[] Replaced(IReadOnlyList<ushort> voters, ushort leaving, MemberList members, Func<ushort, bool> isLive)
    {
        var rest = new List<ushort>(voters.Count);
        foreach (var id in voters)
        {
            if (id != leaving)
                rest.Add(id);
        }
        if (rest.Count < ClusterState.VoterTarget(members.Count) && FirstLiveLearner(rest, leaving, members, isLive) is { } learner)
            rest.Add(learner);
        return rest.ToArray();
    }

    /// <summary>
    /// The voters of <paramref name="state"/> one step closer to <see cref="ClusterState.VoterTarget"/> of its members:
    /// above it, without one voter (the last in id order that <paramref name="isLive"/> says is down, else the last in
    /// id order; never <paramref name="keep"/>, the leader that proposes it); below it, with the first live learner in
    /// id order; null when they are at the target, or below it with no live learner. One voter per change, so the Raft
    /// library's configuration follows by one member each time and a shrink from 5 to 3 keeps tolerating a lost voter
    /// between its two steps.
    /// </summary>
    public static ushort[]? Resized(ClusterState state, Func<ushort, bool> isLive, ushort keep)
    {
        var voters = state.Voters;
        var target = ClusterState.VoterTarget(state.Members.Count);
        if (voters.Count < target)
        {
            // keep votes already (it leads), so it is no learner to add
            return FirstLiveLearner(voters, keep, state.Members, isLive) is { } learner ? [.. voters, learner] : null;
        }
        if (voters.Count == target)
            return null;
        var drop = -1;
        for (var i = voters.Count - 1; i >= 0; i--)
        {
            if (voters[i] == keep)
                continue;
            if (!isLive(voters[i]))
            {
                drop = i;
                break;
            }
            if (drop < 0)
                drop = i;
        }
        if (drop < 0)
            return null;
        var rest = new ushort[voters.Count - 1];
        for (int i = 0, j = 0; i < voters.Count; i++)
        {
            if (i != drop)
                rest[j++] = voters[i];
        }
        return rest;
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
