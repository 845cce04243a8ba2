using System.Buffers;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.CommandTable;
using FastDht.Engine.Connections;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Routing: which node runs a command, and sending it there.</summary>
internal sealed partial class RespSession
{
    private FrameSession? _pendingLink;
    private ushort _pendingOwner;
    private int _handoverAttempt; // the current command's waits for its slot's handover (AwaitHandoverAsync)
    private int _forwardKey; // the argument index of the forwarded command's first key (Send)
    private ulong _forwardEpoch = NoForward; // the epoch of the state the last forward was routed by
    private const ulong NoForward = ulong.MaxValue;

    private Outcome Execute()
    {
        var c = _command;
        if (_order.HasBarrier)
            return Outcome.MustWait; // a FLUSHALL of this connection is still running: nothing overtakes it
        if (_users is not null && IsRefused())
        {
            Reject(c.Kind);
            _queueFailed |= _queued is not null; // a refusal while queueing aborts the EXEC, as in Redis
            return Outcome.Continue;
        }
        var spec = RespCommandSpecs.Get(c.Kind);
        if (_server.Scripts.IsBusy && !PassesBusyScript(spec))
            return Outcome.Continue;
        if (_queued is not null && !RunsInsideMulti(c.Kind))
        {
            _mayHaveWritten |= spec?.MayWrite ?? false; // for WAIT: queued is enough (counting more ranges only counts fewer replicas)
            return Queue(spec);
        }
        if (spec is null)
        {
            _refused = true;
            RespErrors.WriteUnknownCommand(Target(), c);
            return Outcome.Continue;
        }
        if (!spec.ArityMatches(c.Count))
        {
            Reject(c.Kind);
            RespErrors.WriteWrongArity(Target(), spec.NameBytes);
            return Outcome.Continue;
        }
        var resolved = RespCommandSpecs.Resolve(spec, c);
        if (resolved is null)
        {
            Reject(c.Kind);
            RespErrors.WriteUnknownSubcommand(Target(), c.GetArgument(1), spec.Name.ToUpperInvariant());
            return Outcome.Continue;
        }
        if (!resolved.ArityMatches(c.Count))
        {
            Reject(c.Kind);
            RespErrors.WriteWrongArity(Target(), resolved.NameBytes);
            return Outcome.Continue;
        }
        _lastCommand = resolved.Name;
        if (resolved.DenyOom && _server.IsOverMaxMemory)
        {
            Reject(c.Kind);
            RespWriter.WriteRaw(Target(), RespErrors.OutOfMemory);
            return Outcome.Continue;
        }
        if (_subscriptions > 0 && _respVersion == 2 && !AllowedWhileSubscribed(c.Kind))
        {
            Reject(c.Kind);
            RespErrors.WriteNotAllowedWhileSubscribed(Target(), spec.NameBytes);
            return Outcome.Continue;
        }
        if (resolved != spec && resolved.ShortName == "help")
        {
            RespCommandReplies.WriteHelp(Target(), spec);
            return Outcome.Continue;
        }
        _mayHaveWritten |= resolved.MayWrite;
        return resolved.HasKeys && !resolved.NamesChannels ? ExecuteKeyed(resolved) : ExecuteNodeCommand();
    }

    private Outcome ExecuteKeyed(RespCommandSpec spec)
    {
        var c = _command;
        if (spec.Step == 2 && (c.Count - 1) % 2 != 0)
        {
            RespErrors.WriteWrongArity(Target(), spec.NameBytes);
            return Outcome.Continue;
        }
        if (_host.IsLoading)
        {
            RespWriter.WriteRaw(Target(), RespErrors.Loading);
            return Outcome.Continue;
        }
        if (_host.LeaseExpired)
        {
            RespWriter.WriteRaw(Target(), RespErrors.NoLease);
            return Outcome.Continue;
        }
        if (!_order.IsIdle && TouchesRunningTransaction(spec))
            return Outcome.MustWait;
        var state = _host.Cluster.Current; // one state for every key of the command
        if (ForwardedUnderOlderState(state.Epoch))
            return Outcome.MustWait;
        if (_tracking != 0 && spec.IsReadOnly && !TrackReads(spec, state, Target()))
            return Outcome.Continue;
        if (c.Kind is RespCommandKind.MGet or RespCommandKind.MSet or RespCommandKind.MSetNx)
            return StartTransaction();
        // PFCOUNT of several keys too (of one key it runs at the owner, which caches the count in the value).
        if (c.Kind is RespCommandKind.Rename or RespCommandKind.RenameNx or RespCommandKind.Copy || RunsAsTransaction(c.Kind) || (c.Kind == RespCommandKind.PfCount && c.Count > 2))
            return StartKeyMove(spec);
        if (IsBlocking(c.Kind))
            return Outcome.Block;
        if (c.Kind == RespCommandKind.Watch)
            return StartWatch();
        var owner = state.OwnerOf(c.GetArgument(spec.FirstKey));
        var last = spec.LastKeyIndex(c);
        for (var i = spec.FirstKey + spec.Step; i <= last; i += spec.Step)
        {
            if (state.OwnerOf(c.GetArgument(i)) != owner)
            {
                if (CanFanOut(c.Kind))
                    return StartFanOut();
                RespWriter.WriteRaw(Target(), RespErrors.CrossNode);
                return Outcome.Continue;
            }
        }
        if (owner == _host.SelfId && _host.Keyspace.Moves is not null && AnyHandedAway(spec))
        {
            // This node is handing the slot over: its copy may already be older than the new owner's, for reads as
            // well as writes. The command waits for the handover's end (milliseconds) and then runs as any command
            // would: MOVED to the new owner (cluster-aware), forwarded there (any other client), or here if the move
            // was undone. TRYAGAIN only when the handover outlasts HandoverRetry's bound.
            if (_handoverAttempt < HandoverRetry.Attempts)
                return Outcome.AwaitHandover;
            RespWriter.WriteRaw(Target(), RespKeyCommands.Moving);
            return Outcome.Continue;
        }
        if (owner == _host.SelfId && (c.Kind is RespCommandKind.Del or RespCommandKind.Unlink) && c.Count > 2 && AnyMoving(spec, state))
            return StartFanOut(); // a key handed over midway leaves the rest to run after the handover, each counted once
        if (owner == _host.SelfId || (_readOnly && ReadsAtThisReplica(spec, state)))
        {
            // The mark may be set between the check above and the command's write: the keyspace then refuses the
            // write (nothing changed), and the command waits for the handover as if the check had seen it.
            var target = Target();
            HandoverHold.Begin();
            var noLoop = _tracking != 0 && (Tracking & TrackingFlags.NoLoop) != 0;
            if (noLoop)
                KeyTracking.Writer = this;
            RespKeyCommands.Execute(c, target, _host.Keyspace, _respVersion);
            if (noLoop)
                KeyTracking.Writer = null;
            if (HandoverHold.End())
            {
                if (_handoverAttempt < HandoverRetry.Attempts)
                    return Outcome.AwaitHandover;
                RespWriter.WriteRaw(target, RespKeyCommands.Moving);
                return Outcome.Continue;
            }
            _host.Keyspace.Durability?.HoldThisThreadsWrites(_connection);
            return Outcome.Continue;
        }
        if (_clusterAware && TryRedirect(c.GetArgument(spec.FirstKey), owner))
            return Outcome.Continue;
        _forwardKey = spec.FirstKey;
        _forwardEpoch = state.Epoch;
        return SendRemote(owner);
    }

    /// <summary>
    /// Whether commands this connection forwarded under a state older than <paramref name="epoch"/> may still be
    /// unanswered: then the command waits until every outstanding reply is in (WhenMayGoOnAsync), once per state change.
    /// </summary>
    /// <remarks>
    /// A forward routed by the older state may meet its slot's handover at the old owner and be sent again after it
    /// (RespSession.Reroute.cs); a later command on the same key routed by the newer state (run here, or sent to the new
    /// owner) would otherwise take effect first: a pipelined <c>SET k 1</c>, <c>GET k</c> read the old value when the
    /// state that moved <c>k</c> here arrived between the two. Outside state changes this is one comparison.
    /// </remarks>
    private bool ForwardedUnderOlderState(ulong epoch)
    {
        if (_forwardEpoch == NoForward || _forwardEpoch == epoch)
            return false;
        if (Volatile.Read(ref _outstanding) > 0)
            return true;
        _forwardEpoch = NoForward; // everything forwarded before has its answer
        return false;
    }

    /// <summary>
    /// The command met the handover of its slot at this node: send out what the batch has so far, wait (1 ms, then up to 32
    /// ms, <see cref="HandoverRetry"/>), then run it again (its bytes stay in the unadvanced input), until it no longer
    /// meets a handover. Nothing else of this connection runs meanwhile, so replies stay in order.
    /// </summary>
    /// <remarks>
    /// Why not Redis's <c>-ASK</c>: a FastDht slot never has some keys at one node and some at the other. Before the mark
    /// the old owner serves every key; from the state that names the new owner on, <c>-MOVED</c> points there (and
    /// updates the client's table, which <c>-ASK</c> does not). In between, the new owner cannot serve yet either (the
    /// last changes are still on their way to it), so an <c>-ASK</c> would only send the client to wait there.
    /// </remarks>
    private async ValueTask<Outcome> AwaitHandoverAsync()
    {
        var outcome = Outcome.AwaitHandover;
        try
        {
            while (outcome == Outcome.AwaitHandover)
            {
                await EndBatchAsync().ConfigureAwait(false);
                await Task.Delay(HandoverRetry.DelayMs(_handoverAttempt++)).ConfigureAwait(false);
                if (!await EnterBatchAsync().ConfigureAwait(false))
                    return Outcome.Stop;
                outcome = Execute();
                if (outcome == Outcome.MustWait)
                    outcome = await ExecuteInOrderAsync().ConfigureAwait(false);
                if (outcome == Outcome.NeedRoom)
                    outcome = await ExecuteWithRoomAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _handoverAttempt = 0;
        }
        return outcome;
    }

    /// <summary>Whether a key of the command is in a slot moving in <paramref name="state"/> (its handover may come while the command runs).</summary>
    private bool AnyMoving(RespCommandSpec spec, ClusterState state)
    {
        var c = _command;
        var last = spec.LastKeyIndex(c.Count);
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
        {
            if (state.Slots.AssignmentOf(KeySlot.Of(c.GetArgument(i))).IsMoving)
                return true;
        }
        return false;
    }

    /// <summary>Whether a key of the command is in a slot this node handed to another (docs/elasticity.md).</summary>
    private bool AnyHandedAway(RespCommandSpec spec)
    {
        var c = _command;
        var last = spec.LastKeyIndex(c.Count);
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
        {
            if (_host.Keyspace.IsHandedAway(c.GetArgument(i)))
                return true;
        }
        return false;
    }

    /// <summary>Whether the command names a key of an MSET/MSETNX/MGET of this connection that has not taken effect yet.</summary>
    private bool TouchesRunningTransaction(RespCommandSpec spec)
    {
        var c = _command;
        var last = spec.LastKeyIndex(c);
        for (var i = spec.KeyWalkStart; i <= last; i = spec.NextKeyIndex(i))
        {
            if (_order.MustWait(c.GetArgument(i)))
                return true;
        }
        return false;
    }

    private Outcome SendRemote(ushort owner)
    {
        var link = _host.Peers.LinkTo(owner);
        if (link is null)
        {
            RespErrors.WriteClusterDown(Target(), _host.Peers.UnavailableMessage(owner));
            return Outcome.Continue;
        }
        if (!link.Requests.HasRoomForForward)
        {
            _pendingLink = link;
            return Outcome.NeedRoom;
        }
        _metrics?.CountForward();
        if (FrameWriter.RespExecuteFrameLength(_command) - 4 > link.SendLimit)
        {
            RespWriter.WriteError(Target(), "the command is larger than the cluster's maximum frame size"u8);
            return Outcome.Continue;
        }
        if (!link.Connection.TryEnterWrite(out var linkWriter))
        {
            _pendingLink = link;
            _pendingOwner = owner;
            return Outcome.NeedLink;
        }
        Send(link, owner, linkWriter);
        return Outcome.Continue;
    }

    /// <summary>The link's writer lock was busy: wait for it (the command's bytes stay in the unadvanced input meanwhile).</summary>
    private async ValueTask<Outcome> SendRemoteSlowAsync()
    {
        var link = _pendingLink!;
        _pendingLink = null;
        var linkWriter = await Connections.FrameSession.EnterSlowAsync(link.Connection).ConfigureAwait(false);
        if (linkWriter is null)
            RespErrors.WriteClusterDown(Target(), _host.Peers.UnavailableMessage(_pendingOwner));
        else
            Send(link, _pendingOwner, linkWriter);
        return Outcome.Continue;
    }

    /// <summary>Holding the link's writer lock: queues a slot for the answer and writes the RespExecute frame, unflushed.</summary>
    private void Send(FrameSession link, ushort owner, System.IO.Pipelines.PipeWriter linkWriter)
    {
        var slot = QueueLateReply();
        // Registered holding the link's writer lock and written at once: if the link is lost now, the owner may have run it (in doubt, -TIMEOUT).
        if (!link.Requests.TryRegister(slot, _host.ForwardTimeout, out var id, out var status, out var message, inDoubtIfLost: true))
        {
            _ = link.Connection.ExitWriteAsync(flush: false);
            slot.TargetNodeId = owner;
            slot.OnFailure(status, message);
            return;
        }
        slot.TargetNodeId = owner;
        // Nothing is kept for a second send: an owner that refuses it for a slot move returns it (RespSession.Reroute.cs).
        FrameWriter.WriteRespExecute(linkWriter, id, (byte)_respVersion, _command);
        // Released unflushed: the end of the batch flushes each touched link once.
        _ = link.Connection.ExitWriteAsync(flush: false);
        for (var i = 0; i < _touchedCount; i++)
        {
            if (ReferenceEquals(_touchedLinks[i], link))
                return;
        }
        if (_touchedCount == _touchedLinks.Length)
            Array.Resize(ref _touchedLinks, _touchedLinks.Length * 2);
        _touchedLinks[_touchedCount++] = link;
    }

    private static bool AllowedWhileSubscribed(RespCommandKind kind) => kind is
        RespCommandKind.Subscribe or RespCommandKind.Unsubscribe or RespCommandKind.PSubscribe or
        RespCommandKind.PUnsubscribe or RespCommandKind.SSubscribe or RespCommandKind.SUnsubscribe or RespCommandKind.Ping or
        RespCommandKind.Quit or RespCommandKind.Reset;
}
