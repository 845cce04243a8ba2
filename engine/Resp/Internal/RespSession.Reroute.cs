using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.CommandTable;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Re-routing: a command this node forwarded whose owner answered "not mine" (WrongNode: it handed the slot over
/// before this node learned it) or "handing over" (Moving) is sent again to the owner of the newer state once the
/// handover is over, as the native forward does (ClientSession.ReforwardAsync); TRYAGAIN only past HandoverRetry's
/// bound (docs/resp-server.md, "During a slot move").
/// </summary>
/// <remarks>
/// <para>
/// Order: the command keeps its place in the reply queue, and while any command of the connection is being re-routed
/// a barrier in <see cref="RequestOrder"/> holds every later command of the connection back (they run once it has its
/// answer), so none overtakes it. Re-routed commands go one at a time, in the order their answers came.
/// </para>
/// <para>
/// Nothing is kept when a command is forwarded: the owner returns a command it refuses for a move in its answer
/// (protocol.md section 5.12, <c>RespRefusalReply</c>), so a command of any size is sent again, also one forwarded
/// before this node learned of the move, and the forward path makes no copy. Only an owner that returns nothing (an
/// answer that would exceed the link's frame limit) leaves the client a TRYAGAIN.
/// </para>
/// </remarks>
internal sealed partial class RespSession
{
    private Queue<ReplySlot>? _reroutes; // under _queueLock
    private object? _rerouteBarrier; // under _queueLock: set while a re-route runs

    /// <summary>
    /// On a peer link's read loop: the owner ran nothing; re-route the command it returned unless the connection is
    /// gone (then the caller answers the failure as before).
    /// </summary>
    public bool TryReroute(ReplySlot slot)
    {
        if (_connection.IsClosed)
            return false;
        lock (_queueLock)
        {
            (_reroutes ??= new Queue<ReplySlot>()).Enqueue(slot);
            if (_rerouteBarrier is not null)
                return true; // the running re-route takes it after the ones before it
            _rerouteBarrier = _order.BeginBarrier();
        }
        using (ExecutionContext.SuppressFlow())
            _ = RerouteAllAsync();
        return true;
    }

    private async Task RerouteAllAsync()
    {
        while (true)
        {
            ReplySlot? slot;
            lock (_queueLock)
            {
                if (!_reroutes!.TryDequeue(out slot))
                {
                    _order.End(_rerouteBarrier!);
                    _rerouteBarrier = null;
                    return;
                }
            }
            try
            {
                await RerouteAsync(slot).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                slot.WriteFailure(StatusCode.InternalError, e.Message);
            }
            OnSlotCompleted(slot);
        }
    }

    /// <summary>Waits on HandoverRetry's schedule, then runs the returned command where the current state says, until it is not refused for a move; writes the reply into the slot.</summary>
    private async Task RerouteAsync(ReplySlot slot)
    {
        var body = slot.Refused!;
        slot.Refused = null;
        var respVersion = body[0];
        using var command = new RespCommand();
        var bytes = new System.Buffers.ReadOnlySequence<byte>(body, 1, body.Length - 1);
        var spec = RespRequestReader.TryRead(ref bytes, command, _limits, out _) && RespCommandSpecs.Get(command.Kind) is { } top
            ? RespCommandSpecs.Resolve(top, command) : null;
        if (spec is null || !spec.HasKeys)
        {
            slot.WriteFailure(StatusCode.InternalError, "the forwarded command could not be read back");
            return;
        }
        var last = spec.LastKeyIndex(command);
        for (var attempt = 0; ; attempt++)
        {
            await Task.Delay(HandoverRetry.DelayMs(attempt)).ConfigureAwait(false);
            var more = attempt + 1 < HandoverRetry.Attempts;
            var state = _host.Cluster.Current;
            var owner = state.OwnerOf(command.GetArgument(spec.FirstKey));
            var handedAway = false;
            for (var i = spec.FirstKey; i <= last; i += spec.Step)
            {
                if (state.OwnerOf(command.GetArgument(i)) != owner)
                {
                    // The keys shared an owner when the command was sent; a move split them since.
                    RespWriter.WriteRaw(slot, RespErrors.CrossNode);
                    return;
                }
                handedAway |= owner == _host.SelfId && _host.Keyspace.IsHandedAway(command.GetArgument(i));
            }
            if (owner == _host.SelfId)
            {
                if (handedAway && more)
                    continue;
                if (handedAway)
                {
                    RespWriter.WriteRaw(slot, RespKeyCommands.Moving);
                    return;
                }
                HandoverHold.Begin();
                RespKeyCommands.Execute(command, slot, _host.Keyspace, respVersion);
                if (HandoverHold.End())
                {
                    // The mark came after the check above: nothing ran, nothing was written.
                    if (more)
                        continue;
                    RespWriter.WriteRaw(slot, RespKeyCommands.Moving);
                    return;
                }
                // Computed off the read loop: the reply waits for everything appended before it (its own writes included).
                _host.Keyspace.Durability?.HoldAllAppended(_connection);
                return;
            }
            var link = _host.Peers.LinkTo(owner);
            if (link is null)
            {
                RespErrors.WriteClusterDown(slot, _host.Peers.UnavailableMessage(owner));
                return;
            }
            slot.TargetNodeId = owner;
            _metrics?.CountForward(); // each send counts, so fastdht.forwards shows re-sends too
            var result = await link.CallAsync(new RespExecuteRequest(body), ResponseShape.Body, _host.ForwardTimeout, owner, inDoubtIfLost: true).ConfigureAwait(false);
            if (result.Status is StatusCode.WrongNode or StatusCode.Moving && more)
                continue;
            if (result.IsError)
                slot.WriteFailure(result.Status, result.ErrorMessage ?? result.Status.ToString());
            else
                RespWriter.WriteRaw(slot, result.Payload ?? []);
            return;
        }
    }
}
