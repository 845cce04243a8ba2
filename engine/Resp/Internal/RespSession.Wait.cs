using System.Buffers;
using FastDht.Engine.Cluster;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// WAIT numreplicas timeout: how many replicas hold every write this connection was answered for.
/// </summary>
/// <remarks>
/// FastDht replicates synchronously (docs/replication.md): a write is answered only once every replica in its range's
/// in-sync set has it, and a replica is in that set only while it has every write of the range that was answered. So
/// once this connection's earlier commands are answered, each in-sync replica of a range holds every write of it they
/// made, and the count is the fewest in-sync replicas of the ranges written. Which ranges a connection wrote is not
/// tracked per key (that would cost every write); a connection that sent any command that may write (Redis's
/// <c>write</c> or <c>may_replicate</c> flag, queued in MULTI included) counts every range of the cluster, one that
/// sent none the ranges this node is the primary of (as Redis answers for a master's replicas). The count can only be
/// lower than the replicas that hold the writes (a replica that left the in-sync set after acknowledging them is not
/// counted), never higher. More replicas than that can come only from a replica that catches up and rejoins the
/// in-sync set: WAIT looks again every <see cref="WaitPoll"/> until the timeout (0: for ever) while the connection
/// reads nothing more, as a Redis client blocked in WAIT, on no thread of its own.
/// </remarks>
internal sealed partial class RespSession
{
    /// <summary>How often a WAIT short of replicas looks at the in-sync sets again (they change only with the cluster state).</summary>
    private static readonly TimeSpan WaitPoll = TimeSpan.FromMilliseconds(100);

    private bool _mayHaveWritten;
    private long _waitWanted;
    private long _waitTimeoutMs;

    /// <summary>WAIT numreplicas timeout: Redis's errors; the count at once when it is enough or inside EXEC, otherwise <see cref="Outcome.WaitReplicas"/>.</summary>
    private Outcome Wait(IBufferWriter<byte> w)
    {
        var c = _command;
        if (!c.TryGetInt64(1, out var wanted))
        {
            RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
            return Outcome.Continue;
        }
        if (!c.TryGetInt64(2, out var timeoutMs))
        {
            RespWriter.WriteError(w, "timeout is not an integer or out of range"u8);
            return Outcome.Continue;
        }
        if (timeoutMs < 0)
        {
            RespWriter.WriteError(w, "timeout is negative"u8);
            return Outcome.Continue;
        }
        if (!_order.IsIdle)
            return Outcome.MustWait; // a transaction of this connection is still taking effect
        var insideExec = ReferenceEquals(_command, _queuedCommand);
        var held = ReplicasHoldingWrites(_host.Cluster.Current);
        // Inside EXEC, as in Redis, WAIT does not block: the queue's earlier steps have taken effect (RunQueueAsync
        // waits for each), so the count stands.
        if (insideExec || (held >= wanted && Volatile.Read(ref _outstanding) == 0))
        {
            RespWriter.WriteInteger(w, held);
            return Outcome.Continue;
        }
        _waitWanted = wanted;
        _waitTimeoutMs = timeoutMs;
        return Outcome.WaitReplicas;
    }

    /// <summary>
    /// Sends the replies before WAIT, waits until every one of them is in (a forwarded write is answered only once its
    /// replicas have it), then until enough replicas are in sync or the timeout passes, and answers the count.
    /// </summary>
    private async ValueTask<Outcome> WaitReplicasAsync()
    {
        var wanted = _waitWanted;
        var deadline = _waitTimeoutMs == 0 ? long.MaxValue : Environment.TickCount64 + _waitTimeoutMs;
        var closed = _connection.ConnectionClosed;
        await EndBatchAsync().ConfigureAwait(false);
        Task answered;
        lock (_queueLock)
            answered = _outstanding == 0 ? Task.CompletedTask : (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        // Bounded: every remote reply ends within the forward timeout (answer, timeout or link loss).
        await answered.ConfigureAwait(false);
        var held = ReplicasHoldingWrites(_host.Cluster.Current);
        var unblock = BeginUnblockable();
        // Bounded by the timeout, or by the connection's close (or a CLIENT UNBLOCK) when it is 0.
        while (held < wanted && !closed.IsCancellationRequested && !unblock.Task.IsCompleted)
        {
            var left = deadline - Environment.TickCount64;
            if (left <= 0)
                break;
            await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(Math.Min(left, WaitPoll.TotalMilliseconds)), closed), unblock.Task).ConfigureAwait(false);
            held = ReplicasHoldingWrites(_host.Cluster.Current);
        }
        var unblockedWithError = EndUnblockable(unblock);
        if (!await EnterBatchAsync().ConfigureAwait(false))
            return Outcome.Stop;
        if (unblockedWithError)
            WriteUnblocked(Target());
        else
            RespWriter.WriteInteger(Target(), held);
        return Outcome.Continue;
    }

    /// <summary>The fewest in-sync replicas of the ranges this connection may have written (see the remarks above); 0 without a range.</summary>
    private int ReplicasHoldingWrites(ClusterState state)
    {
        var fewest = int.MaxValue;
        foreach (var range in state.Slots.RangeAssignments)
        {
            if (_mayHaveWritten || range.Primary == _host.SelfId)
                fewest = Math.Min(fewest, range.InSync.Length);
        }
        return fewest == int.MaxValue ? 0 : fewest;
    }
}
