using FastDht.Engine.Connections;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// EXEC of a transaction that holds node commands (CONFIG, FLUSHALL, CLIENT, INFO, KEYS...): the queue runs in order
/// on the read loop, each step after the one before it has taken effect.
/// </summary>
/// <remarks>
/// <para>
/// Requirement: Redis queues any known command between MULTI and EXEC and runs the queue in order; clients and Redis's
/// own tests put CONFIG SET or FLUSHALL inside a transaction. A node command is not about keys the coordinator can
/// lock, so it cannot run inside the locked read-modify-write of <see cref="RespTransaction"/>.
/// </para>
/// <para>
/// Design: the WATCHed keys are checked first, as a transaction of no command that reads their versions under locks
/// (a changed one answers the null reply and nothing runs). Then EXEC's array header is written and the queue runs
/// step by step: each maximal run of keyed commands (and PING, ECHO, TIME...) is one atomic transaction of the
/// coordinator, exactly like a plain EXEC; each node command runs through the node's own code, in its place. A step
/// starts only once every step before it has taken effect (<see cref="RequestOrder"/> idle), so effects follow queue
/// order, and each reply lands in its place in the connection's ordered reply queue. What differs from Redis: only
/// each keyed run is atomic, not the whole queue: another client may act between two steps (Redis runs the whole
/// queue with nothing in between). A transaction of keyed commands only never comes here.
/// </para>
/// </remarks>
internal sealed partial class RespSession
{
    private RespCommand? _queuedCommand;

    private static bool HoldsNodeCommand(List<QueuedCommand> queue)
    {
        foreach (var command in queue)
        {
            if (command.IsNodeCommand)
                return true;
        }
        return false;
    }

    private static bool HoldsDenyOom(List<QueuedCommand> queue)
    {
        foreach (var command in queue)
        {
            if (command.DenyOom)
                return true;
        }
        return false;
    }

    /// <summary>Runs the queue of the current EXEC in order; answers Continue, or Stop when the connection closed.</summary>
    private async ValueTask<Outcome> RunQueueAsync()
    {
        var queue = _queued!.ToArray();
        (byte[] Key, ulong Version)[] watches;
        lock (_watchLock)
            watches = _watches?.ToArray() ?? [];
        _queued = null;
        Unwatch();

        if (watches.Length > 0)
        {
            var check = new RespTransaction([], watches, _respVersion, _host.Keyspace.MaxValueLength);
            if (!await WaitUntilIdleAsync().ConfigureAwait(false))
                return Outcome.Stop;
            await EndBatchAsync().ConfigureAwait(false);
            var status = StatusCode.Ok;
            string? failure = null;
            try
            {
                var result = await _host.Coordinator.ReadModifyWriteAsync(check.Keys, check.Decide).ConfigureAwait(false);
                if (!result.Step.IsOk)
                {
                    status = result.Step.Status;
                    failure = result.Step.Message ?? status.ToString();
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                status = StatusCode.InternalError;
                failure = e.Message;
            }
            if (!await EnterBatchAsync().ConfigureAwait(false))
                return Outcome.Stop;
            if (failure is not null)
            {
                var slot = QueueLateReply();
                slot.WriteFailure(status, failure + " (the WATCHed keys could not be checked; the transaction was not applied)");
                OnSlotCompleted(slot);
                return Outcome.Continue;
            }
            if (check.WatchFailed)
            {
                RespWriter.WriteRaw(Target(), _respVersion == 3 ? RespReplies.Null3 : RespReplies.NullArray);
                return Outcome.Continue;
            }
        }

        RespWriter.WriteArrayHeader(Target(), queue.Length);
        var own = _command;
        // CLIENT KILL of this very connection: as Redis's close-after-reply, the rest of the queue still runs and EXEC's
        // whole reply goes out, then the connection closes.
        var close = false;
        var scratch = _queuedCommand ??= new RespCommand();
        try
        {
            var i = 0;
            while (i < queue.Length)
            {
                if (!await WaitUntilIdleAsync().ConfigureAwait(false))
                    return Outcome.Stop;
                if (queue[i].IsNodeCommand)
                {
                    if (!queue[i].TryParse(scratch, RespLimits.Default))
                    {
                        RespWriter.WriteError(Target(), "the queued command could not be read back"u8);
                        i++;
                        continue;
                    }
                    _command = scratch;
                    _tap.Arm(); // its error counts for it, as an error of a queued command does in Redis
                    var outcome = ExecuteNodeCommand();
                    // A node command that must wait (FLUSHALL behind a running step) is run again once that step ends.
                    while (outcome == Outcome.MustWait)
                    {
                        if (!await WaitForSomeEndAsync().ConfigureAwait(false))
                            return Outcome.Stop;
                        outcome = ExecuteNodeCommand();
                    }
                    if (!_tap.Error.IsEmpty)
                        CountError(scratch.Kind, _tap.Error, refused: false);
                    _tap.Disarm();
                    _command = own;
                    close |= outcome == Outcome.Stop;
                    i++;
                    continue;
                }
                var end = i + 1;
                while (end < queue.Length && !queue[end].IsNodeCommand)
                    end++;
                var txn = new RespTransaction(queue[i..end], [], _respVersion, _host.Keyspace.MaxValueLength, _server.Scripts) { Permissions = ScriptPermissions, PubSub = _server.PubSub, NotifyClasses = _server.Notifications.Classes };
                if (txn.Keys.Length == 0 && !txn.HasScript)
                {
                    txn.Decide([]);
                    RespWriter.WriteRaw(Target(), txn.Replies);
                    DeliverPublished(txn);
                    CountErrors(txn);
                }
                else
                {
                    StartRespTransaction(txn, exec: false);
                }
                i = end;
            }
        }
        finally
        {
            _command = own;
        }
        return close ? Outcome.Stop : Outcome.Continue;
    }

    /// <summary>Waits until nothing asynchronous of this connection is running; false when the connection closed meanwhile.</summary>
    private async ValueTask<bool> WaitUntilIdleAsync()
    {
        while (!_order.IsIdle)
        {
            if (!await WaitForSomeEndAsync().ConfigureAwait(false))
                return false;
        }
        return true;
    }

    /// <summary>Sends out what the batch has so far, waits for one of this connection's running steps to end, takes the writer lock again.</summary>
    private async ValueTask<bool> WaitForSomeEndAsync()
    {
        await EndBatchAsync().ConfigureAwait(false);
        await _order.WhenSomeEndsAsync().ConfigureAwait(false);
        return await EnterBatchAsync().ConfigureAwait(false);
    }
}
