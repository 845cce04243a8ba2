using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Text;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;
using FastDht.Protocol.Resp;
using FastDht.Engine.Transactions.Internal;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// MULTI/EXEC/DISCARD/WATCH/UNWATCH, and RENAME/RENAMENX/COPY, which run as one-command transactions: atomic over
/// keys on any nodes through the transaction coordinator (see <see cref="RespTransaction"/>).
/// </summary>
/// <remarks>
/// <para>
/// Between MULTI and EXEC nothing runs: each command is checked (known, right arity, allowed in a transaction) and
/// queued with <c>+QUEUED</c>, or answered with its error, which makes EXEC answer <c>-EXECABORT</c> and run nothing,
/// as in Redis. EXEC runs the queue as one transaction whose reply takes a slot in the connection's ordered reply
/// queue, like MSET; later commands of the connection on its keys wait until it has taken effect.
/// </para>
/// <para>
/// WATCH asks each key's owner for the key's version (<see cref="Keyspace.LocalKeyspace.Watch"/>: at once for keys
/// here, as a RespExecute for the others) and remembers it. EXEC locks the WATCHed keys with its own, reads their
/// versions under the locks and runs nothing (a null reply) if one differs: the key was written, expired, deleted or
/// flushed since the WATCH. An EXEC waits until every WATCH before it has its versions.
/// </para>
/// </remarks>
internal sealed partial class RespSession
{
    private static ReadOnlySpan<byte> Queued => "+QUEUED\r\n"u8;

    private static ReadOnlySpan<byte> ExecAbort => "-EXECABORT Transaction discarded because of previous errors.\r\n"u8;

    private readonly Lock _watchLock = new();
    private List<QueuedCommand>? _queued;
    private long _queuedBytes;
    private bool _queueFailed;
    private List<(byte[] Key, ulong Version)>? _watches;
    private int _watchesPending;

    /// <summary>The commands that run at once even between MULTI and EXEC, as in Redis.</summary>
    private static bool RunsInsideMulti(RespCommandKind kind) => kind is
        RespCommandKind.Exec or RespCommandKind.Discard or RespCommandKind.Multi or RespCommandKind.Watch or
        RespCommandKind.Quit or RespCommandKind.Reset;

    /// <summary>Between MULTI and EXEC: queues the command (<c>+QUEUED</c>) or answers why not and dooms the EXEC.</summary>
    private Outcome Queue(RespCommandSpec? spec)
    {
        var c = _command;
        var w = Target();
        if (spec is null)
        {
            RespErrors.WriteUnknownCommand(w, c);
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        var resolved = spec.ArityMatches(c.Count) ? RespCommandSpecs.Resolve(spec, c) : spec;
        if (resolved is null)
        {
            RespErrors.WriteUnknownSubcommand(w, c.GetArgument(1), spec.Name.ToUpperInvariant());
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        spec = resolved;
        if (!spec.ArityMatches(c.Count) || (spec.Step == 2 && (c.Count - 1) % 2 != 0))
        {
            RespErrors.WriteWrongArity(w, spec.NameBytes);
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        if (spec.NoMulti)
        {
            // SAVE, as Redis flags it: it would block the node's other clients while the transaction runs.
            RespWriter.WriteError(w, "Command not allowed inside a transaction"u8);
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        if (spec.DenyOom && _server.IsOverMaxMemory)
        {
            RespWriter.WriteRaw(w, RespErrors.OutOfMemory);
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        if (spec.KeyCountIndex > 0)
        {
            // EVAL: its keys must be readable now, to lock them with the transaction's, and share one owner.
            if (!ScriptEngine.TryLocateKeys(c, out var firstKey, out var keyCount, out var error) || !KeysShareOwner(c, firstKey, keyCount))
            {
                if (error.Length > 0)
                    RespWriter.WriteRaw(w, error);
                else
                    RespWriter.WriteRaw(w, RespErrors.CrossNode);
                Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
                _queueFailed = true;
                return Outcome.Continue;
            }
        }
        if (_tracking != 0 && spec.IsReadOnly && spec.HasKeys && !TrackReads(spec, _host.Cluster.Current, w))
        {
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        var queued = QueuedCommand.Of(c, spec);
        _queuedBytes += queued.Size;
        // The writes travel to their owners in one frame per owner, so a transaction larger than a frame could never
        // commit; the bound also keeps a client from making the node buffer an endless queue.
        if (_queuedBytes > _host.MaxFrameSize)
        {
            RespWriter.WriteError(w, Encoding.ASCII.GetBytes($"the transaction is larger than the node's maximum frame size ({_host.MaxFrameSize} bytes); it will be discarded"));
            Reject(c.Kind); // refused, never run: a rejected call, as Redis counts it
            _queueFailed = true;
            return Outcome.Continue;
        }
        _queued!.Add(queued);
        RespWriter.WriteRaw(w, Queued);
        return Outcome.Continue;
    }

    private void Multi(IBufferWriter<byte> w)
    {
        if (_queued is not null)
        {
            RespWriter.WriteError(w, "MULTI calls can not be nested"u8);
            return;
        }
        _queued = [];
        _queuedBytes = 0;
        _queueFailed = false;
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    private void Discard(IBufferWriter<byte> w)
    {
        if (_queued is null)
        {
            RespWriter.WriteError(w, "DISCARD without MULTI"u8);
            return;
        }
        _queued = null;
        _queueFailed = false;
        Unwatch();
        RespWriter.WriteRaw(w, RespReplies.Ok);
    }

    private Outcome Exec()
    {
        if (_queued is null)
        {
            RespWriter.WriteError(Target(), "EXEC without MULTI"u8);
            return Outcome.Continue;
        }
        if (_queueFailed)
        {
            _queued = null;
            _queueFailed = false;
            Unwatch();
            RespWriter.WriteRaw(Target(), ExecAbort);
            return Outcome.Continue;
        }
        if (Volatile.Read(ref _watchesPending) > 0)
            return Outcome.MustWait; // a WATCH of this connection is still asking an owner for a version
        if (_server.MaxMemory != 0 && HoldsDenyOom(_queued) && _server.IsOverMaxMemory)
        {
            // Checked again at EXEC, as Redis does: the node may have gone over its limit since the commands were queued.
            _queued = null;
            Unwatch();
            RespWriter.WriteRaw(Target(), RespErrors.ExecAbortOutOfMemory);
            return Outcome.Continue;
        }
        if (HoldsNodeCommand(_queued))
            return Outcome.RunQueue; // CONFIG, FLUSHALL, CLIENT...: run in order on the read loop (RunQueueAsync)
        (byte[] Key, ulong Version)[] watches;
        lock (_watchLock)
            watches = _watches?.ToArray() ?? [];
        var txn = new RespTransaction(_queued.ToArray(), watches, _respVersion, _host.Keyspace.MaxValueLength, _server.Scripts) { Permissions = ScriptPermissions, PubSub = _server.PubSub, NotifyClasses = _server.Notifications.Classes };
        foreach (var key in txn.Keys)
        {
            if (_order.MustWait(key.Span))
                return Outcome.MustWait; // an earlier transaction of this connection on these keys has not taken effect yet
        }
        _queued = null;
        Unwatch();
        if (txn.Keys.Length == 0 && !txn.HasScript)
        {
            // Only PING, ECHO, TIME...: nothing to lock.
            txn.Decide([]);
            var w = Target();
            RespWriter.WriteArrayHeader(w, txn.Commands);
            RespWriter.WriteRaw(w, txn.Replies);
            DeliverPublished(txn);
            CountErrors(txn);
            return Outcome.Continue;
        }
        return StartRespTransaction(txn, exec: true);
    }

    /// <summary>RENAME, RENAMENX, COPY: a transaction of one command, answered with that command's own reply.</summary>
    private Outcome StartKeyMove(RespCommandSpec spec) =>
        StartRespTransaction(new RespTransaction([QueuedCommand.Of(_command, spec)], [], _respVersion, _host.Keyspace.MaxValueLength) { NotifyClasses = _server.Notifications.Classes }, exec: false);

    /// <summary>
    /// Runs <paramref name="txn"/> off the read loop, its reply in a slot; later commands of the connection on its keys
    /// wait until it has taken effect, or every later command with <paramref name="barrier"/> (a lone script, whose
    /// client waits for it as a Redis client does).
    /// </summary>
    private Outcome StartRespTransaction(RespTransaction txn, bool exec, bool barrier = false)
    {
        var slot = QueueLateReply();
        var ticket = barrier ? _order.BeginBarrier() : _order.Begin(txn.Keys);
        using (ExecutionContext.SuppressFlow())
            _ = RunRespTransactionAsync(slot, txn, exec, _respVersion, ticket);
        return Outcome.Continue;
    }

    // How many times a transaction may run again to lock keys it found it needs (SORT's patterns): 2 suffice unless
    // its source keeps changing between the runs.
    private const int MaxKeyRounds = 8;

    private async Task RunRespTransactionAsync(ReplySlot slot, RespTransaction txn, bool exec, int respVersion, object ticket)
    {
        try
        {
            TxnResult result;
            if (txn.Keys.Length == 0)
            {
                // A script that declares no key: nothing to lock, but off the read loop (it may run long).
                await Task.Yield();
                txn.Decide([]);
                result = new TxnResult(TxnStep.Ok, 1);
            }
            else
            {
                result = await _host.Coordinator.ReadModifyWriteAsync(txn.Keys, txn.Decide, decideOnPool: txn.HasScript).ConfigureAwait(false);
                // SORT's patterns named keys it had not locked: again with them (the keys it read stay locked meanwhile
                // only within one run, so a source changed in between may need another round; bounded).
                for (var round = 1; result.Step.IsOk && txn.NeededKeys is not null; round++)
                {
                    if (round == MaxKeyRounds)
                    {
                        result = new TxnResult(new TxnStep(StatusCode.Aborted, "the keys SORT's patterns name kept changing"));
                        break;
                    }
                    txn = txn.WithKeys();
                    result = await _host.Coordinator.ReadModifyWriteAsync(txn.Keys, txn.Decide, decideOnPool: txn.HasScript).ConfigureAwait(false);
                }
            }
            if (!result.Step.IsOk)
            {
                // After a commit decision the coordinator's own words say what is applied; "not applied" would be false.
                slot.WriteFailure(result.Step.Status, (result.Step.Message ?? result.Step.Status.ToString()) + (result.Step.CommitDecided ? "" : " (the transaction was not applied)"));
                if (!exec)
                    RepeatFailure(slot, txn.Commands); // a run of an EXEC's queue (RunQueueAsync): one reply per command
            }
            else if (txn.WatchFailed)
            {
                RespWriter.WriteRaw(slot, respVersion == 3 ? RespReplies.Null3 : RespReplies.NullArray);
            }
            else
            {
                if (exec)
                    RespWriter.WriteArrayHeader(slot, txn.Commands);
                RespWriter.WriteRaw(slot, txn.Replies);
                DeliverPublished(txn);
                CountErrors(txn);
                slot.CountsErrors = false;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            slot.WriteFailure(StatusCode.InternalError, e.Message);
        }
        // The participants appended their commit records before the result; the reply waits until they are durable.
        _host.Keyspace.Durability?.HoldAllAppended(_connection);
        _order.End(ticket);
        OnSlotCompleted(slot);
    }

    /// <summary>
    /// The transaction ran: the errors its commands answered count as theirs (EXEC itself did not fail, as in Redis),
    /// and those of commands its scripts ran count in errorstats only. Any thread.
    /// </summary>
    private void CountErrors(RespTransaction txn)
    {
        if (txn.Errors is not { } errors)
            return;
        foreach (var note in errors)
        {
            if (note.Counts)
                _server.Errors.Count(note.Error);
            if (note.Kind != RespCommandKind.Unknown)
                Stats.Fail(note.Kind);
        }
    }

    /// <summary>
    /// The transaction committed: the keyspace events of its commands are published to this node's subscribers, then the
    /// messages its PUBLISH commands (and scripts) sent are delivered here and broadcast, in order.
    /// </summary>
    private void DeliverPublished(RespTransaction txn)
    {
        if (txn.KeyspaceEvents is { } events)
        {
            foreach (var (type, name, key) in events.Events)
                _server.Notifications.Emit(type, name, key);
        }
        if (txn.Published is not { } published)
            return;
        foreach (var (channel, message) in published)
        {
            _server.PubSub.Deliver(channel, message, null, null);
            _server.Broadcast.Send(_host.Peers, _host.Cluster.Current, _host.SelfId, channel, message);
        }
    }

    private static void RepeatFailure(ReplySlot slot, int commands)
    {
        var once = slot.Written.ToArray();
        for (var i = 1; i < commands; i++)
            slot.Write(once);
    }

    /// <summary>WATCH key...: remembers each key's version at its owner.</summary>
    private Outcome StartWatch()
    {
        var c = _command;
        if (_queued is not null)
        {
            // Answered, not queued, and the transaction goes on: what Redis does.
            RespWriter.WriteError(Target(), "WATCH inside MULTI is not allowed"u8);
            return Outcome.Continue;
        }
        var state = _host.Cluster.Current;
        for (var i = 1; i < c.Count && _host.Keyspace.Moves is not null; i++)
        {
            // A key of a slot this node is handing over: its version here may be older than the new owner's copy. The
            // WATCH waits for the handover's end (as any command on the slot) before it reads any version.
            var key = c.GetArgument(i);
            if (state.OwnerOf(key) != _host.SelfId || !_host.Keyspace.IsHandedAway(key))
                continue;
            if (_handoverAttempt < HandoverRetry.Attempts)
                return Outcome.AwaitHandover;
            RespWriter.WriteRaw(Target(), RespKeyCommands.Moving);
            return Outcome.Continue;
        }
        List<(ushort Owner, byte[] Key)>? remote = null;
        for (var i = 1; i < c.Count; i++)
        {
            var key = c.GetArgument(i);
            var owner = state.OwnerOf(key);
            if (owner == _host.SelfId)
                AddWatch(key.ToArray(), _host.Keyspace.Watch(key));
            else
                (remote ??= []).Add((owner, key.ToArray()));
        }
        if (remote is null)
        {
            RespWriter.WriteRaw(Target(), RespReplies.Ok);
            return Outcome.Continue;
        }
        var slot = QueueLateReply();
        var keys = new ReadOnlyMemory<byte>[remote.Count];
        for (var i = 0; i < keys.Length; i++)
            keys[i] = remote[i].Key;
        Interlocked.Increment(ref _watchesPending);
        var ticket = _order.Begin(keys);
        using (ExecutionContext.SuppressFlow())
            _ = RunWatchAsync(slot, remote, (byte)_respVersion, ticket);
        return Outcome.Continue;
    }

    /// <summary>
    /// Reads the remote keys' versions at their owners (in parallel). A key whose owner refused it for a slot move (it
    /// ran nothing) is asked again after HandoverRetry's pauses, of its owner in the state then (here, if that is this
    /// node and its handover is over), so a WATCH meeting a handover waits for it instead of failing.
    /// </summary>
    private async Task RunWatchAsync(ReplySlot slot, List<(ushort Owner, byte[] Key)> remote, byte respVersion, object ticket)
    {
        var failure = new PartFailure();
        try
        {
            var calls = new Task<ResponseResult>?[remote.Count];
            for (var attempt = 0; remote.Count > 0; attempt++)
            {
                var more = attempt + 1 < HandoverRetry.Attempts;
                List<(ushort Owner, byte[] Key)>? refused = null;
                for (var i = 0; i < remote.Count; i++)
                {
                    var (owner, key) = remote[i];
                    calls[i] = null;
                    if (owner == _host.SelfId)
                        continue; // owned here since the WATCH began: read below
                    var link = _host.Peers.LinkTo(owner);
                    if (link is null)
                    {
                        failure.AddUnsent(_host.Peers.UnavailableMessage(owner));
                        continue;
                    }
                    _metrics?.CountForward(); // each key asked counts, a re-sent one again
                    var request = new RespExecuteRequest(EncodeRespExecute(respVersion, "WATCH"u8.ToArray(), [key]));
                    calls[i] = link.CallAsync(request, ResponseShape.Body, _host.ForwardTimeout, owner, inDoubtIfLost: true).AsTask();
                }
                for (var i = 0; i < remote.Count; i++)
                {
                    // A key whose version could not be read is watched as "changed" (a version no key has): the next EXEC fails.
                    var version = ulong.MaxValue;
                    if (remote[i].Owner == _host.SelfId)
                    {
                        if (!_host.Keyspace.IsHandedAway(remote[i].Key))
                            version = _host.Keyspace.Watch(remote[i].Key);
                        else if (more)
                        {
                            (refused ??= []).Add(remote[i]);
                            continue;
                        }
                        else
                        {
                            failure.Add(StatusCode.Moving, $"node {_host.SelfId}: the key's slot is being handed to another node, retry");
                        }
                    }
                    else if (calls[i] is { } call)
                    {
                        var result = await call.ConfigureAwait(false);
                        if (result.Status is StatusCode.WrongNode or StatusCode.Moving && more)
                        {
                            (refused ??= []).Add(remote[i]);
                            continue;
                        }
                        if (result.IsError)
                            failure.AddCall(remote[i].Owner, result);
                        else if (!TryReadInteger(result.Payload, out var v, out var error))
                            failure.Add(StatusCode.InternalError, $"node {remote[i].Owner}: {error}");
                        else
                            version = (ulong)v;
                    }
                    AddWatch(remote[i].Key, version);
                }
                if (refused is null)
                    break;
                await Task.Delay(HandoverRetry.DelayMs(attempt)).ConfigureAwait(false);
                await AfterReroutesAsync().ConfigureAwait(false);
                var state = _host.Cluster.Current;
                remote = new List<(ushort Owner, byte[] Key)>(refused.Count);
                foreach (var (_, key) in refused)
                    remote.Add((state.OwnerOf(key), key));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure.Add(StatusCode.InternalError, e.Message);
        }
        // A handover that outlasted the waits: TRYAGAIN, as for any command on the slot; an owner unreachable: CLUSTERDOWN.
        if (!failure.Failed)
            RespWriter.WriteRaw(slot, RespReplies.Ok);
        else
            RespWriter.WriteError(slot, failure.Code("CLUSTERDOWN"u8), Encoding.UTF8.GetBytes($"WATCH could not read a key's version ({failure.Message}); the next EXEC will fail"));
        Interlocked.Decrement(ref _watchesPending);
        _order.End(ticket);
        OnSlotCompleted(slot);
    }

    private void AddWatch(byte[] key, ulong version)
    {
        lock (_watchLock)
            (_watches ??= []).Add((key, version));
    }

    private void Unwatch()
    {
        lock (_watchLock)
            _watches = null;
    }
}
