using System.Globalization;
using System.Net;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// What CLUSTER MEET, FORGET, SETSLOT, RESET and MIGRATE do on a FastDht node, so that <c>redis-cli --cluster
/// add-node|reshard|rebalance|del-node</c> work: each is mapped onto the node's own join, removal and slot move
/// (docs/elasticity.md, "redis-cli --cluster"); nothing here moves a key or changes the state another way.
/// </summary>
/// <remarks>
/// A slot moves as FastDht moves slots (<see cref="IClusterAdministration.MoveSlotsAsync"/>), started by SETSLOT MIGRATING at its owner; MIGRATE
/// and SETSLOT NODE wait for that move instead of moving keys themselves, so there is one migration path and no -ASK
/// state. Every method answers null when done, or the error text (Redis's "ERR " is added by the caller).
/// </remarks>
internal sealed class RespClusterAdmin
{
    /// <summary>How long SETSLOT MIGRATING waits for the move to be announced, and MEET for the new member's links.</summary>
    private static readonly TimeSpan AnnounceTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long CLUSTER MEET tries to join through its seed.</summary>
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long SETSLOT NODE waits for a state that shows a move at all, and RESET for the state that removed this node: what the last change may take to arrive.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>How long SETSLOT NODE waits for a move it knows of to end (MIGRATE has its own timeout from the client).</summary>
    private static readonly TimeSpan MoveTimeout = TimeSpan.FromMinutes(5);

    private readonly ClusterStateHolder _cluster;
    private readonly IClusterAdministration _node;
    private readonly ClusterMember _self;
    private readonly Lock _gate = new();
    /// <summary>
    /// How long after a slot's move ended SETSLOT still accepts that move's own steps, IMPORTING at the new owner naming
    /// the old and MIGRATING at the old owner naming the new: <c>redis-cli --cluster fix</c> plans from the layout it
    /// read and may send them after the move it found open has ended (its slots hand over while fix works through
    /// them). 60 s: far longer than fix takes per slot. Other such commands are refused as Redis refuses them.
    /// </summary>
    private static readonly TimeSpan HandedOverGrace = TimeSpan.FromSeconds(60);

    private readonly Dictionary<int, (ushort Target, Task Move)> _moves = [];
    private readonly HashSet<ushort> _departed = [];
    // The slots whose owner changed from or to this node: slot -> (old owner, new owner, when this node learned it).
    private readonly Dictionary<int, (ushort From, ushort To, long At)> _handedOver = [];
    private int _joining;

    public RespClusterAdmin(ClusterStateHolder cluster, IClusterAdministration node)
    {
        _cluster = cluster;
        _node = node;
        _self = node.Self;
        // FORGET is sent to every remaining member in turn: the second one may already have learned the removal. The
        // subscription lives as long as the node.
        cluster.Subscribe((previous, current) =>
        {
            lock (_gate)
            {
                foreach (var m in previous.Members.Members)
                {
                    if (!current.Members.TryGet(m.NodeId, out _))
                        _departed.Add(m.NodeId);
                }
                NoteHandedOver(previous, current);
            }
        });
    }

    /// <summary>
    /// Remembers the slots whose owner changed from or to this node between the two states. Under <see cref="_gate"/>.
    /// Any change of owner, not only a move's end: a node that installs a later state may skip the states between, and
    /// a failover's change accepted the same way only answers OK to a step that has nothing left to do.
    /// </summary>
    private void NoteHandedOver(ClusterState previous, ClusterState current)
    {
        if (previous.Slots.SameAssignment(current.Slots))
            return;
        var now = Environment.TickCount64;
        for (var slot = 0; slot < SlotTable.SlotCount; slot++)
        {
            var from = previous.Slots.OwnerOf(slot);
            var to = current.Slots.OwnerOf(slot);
            if (from != to && (from == _self.NodeId || to == _self.NodeId))
                _handedOver[slot] = (from, to, now);
        }
    }

    /// <summary>Whether the move of <paramref name="slot"/> from <paramref name="from"/> to <paramref name="to"/> ended within <see cref="HandedOverGrace"/>.</summary>
    private bool RecentlyHandedOver(int slot, ushort from, ushort to)
    {
        lock (_gate)
        {
            return _handedOver.TryGetValue(slot, out var move) && move.From == from && move.To == to
                && Environment.TickCount64 - move.At <= (long)HandedOverGrace.TotalMilliseconds;
        }
    }

    /// <summary>
    /// Redis's first check of SETSLOT IMPORTING and MIGRATING, made before the node id is looked at: IMPORTING at the
    /// slot's owner and MIGRATING anywhere else are refused (<c>I'm already the owner of hash slot N</c>, <c>I'm not the
    /// owner of hash slot N</c>); null when this node may go on. The one exception, a step of a move that ended a moment
    /// ago (<see cref="HandedOverGrace"/>), is answered by <see cref="Importing"/> and <see cref="MigratingAsync"/>,
    /// which know the node named.
    /// </summary>
    public string? OwnershipRefusal(int slot, bool migrating)
    {
        var owner = _cluster.Current.Slots.OwnerOf(slot);
        if (migrating && owner != _self.NodeId)
            return $"I'm not the owner of hash slot {slot}";
        if (!migrating && owner == _self.NodeId)
            return $"I'm already the owner of hash slot {slot}";
        return null;
    }

    /// <summary>This node as a member: its id and native address (the bus port CLUSTER NODES shows).</summary>
    public ClusterMember Self => _self;

    /// <summary>Whether this node is a member of the cluster in its current state (a node waiting for CLUSTER MEET is not).</summary>
    public bool IsMember => _cluster.Current.Members.TryGet(_self.NodeId, out _);

    /// <summary>A node id in Redis's 40-hex-digit form (<see cref="RespClusterReplies.RedisNodeId"/>) back to FastDht's, or false.</summary>
    public static bool TryParseNodeId(ReadOnlySpan<byte> text, out ushort nodeId)
    {
        nodeId = 0;
        if (text.Length != 40)
            return false;
        var value = 0UL;
        foreach (var b in text)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0 || value > ushort.MaxValue)
                return false;
            value = (value << 4) | (uint)digit;
        }
        if (value > ushort.MaxValue)
            return false;
        nodeId = (ushort)value;
        return true;
    }

    /// <summary>
    /// CLUSTER MEET at a node that waits to join (<c>--join-on-meet</c>): joins through the seed whose native address is
    /// <paramref name="host"/>:<paramref name="busPort"/>; at a member, only a member's address is accepted (already met).
    /// </summary>
    public async Task<string?> MeetAsync(string host, int port, int busPort)
    {
        var state = _cluster.Current;
        var seed = FindByNativeAddress(state, host, busPort);
        if (IsMember)
        {
            if (seed is not null || FindByRespAddress(state, host, port) is not null)
                return null;
            return $"{host}:{port} is not a member of this cluster, and FastDht nodes join from their own side: start the new node with --join-on-meet and send CLUSTER MEET to it, naming a member (redis-cli --cluster add-node NEW EXISTING does)";
        }
        if (seed is null)
            return $"{host}:{busPort} (the bus port is FastDht's native port) is not one of this node's seeds ({state.Members}): it joins through a member it was given with --members";
        if (Interlocked.Exchange(ref _joining, 1) != 0)
            return "another CLUSTER MEET of this node is still joining";
        try
        {
            // Retried for a while: a cluster that is electing its Raft leader, or a seed restarting, refuses for a moment.
            var deadline = Environment.TickCount64 + (long)JoinTimeout.TotalMilliseconds;
            for (var pause = 10; !IsMember; pause = Math.Min(pause * 2, 500))
            {
                if (await _node.TryJoinThroughAsync(seed).ConfigureAwait(false) is not { } failure)
                    break;
                if (Environment.TickCount64 >= deadline || _node.Stopping.IsCancellationRequested)
                    return $"joining the cluster through node {seed.NodeId} ({seed.Address}) failed: {failure}";
                await Task.Delay(pause).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _joining, 0);
        }
        // Best effort: redis-cli's next step reads CLUSTER NODES everywhere, which lists this node once linked.
        await WaitForAsync(() => AllLinked(), AnnounceTimeout).ConfigureAwait(false);
        return null;
    }

    /// <summary>CLUSTER SETSLOT slot IMPORTING source, at the slot's future owner: checks that the move can start; the move itself starts with MIGRATING at <paramref name="source"/>.</summary>
    public string? Importing(int slot, ushort source)
    {
        var state = _cluster.Current;
        var a = state.Slots.AssignmentOf(slot);
        if (a.Primary == _self.NodeId)
        {
            // Moved here from the source a moment ago (a move redis-cli --cluster fix found open ended meanwhile):
            // nothing to import. Otherwise Redis's refusal.
            return RecentlyHandedOver(slot, source, _self.NodeId) ? null : $"I'm already the owner of hash slot {slot}";
        }
        if (!state.Members.TryGet(source, out _))
            return $"I don't know about node {RespClusterReplies.RedisNodeId(source)}";
        if (a.Primary != source)
            return $"hash slot {slot} is owned by node {RespClusterReplies.RedisNodeId(a.Primary)}, not by {RespClusterReplies.RedisNodeId(source)}";
        return null;
    }

    /// <summary>CLUSTER SETSLOT slot MIGRATING target, at the slot's owner: starts FastDht's move of the slot and answers once it is announced (or already over).</summary>
    public async Task<string?> MigratingAsync(int slot, ushort target)
    {
        var state = _cluster.Current;
        var assignment = state.Slots.AssignmentOf(slot);
        if (assignment.Primary != _self.NodeId)
        {
            // Moved from here to the target a moment ago (a move redis-cli --cluster fix found open ended meanwhile):
            // MIGRATE and SETSLOT NODE have nothing to wait for. Otherwise Redis's refusal.
            return assignment.Primary == target && RecentlyHandedOver(slot, _self.NodeId, target) ? null : $"I'm not the owner of hash slot {slot}";
        }
        if (!state.Members.TryGet(target, out _))
            return $"I don't know about node {RespClusterReplies.RedisNodeId(target)}";
        if (target == _self.NodeId)
            return $"hash slot {slot} is already at node {RespClusterReplies.RedisNodeId(target)}";
        Task move;
        lock (_gate)
        {
            if (_moves.TryGetValue(slot, out var running) && !running.Move.IsCompleted)
            {
                if (running.Target != target)
                    return $"hash slot {slot} is already moving to node {RespClusterReplies.RedisNodeId(running.Target)}";
                move = running.Move;
            }
            else if (assignment.Importing == target)
            {
                // A move of this node's own making (the shell's move-slots or rebalance, a range at a time) already
                // moves the slot there, as redis-cli --cluster fix finds it ("open"): wait for that one, start none.
                using (ExecutionContext.SuppressFlow())
                    move = Task.Run(() => FollowAsync(slot, target));
                _moves[slot] = (target, move);
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                    move = Task.Run(() => _node.MoveSlotsAsync(slot, slot, target, _node.Stopping));
                _moves[slot] = (target, move);
            }
        }
        var announced = WaitForAsync(() => IsMovingOrMoved(_cluster.Current, slot, target), AnnounceTimeout);
        await Task.WhenAny(announced, move).ConfigureAwait(false);
        if (move.IsFaulted)
            return Failure(move);
        return move.IsCompleted || await announced.ConfigureAwait(false) ? null : $"the move of hash slot {slot} was not announced within {AnnounceTimeout.TotalSeconds:0} s";
    }

    /// <summary>
    /// CLUSTER SETSLOT slot NODE owner: FastDht assigns a slot only by moving it, so this waits until this node's state
    /// shows <paramref name="owner"/> owning the slot (the move SETSLOT MIGRATING started); refused when no move toward it is known.
    /// </summary>
    public async Task<string?> NodeAsync(int slot, ushort owner)
    {
        if (!_cluster.Current.Members.TryGet(owner, out _))
            return $"Unknown node {RespClusterReplies.RedisNodeId(owner)}"; // Redis's words for SETSLOT NODE
        Task? move = null;
        lock (_gate)
        {
            if (_moves.TryGetValue(slot, out var known) && known.Target == owner)
                move = known.Move;
        }
        if (move is not null)
        {
            try
            {
                await move.WaitAsync(MoveTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return $"hash slot {slot} is still moving to node {RespClusterReplies.RedisNodeId(owner)} after {MoveTimeout.TotalMinutes:0} minutes";
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return move.IsFaulted ? Failure(move) : e.Message;
            }
        }
        // Another node's move: the state shows it moving, then moved. A node that has not learned the move yet gets a
        // short grace; one whose state shows the move undone answers why not.
        var sawMove = false;
        var deadline = Environment.TickCount64 + (long)Grace.TotalMilliseconds;
        while (true)
        {
            var a = _cluster.Current.Slots.AssignmentOf(slot);
            if (a.Primary == owner)
            {
                lock (_gate)
                {
                    if (_moves.TryGetValue(slot, out var done) && done.Move.IsCompletedSuccessfully)
                        _moves.Remove(slot);
                }
                return null;
            }
            if (a.Importing == owner)
            {
                sawMove = true;
                deadline = Math.Max(deadline, Environment.TickCount64 + (long)MoveTimeout.TotalMilliseconds);
            }
            else if (sawMove)
            {
                return $"the move of hash slot {slot} to node {RespClusterReplies.RedisNodeId(owner)} was undone: it stays at node {RespClusterReplies.RedisNodeId(a.Primary)} (see that node's log)";
            }
            if (Environment.TickCount64 >= deadline)
            {
                return sawMove
                    ? $"hash slot {slot} is still moving to node {RespClusterReplies.RedisNodeId(owner)}"
                    : $"hash slot {slot} is owned by node {RespClusterReplies.RedisNodeId(a.Primary)} and is not moving to {RespClusterReplies.RedisNodeId(owner)}: FastDht gives a slot to a node only by moving it (CLUSTER SETSLOT {slot} MIGRATING {RespClusterReplies.RedisNodeId(owner)} at its owner first)";
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    /// <summary>CLUSTER SETSLOT slot STABLE: nothing to clear once no move of the slot runs here (a FastDht move ends or is undone by itself).</summary>
    public string? Stable(int slot)
    {
        lock (_gate)
        {
            if (_moves.TryGetValue(slot, out var running) && !running.Move.IsCompleted)
                return $"hash slot {slot} is moving to node {RespClusterReplies.RedisNodeId(running.Target)}: FastDht finishes or undoes the move by itself, it cannot be cleared";
            _moves.Remove(slot);
        }
        return null;
    }

    /// <summary>CLUSTER FORGET id: removes the member (gracefully: it must own no slots) through the cluster's own state change; a node already removed is forgotten already.</summary>
    public async Task<string?> ForgetAsync(ushort nodeId)
    {
        if (nodeId == _self.NodeId)
            return "I tried hard but I can't forget myself...";
        if (!_cluster.Current.Members.TryGet(nodeId, out _))
        {
            lock (_gate)
                return _departed.Contains(nodeId) ? null : $"Unknown node {RespClusterReplies.RedisNodeId(nodeId)}";
        }
        try
        {
            await _node.RemoveAsync(nodeId, _node.Stopping).ConfigureAwait(false);
        }
        catch (ClusterChangeException e)
        {
            return e.Message;
        }
        lock (_gate)
            _departed.Add(nodeId);
        return null;
    }

    /// <summary>CLUSTER RESET: only a node that was removed from the cluster (it then serves nothing) is reset; a member refuses.</summary>
    public async Task<string?> ResetAsync()
    {
        if (await WaitForAsync(() => !IsMember, Grace).ConfigureAwait(false))
            return null;
        return "this node is a member of the cluster: FastDht resets only a node that was removed (CLUSTER FORGET at every other member, as redis-cli --cluster del-node sends, or fastdht cluster remove-node); stop it then";
    }

    /// <summary>
    /// MIGRATE to host:port of <paramref name="slots"/>' keys: FastDht moves keys only with their slot, so this waits for
    /// the move SETSLOT MIGRATING started to that node (the keys are there when it ends); refused without one.
    /// </summary>
    public async Task<string?> MigrateAsync(string host, int port, IReadOnlyList<int> slots, TimeSpan timeout)
    {
        var state = _cluster.Current;
        if (FindByRespAddress(state, host, port) is not { } target)
            return $"{host}:{port} is not a member of this cluster: FastDht's MIGRATE moves keys only to another member, together with their slot";
        foreach (var slot in slots)
        {
            Task? move = null;
            lock (_gate)
            {
                if (_moves.TryGetValue(slot, out var known) && known.Target == target)
                    move = known.Move;
            }
            if (move is null)
            {
                if (_cluster.Current.Slots.OwnerOf(slot) == target)
                    continue; // moved with its slot already
                return $"FastDht moves keys only together with their slot: send CLUSTER SETSLOT {slot} MIGRATING {RespClusterReplies.RedisNodeId(target)} to this node first";
            }
            try
            {
                await move.WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return $"hash slot {slot} is still moving to {host}:{port} after {timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms";
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return move.IsFaulted ? Failure(move) : e.Message;
            }
        }
        return null;
    }

    /// <summary>Waits until a move of <paramref name="slot"/> to <paramref name="target"/> that this node runs for another caller ends: done when the target owns it; throws when it was undone.</summary>
    private async Task FollowAsync(int slot, ushort target)
    {
        while (true)
        {
            var a = _cluster.Current.Slots.AssignmentOf(slot);
            if (a.Primary == target && !a.IsMoving)
                return;
            if (a.Importing != target)
                throw new SlotMoveException($"the move of hash slot {slot} to node {RespClusterReplies.RedisNodeId(target)} was undone: it stays at node {RespClusterReplies.RedisNodeId(a.Primary)} (see that node's log)");
            await Task.Delay(10, _node.Stopping).ConfigureAwait(false);
        }
    }

    private static string Failure(Task move) =>
        move.Exception?.GetBaseException().Message ?? "the move failed";

    private static bool IsMovingOrMoved(ClusterState state, int slot, ushort target)
    {
        var a = state.Slots.AssignmentOf(slot);
        return a.Importing == target || a.Primary == target;
    }

    private bool AllLinked()
    {
        foreach (var m in _cluster.Current.Members.Members)
        {
            if (m.NodeId != _self.NodeId && !_node.IsLinked(m.NodeId))
                return false;
        }
        return true;
    }

    private static ClusterMember? FindByNativeAddress(ClusterState state, string host, int port)
    {
        foreach (var m in state.Members.Members)
        {
            if (m.Port == port && SameHost(m.Host, host))
                return m;
        }
        return null;
    }

    private ushort? FindByRespAddress(ClusterState state, string host, int port)
    {
        foreach (var m in state.Members.Members)
        {
            if (_node.RespAddressOf(m.NodeId) is { } address
                && ClusterMember.TrySplitHostPort(address, out var h, out var p) && p == port && SameHost(h, host))
                return m.NodeId;
        }
        return null;
    }

    /// <summary>Equal names, or equal IP addresses however written (redis-cli sends the IP it resolved).</summary>
    private static bool SameHost(string a, string b) =>
        string.Equals(a, b, StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y) && x.Equals(y));

    /// <summary>Waits until <paramref name="condition"/> holds after a state change (or already), up to <paramref name="timeout"/>; whether it held.</summary>
    private async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 >= deadline || _node.Stopping.IsCancellationRequested)
                return false;
            // Links and states change from other threads; a short poll keeps this admin path simple.
            await Task.Delay(5).ConfigureAwait(false);
        }
        return true;
    }
}
