using System.Text;
using FastDht.Engine.Client.Internal;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>The cluster-learning half of the client: bootstrap from the seeds, and slot table refreshes that never go back to an older epoch.</summary>
public sealed partial class DhtClient
{
    private async Task BootstrapAsync(CancellationToken cancellationToken)
    {
        List<DhtException>? failures = null;
        foreach (var seed in _settings.Seeds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ClientConnection? connection = null;
            try
            {
                connection = await ClientConnection.OpenAsync(seed.Trim(), ClientConnection.UnknownNodeId, _settings, _connections, cancellationToken).ConfigureAwait(false);
                var view = await FetchClusterInfoAsync(connection, cancellationToken).ConfigureAwait(false);
                var route = ClientRoute.Build(view, null);
                // The seed connection becomes its member's connection, so the seed is not dialled twice.
                if (!route.TryGet(connection.NodeId, out var handle) || !handle.TryAdopt(connection))
                    await connection.CloseAsync().ConfigureAwait(false);
                Volatile.Write(ref _route, route);
                return;
            }
            catch (DhtException e)
            {
                if (connection is not null)
                    await connection.CloseAsync().ConfigureAwait(false);
                (failures ??= []).Add(e);
            }
        }

        if (failures!.Count == 1)
            throw failures[0];
        var message = new StringBuilder($"no seed of cluster '{_settings.ClusterName}' answered: ");
        for (var i = 0; i < failures.Count; i++)
            message.Append(i == 0 ? "" : "; ").Append(failures[i].Message);
        throw failures.TrueForAll(static f => f is DhtNodeUnavailableException)
            ? new DhtNodeUnavailableException(message.ToString(), new AggregateException(failures))
            : new DhtException(message.ToString(), new AggregateException(failures));
    }

    private async Task<ClusterView> FetchClusterInfoAsync(ClientConnection connection, CancellationToken cancellationToken)
    {
        var result = await connection.SendAsync(Opcode.ClusterInfo, default, default, ResponseShape.Body, cancellationToken).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, cancellationToken);
        return ClusterInfoReader.Read(result.Payload, connection.NodeId);
    }

    /// <summary>
    /// Fetches the slot table again until it is at least at <paramref name="minEpoch"/>, unless someone else has
    /// already brought it there (or, with <paramref name="minEpoch"/> 0, refreshed since the caller read generation
    /// <paramref name="observedGeneration"/>): a burst of WrongNode answers costs one ClusterInfo, not one each.
    /// </summary>
    private async Task RefreshAsync(int observedGeneration, ulong minEpoch, CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var caughtUp = minEpoch != 0
                ? Volatile.Read(ref _route).Epoch >= minEpoch
                : Volatile.Read(ref _generation) != observedGeneration;
            if (!caughtUp)
                await FetchClusterInfoAsync(minEpoch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>
    /// Asks the members (those with an open connection first) for ClusterInfo until one answers with an epoch of at
    /// least <paramref name="minEpoch"/> (0: the first answer), adopts the latest answer for routing and returns it.
    /// </summary>
    /// <remarks>
    /// A member may still be on an older state than the one a WrongNode announced (states reach nodes one after the
    /// other), so an older answer does not end the search; if no member has caught up, the latest answer is used.
    /// </remarks>
    private async Task<ClusterView> FetchClusterInfoAsync(ulong minEpoch, CancellationToken cancellationToken)
    {
        var route = Volatile.Read(ref _route);
        DhtException? last = null;
        ClusterView? latest = null;
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var node in route.Nodes)
            {
                var open = node.TryGetOpen(out var connection);
                if (open != (pass == 0))
                    continue;
                try
                {
                    if (!open)
                        connection = await node.OpenAsync(_settings, _connections).WaitAsync(cancellationToken).ConfigureAwait(false);
                    var view = await FetchClusterInfoAsync(connection, cancellationToken).ConfigureAwait(false);
                    if (latest is null || view.Epoch > latest.Epoch)
                        latest = view;
                    if (view.Epoch >= minEpoch)
                    {
                        Publish(view);
                        return view;
                    }
                }
                catch (DhtException e) when (e is DhtNodeUnavailableException or DhtTimeoutException)
                {
                    last = e;
                }
            }
        }
        if (latest is null)
            throw last ?? new DhtException("the cluster has no members");
        Publish(latest);
        return latest;
    }

    /// <summary>
    /// Starts one refresh in the background, unless one is running: a keyed request to the owner timed out, lost its
    /// connection or was refused for want of a lease, and the owner may have failed over. The caller's error surfaces
    /// as it is (a write in doubt is never retried); the calls after it route by the refreshed table.
    /// </summary>
    /// <remarks>
    /// Without it a client kept sending to a primary that was frozen, or cut off from the cluster but not from the
    /// client, for as long as that lasted: only a refused connection or a WrongNode made it look again (found by the
    /// fault tests, SIGSTOP and partition of a primary).
    /// </remarks>
    internal void RefreshInBackground()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.CompareExchange(ref _refreshingInBackground, 1, 0) != 0)
            return;
        var generation = Volatile.Read(ref _generation);
        var epoch = Volatile.Read(ref _route).Epoch;
        using (ExecutionContext.SuppressFlow())
            _ = RefreshInBackgroundAsync(generation, epoch);
    }

    /// <summary>Whether a failed answer means the owner may be gone (and not that the caller cancelled): see <see cref="RefreshInBackground"/>.</summary>
    internal static bool MayHaveFailedOver(in ResponseResult result) =>
        result.Status == StatusCode.NodeUnavailable
        || (result.Status == StatusCode.Timeout && !ReferenceEquals(result.ErrorMessage, CancelRequest.CanceledMessage));

    private int _refreshingInBackground;

    private async Task RefreshInBackgroundAsync(int generation, ulong epoch)
    {
        try
        {
            await Task.Yield(); // never on the read loop that reported the failure
            await RefreshAsync(generation, epoch + 1, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DhtException or ObjectDisposedException)
        {
            // No member answered, or the client closed meanwhile: the next failure tries again.
        }
        finally
        {
            Volatile.Write(ref _refreshingInBackground, 0);
        }
    }

    /// <summary>
    /// Builds a routing snapshot from <paramref name="view"/> and swaps it in, keeping open connections of unchanged
    /// members; a view older than the current table (a member that has not caught up yet) is not adopted.
    /// </summary>
    private void Publish(ClusterView view)
    {
        lock (_publishLock)
        {
            if (view.Epoch < _route.Epoch)
                return;
            Volatile.Write(ref _route, ClientRoute.Build(view, _route));
            Interlocked.Increment(ref _generation);
        }
    }
}
