using System.Runtime.CompilerServices;
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
    /// timeout fails with Timeout, and a lost connection fails each of its pending requests with NodeUnavailable. A
    /// request answered WrongNode from a later cluster state is retried once at the new owner, after one refresh for
    /// the whole batch. <paramref name="cancellationToken"/> is observed until the requests are sent (while dialing);
    /// once sent, each ends by its answer or its timeout.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The batch is already running.</exception>
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
                batch.EntryAt(i).Selected = true;
            var retries = batch.Count;
            for (var round = 0; retries > 0; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var generation = Volatile.Read(ref _generation);
                await RunRoundAsync(batch, retries, cancellationToken).ConfigureAwait(false);
                // The second round is the one retry after WrongNode; its answers are final.
                var newestEpoch = 0UL;
                retries = round == 0 ? SelectRetries(batch, out newestEpoch) : 0;
                if (retries > 0)
                    await RefreshAsync(generation, newestEpoch, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Selects the entries answered WrongNode from a later state than they were routed by; their count, and the newest epoch named.</summary>
    private static int SelectRetries(DhtBatch batch, out ulong newestEpoch)
    {
        newestEpoch = 0;
        var count = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch.EntryAt(i);
            var result = entry.Result;
            entry.Connection = null;
            entry.Selected = result.Status == StatusCode.WrongNode && IsNewerState(result.Epoch, entry.RoutedEpoch);
            if (!entry.Selected)
                continue;
            count++;
            newestEpoch = Math.Max(newestEpoch, result.Epoch);
        }
        return count;
    }
}
