using System.Buffers.Binary;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Transport;
using FastDht.Locking;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Members join and leave at run time: a node that is not a member asks one to admit it (ClusterJoin), and a member is
/// taken out gracefully (it owns no slots any more) or forgotten (dead for good, its slots held by in-sync replicas).
/// </summary>
/// <remarks>
/// A membership change is a cluster-state change like any other (<see cref="IClusterChanges"/>: the Raft group, or
/// this node's install-and-push without one), so every node learns it as it learns a slot move, and the mesh follows it
/// (dials a new member, drops a removed one). Who may join: any node that proves the cluster secret, exactly the
/// nodes that could already open a peer link (docs/security.md). A joining node gets the committed state that lists it
/// in the answer, so it needs no link to be told. The Raft group's voters are part of that state: a join that brings
/// the members to a size that keeps more voters (3 from 3 members, 5 from 10) makes the newcomers voters in the same
/// change, and a voter that leaves or is forgotten is replaced by the first live learner in the same change; the Raft
/// leader then makes the library's configuration follow, one member at a time (docs/replication.md, "Voting group
/// changes").
/// </remarks>
internal sealed class Membership(PeerMesh mesh, IClusterChanges changes, ClusterMember self, ILogger logger)
{
    /// <summary>Joins the cluster through the members of the current state (the seeds at first), in id order, until one admits this node or the node stops.</summary>
    public async Task JoinAsync()
    {
        var backoff = new BackoffPolicy(mesh.Settings.ReconnectBaseDelay, mesh.Settings.ReconnectMaxDelay, BackoffJitter.Equal);
        var stopping = mesh.Stopping;
        string? lastFailure = null;
        for (var attempt = 0; !stopping.IsCancellationRequested && !IsMember(mesh.Cluster.Current); attempt = Math.Min(attempt + 1, 30))
        {
            foreach (var seed in mesh.Cluster.Current.Members.Members)
            {
                if (stopping.IsCancellationRequested)
                    return;
                var failure = await TryJoinThroughAsync(seed).ConfigureAwait(false);
                if (failure is null)
                    return;
                if (!string.Equals(failure, lastFailure, StringComparison.Ordinal))
                    MembershipLog.JoinFailed(logger, self.NodeId, seed.NodeId, seed.Address, failure!); // once per reason, not every round
                lastFailure = failure;
            }
            try
            {
                await Task.Delay(backoff.Delay(attempt), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One attempt to join through <paramref name="seed"/> (RESP CLUSTER MEET makes it too): null once admitted and the state installed, else why not.</summary>
    public async Task<string?> TryJoinThroughAsync(ClusterMember seed)
    {
        var (answer, failure) = await AskToJoinAsync(seed).ConfigureAwait(false);
        if (answer is not { } joined)
            return failure;
        mesh.Cluster.TryInstall(joined.State);
        MembershipLog.Joined(logger, self.NodeId, self.Address, seed.NodeId, joined.State.Epoch, joined.State.Members.Count);
        return null;
    }

    /// <summary>Dials one seed as a node, proves the secret, asks to join; the state that lists this node, or why not.</summary>
    private async Task<(JoinAnswer? Answer, string? Failure)> AskToJoinAsync(ClusterMember seed)
    {
        var settings = mesh.Settings;
        SocketConnection connection;
        try
        {
            var endPoint = await seed.ResolveAsync(mesh.Stopping).ConfigureAwait(false);
            connection = await SocketConnector.ConnectAsync(endPoint, settings.ConnectTimeout, mesh.Stopping, mesh.ConnectionOptions).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException
            or System.Security.Authentication.AuthenticationException)
        {
            return (null, e.Message);
        }
        var link = new PeerLink(mesh, connection, seed.NodeId);
        Task run;
        using (ExecutionContext.SuppressFlow())
            run = link.RunAsync();
        try
        {
            var timeout = settings.ConnectTimeout + settings.ConnectTimeout;
            if (await link.DialHandshakeAsync(timeout).ConfigureAwait(false) is { } refusal)
                return (null, refusal.Message);
            var result = await link.CallAsync(new JoinRequest(self.Address), ResponseShape.Body, settings.ForwardTimeout, seed.NodeId).ConfigureAwait(false);
            if (result.IsError)
                return (null, result.ErrorMessage ?? result.Status.ToString());
            if (result.Payload is not { } body)
                return (null, "an empty ClusterJoin answer");
            if (!TryReadAnswer(body, out var answer, out var problem))
                return (null, $"malformed ClusterJoin answer: {problem}");
            if (!answer.State.Members.TryGet(self.NodeId, out var listed) || !listed.Equals(self))
                return (null, $"node {seed.NodeId} answered a state (epoch {answer.State.Epoch}) that does not list this node as {self}");
            return (answer, null);
        }
        finally
        {
            link.Connection.Abort(new InvalidOperationException("the join is over"));
            await run.ConfigureAwait(false);
        }
    }

    /// <summary>At a member: admits a node that proved the secret and asked to join; the answer's body (the voters and the committed state listing it).</summary>
    /// <exception cref="ClusterChangeException">Not admitted: the id or the address is another member's, or the change could not be committed.</exception>
    /// <exception cref="FormatException">The address is not host:port.</exception>
    public async Task<byte[]> AdmitAsync(ushort nodeId, string address, CancellationToken cancellationToken)
    {
        var member = ClusterMember.Parse(address, nodeId);
        if (member.NodeId != nodeId)
            throw new FormatException($"a joining node gives its address only (host:port), not '{address}'");
        var state = await changes.ProposeAsync(s => WithMember(s, member), cancellationToken).ConfigureAwait(false) ?? mesh.Cluster.Current;
        if (!state.Members.TryGet(nodeId, out _))
            throw new ClusterChangeException($"node {nodeId} is not a member at epoch {state.Epoch} after all");
        MembershipLog.Admitted(logger, nodeId, member.Address, state.Epoch);
        return EncodeAnswer(state.Voters, state);
    }

    /// <summary>Takes <paramref name="nodeId"/> out of the cluster (see <see cref="WithoutMember"/>); the committed state.</summary>
    /// <exception cref="ClusterChangeException">Refused (the node still owns slots, votes, is this node) or not committed.</exception>
    public async Task<ClusterState> RemoveAsync(ushort nodeId, bool forget, CancellationToken cancellationToken)
    {
        if (nodeId == self.NodeId)
            throw new ClusterChangeException($"node {nodeId} cannot take itself out of the cluster: ask another member");
        var state = await changes.ProposeAsync(s => WithoutMember(s, nodeId, forget, id => id == self.NodeId || mesh.IsUp(id)), cancellationToken).ConfigureAwait(false) ?? mesh.Cluster.Current;
        MembershipLog.Removed(logger, nodeId, forget ? "forgotten" : "removed", state.Epoch);
        return state;
    }

    /// <summary>
    /// The next state with <paramref name="member"/> added (a voter too when the voters are fewer than the new member
    /// count keeps: <see cref="ClusterState.VoterTarget"/>); null when it is a member at that address already.
    /// </summary>
    /// <exception cref="ClusterChangeException">Its id is a member at another address, or its address is another member's.</exception>
    public static ClusterState? WithMember(ClusterState state, ClusterMember member)
    {
        if (state.Members.TryGet(member.NodeId, out var existing))
        {
            if (existing.Equals(member))
                return null;
            throw new ClusterChangeException($"node id {member.NodeId} is already a member, at {existing.Address}: remove it first, or join with another id");
        }
        if (state.Members.TryFindByAddress(member.Address, out var other))
            throw new ClusterChangeException($"address {member.Address} is member {other.NodeId}'s");
        var members = new MemberList([.. state.Members.Members, member]);
        return state.Next(members: members, voters: VoterSets.Grown(state.Voters, members));
    }

    /// <summary>
    /// The next state without <paramref name="nodeId"/>: gone from the members and from every range's replicas and in-sync
    /// set, and from the voters, where the first learner <paramref name="isLive"/> says is up takes its place unless the
    /// voters left are as many as the remaining members keep (the Raft leader then adds it to the library's
    /// configuration before it removes the old voter). Gracefully
    /// (<paramref name="forget"/> false) it must own no slots; forgotten, each range it is primary of goes to its first
    /// in-sync replica (as a failover would), and a range without one is refused (its keys would be lost). Null when it
    /// is not a member.
    /// </summary>
    /// <exception cref="ClusterChangeException">It still owns slots (graceful), a range of it has no in-sync replica (forget), slots move to or from it, or it is the last member.</exception>
    public static ClusterState? WithoutMember(ClusterState state, ushort nodeId, bool forget, Func<ushort, bool> isLive)
    {
        if (!state.Members.TryGet(nodeId, out _))
            return null;
        if (state.Members.Count == 1)
            throw new ClusterChangeException($"node {nodeId} is the last member");
        var table = state.Slots;
        for (var i = 0; i < table.Ranges.Count; i++)
        {
            var range = table.Ranges[i];
            var a = table.RangeAssignments[i];
            if (a.Importing == nodeId || (a.IsMoving && a.Primary == nodeId))
                throw new ClusterChangeException($"slots {range.FirstSlot}-{range.LastSlot} are moving from node {a.Primary} to node {a.Importing}: wait until the move ends");
            if (a.Primary != nodeId)
                continue;
            if (!forget)
                throw new ClusterChangeException($"node {nodeId} still owns slots {range.FirstSlot}-{range.LastSlot}: move its slots away first (fastdht cluster remove-node does), or forget it if it died for good and replicas hold its slots");
            if (a.InSync.IsEmpty)
                throw new ClusterChangeException($"node {nodeId} owns slots {range.FirstSlot}-{range.LastSlot} and no in-sync replica holds them: forgetting it would lose their keys (start it again, or move its slots)");
        }
        var slots = table.Map(a =>
        {
            if (a.Primary != nodeId && !a.HasReplica(nodeId))
                return a;
            var primary = a.Primary == nodeId ? a.InSync[0] : a.Primary;
            return new SlotAssignment(primary, Without(a.Replicas, nodeId, primary), Without(a.InSync, nodeId, primary), a.Importing);
        });
        var rest = new List<ClusterMember>(state.Members.Count - 1);
        foreach (var m in state.Members.Members)
        {
            if (m.NodeId != nodeId)
                rest.Add(m);
        }
        var members = new MemberList(rest);
        return state.Next(members, slots, state.IsVoter(nodeId) ? VoterSets.Replaced(state.Voters, nodeId, members, isLive) : null);
    }

    private static ushort[] Without(ReadOnlySpan<ushort> ids, ushort a, ushort b)
    {
        var rest = new List<ushort>(ids.Length);
        foreach (var id in ids)
        {
            if (id != a && id != b)
                rest.Add(id);
        }
        return rest.ToArray();
    }

    private bool IsMember(ClusterState state) => state.Members.TryGet(self.NodeId, out _);

    /// <summary>The ClusterJoin answer: u8 voter count, u16 per voter (the state's own voters, which the state carries too), then the encoded state (ClusterStateCodec).</summary>
    internal static byte[] EncodeAnswer(IReadOnlyList<ushort> voters, ClusterState state)
    {
        var encoded = ClusterStateCodec.Encode(state);
        var body = new byte[1 + (2 * voters.Count) + encoded.Length];
        body[0] = (byte)voters.Count;
        for (var i = 0; i < voters.Count; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(1 + (2 * i)), voters[i]);
        encoded.CopyTo(body.AsSpan(1 + (2 * voters.Count)));
        return body;
    }

    internal static bool TryReadAnswer(ReadOnlySpan<byte> body, out JoinAnswer answer, out string problem)
    {
        answer = default;
        if (body.Length < 1 || body.Length < 1 + (2 * body[0]))
        {
            problem = "cut short before its voters";
            return false;
        }
        var ids = new ushort[body[0]];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = BinaryPrimitives.ReadUInt16LittleEndian(body[(1 + (2 * i))..]);
        if (!ClusterStateCodec.TryDecode(body[(1 + (2 * ids.Length))..], out var state, out var error))
        {
            problem = error;
            return false;
        }
        answer = new JoinAnswer(ids, state);
        problem = "";
        return true;
    }

    /// <summary>What a member answers a node it admitted.</summary>
    internal readonly record struct JoinAnswer(ushort[] Voters, ClusterState State);

    /// <summary>ClusterJoin: the joining node's address (its id is the one its Hello gave and its proof covered).</summary>
    private readonly struct JoinRequest(string address) : IFrameRequest
    {
        public int FrameLength => ProtocolConstants.HeaderSize + 2 + System.Text.Encoding.UTF8.GetByteCount(address);

        public void Write(System.Buffers.IBufferWriter<byte> writer, uint requestId)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(address);
            var body = new byte[2 + bytes.Length];
            BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)bytes.Length);
            bytes.CopyTo(body, 2);
            FrameWriter.WriteFrame(writer, requestId, Opcode.ClusterJoin, FrameFlags.None, StatusCode.Ok, body);
        }
    }
}
