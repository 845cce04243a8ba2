using System.Runtime.CompilerServices;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Client.Internal;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>Batches: many single-key requests, grouped by owner, written under one writer-lock hold per node, completed together.</summary>
public sealed partial class DhtClient
{
    /// <summary>
    /// Sends every request of <paramref name="batch"/> to its key's owner and completes when each has its result
    /// (read them with the batch's indexer). The requests for one node go out under one hold of its connection's writer
    /// lock with one flush; no request has a task of its own.
    /// </summary>
    /// <remarks>
    /// Errors are per request, never thrown: a refusal carries the node's status, a request that outlives the request
    /// timeout fails with Timeout, and a lost connection fails each of its pending requests with NodeUnavailable (and
    /// starts a refresh of the table in the background, as a single call does: the owner may have failed over). The
    /// requests that meet a change of owners are retried as a single call's are, only those, in rounds: answered
    /// WrongNode from a later cluster state, or ShuttingDown (a stopping node that ran nothing), after one refresh for
    /// the whole round; answered Moving (their slot is being
    /// handed over) or WrongNode from a node not yet at the client's state, after a short wait (eight of 1 ms, then 2, 4 ... 32 ms, about
    /// 2 s in all, counted in <see cref="MovingRetries"/>); a request still misrouted after that keeps the last answer.
    /// <paramref name="cancellationToken"/> is observed while dialing and between rounds: the run then throws
    /// <see cref="OperationCanceledException"/>, each request answered so far keeps its answer, and a request not sent
    /// reads as a cancelled single call does (Timeout, "cancelled by the caller"). A request once sent ends by its answer
    /// or its timeout.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The batch is already running.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the run ended.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ExecuteAsync(DhtBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        if (!batch.TryBeginRun())
            throw new InvalidOperationException("the batch is already running");
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var entry = batch.EntryAt(i);
                entry.BeginRun();
                entry.Selected = true;
            }
            var selected = batch.Count;
            var waits = 0;
            var refreshedLast = false;
            while (selected > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var generation = Volatile.Read(ref _generation);
                await RunRoundAsync(batch, selected, cancellationToken).ConfigureAwait(false);
                // Bounded: a round without a wait follows only a round with one, and the waits are bounded.
                var retry = SelectRetries(batch, waits < MaxMovingWaits);
                selected = retry.Count;
                if (retry.FailedOver)
                    RefreshInBackground();
                if (selected == 0)
                    break;
                if (retry.NewerEpoch != 0 && !refreshedLast)
                {
                    // An owner moved in a later cluster state: one refresh for every request it turned away, no wait.
                    refreshedLast = true;
                    await RefreshAsync(generation, retry.NewerEpoch, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                refreshedLast = false;
                Interlocked.Add(ref _movingRetries, selected);
                await Task.Delay(HandoverRetry.DelayMs(waits++), cancellationToken).ConfigureAwait(false);
                if (retry.WrongNode)
                    await RefreshAsync(generation, 0, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var entry = batch.EntryAt(i);
                entry.Connection = null;
                entry.Selected = false;
            }
            batch.EndRun();
        }
    }

    /// <summary>Routes the selected entries, dials owners that have no open connection, writes each owner's share under one lock hold, and waits for every answer.</summary>
    private async ValueTask RunRoundAsync(DhtBatch batch, int selected, CancellationToken cancellationToken)
    {
        var done = batch.Arm(selected);
        var route = Volatile.Read(ref _route);
        for (var i = 0; i < batch.Count; i++)
            batch.EntryAt(i).Sent = false;
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch.EntryAt(i);
            if (!entry.Selected || entry.Sent)
                continue;
            entry.RoutedEpoch = route.Epoch;
            var node = route.OwnerOf(entry.Key.Span);
            if (node.TryGetOpen(out var connection))
            {
                entry.Connection = connection;
                continue;
            }
            try
            {
                // One dial per node: every later entry for it finds the connection open (or fails the same way below).
                entry.Connection = await OpenAsync(node, cancellationToken).ConfigureAwait(false);
            }
            catch (DhtException e)
            {
                FailUnrouted(batch, i, route, node, e.Message);
            }
        }
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch.EntryAt(i);
            if (entry.Selected && !entry.Sent && entry.Connection is { } connection)
                await connection.SendBatchAsync(batch).ConfigureAwait(false);
        }
        batch.ReleaseSenderHold();
        await done.ConfigureAwait(false);
    }

    /// <summary>A node could not be dialled: every selected entry from <paramref name="from"/> on that it owns fails with the reason, unsent.</summary>
    private static void FailUnrouted(DhtBatch batch, int from, ClientRoute route, NodeHandle node, string message)
    {
        for (var i = from; i < batch.Count; i++)
        {
            var entry = batch.EntryAt(i);
            if (!entry.Selected || entry.Sent || entry.Connection is not null || !ReferenceEquals(route.OwnerOf(entry.Key.Span), node))
                continue;
            entry.Sent = true;
            entry.Complete(new ResponseResult(StatusCode.NodeUnavailable, null, message));
        }
    }

    /// <summary>What one round's answers ask of the next: how many requests to send again and why.</summary>
    /// <param name="Count">The requests selected for the next round.</param>
    /// <param name="NewerEpoch">The latest epoch a WrongNode from a later state named (0: none): refresh to it first.</param>
    /// <param name="WrongNode">Some selected request was answered WrongNode: after a wait, the table is refreshed.</param>
    /// <param name="FailedOver">Some request lost its connection or timed out: its owner may have failed over.</param>
    private readonly record struct BatchRetry(int Count, ulong NewerEpoch, bool WrongNode, bool FailedOver);

    /// <summary>
    /// Selects the entries to send again (while <paramref name="mayRetry"/>): answered WrongNode from a later state than
    /// they were routed by, or ShuttingDown, or transiently misrouted (Moving, or WrongNode from a node behind the client's table).
    /// </summary>
    private static BatchRetry SelectRetries(DhtBatch batch, bool mayRetry)
    {
        var newestEpoch = 0UL;
        var count = 0;
        var wrongNode = false;
        var failedOver = false;
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch.EntryAt(i);
            var result = entry.Result;
            var wasSent = entry.Selected;
            var connection = entry.Connection;
            entry.Connection = null;
            entry.Selected = false;
            if (!wasSent)
                continue;
            if (mayRetry && result.Status == StatusCode.WrongNode && IsNewerState(result.Epoch, entry.RoutedEpoch))
                newestEpoch = Math.Max(newestEpoch, result.Epoch == 0 ? entry.RoutedEpoch + 1 : result.Epoch);
            else if (mayRetry && result.Status == StatusCode.ShuttingDown)
            {
                // Its node is stopping and ran nothing (docs/protocol.md §3): nothing more goes there; refresh and resend.
                connection?.Retire();
                newestEpoch = Math.Max(newestEpoch, entry.RoutedEpoch + 1);
            }
            else if (!mayRetry || !IsTransientlyMisrouted(result))
            {
                failedOver |= MayHaveFailedOver(result);
                continue;
            }
            entry.Selected = true;
            wrongNode |= result.Status == StatusCode.WrongNode;
            count++;
        }
        return new BatchRetry(count, newestEpoch, wrongNode, failedOver);
    }
}
