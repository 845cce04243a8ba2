using System.Text;
using FastDht.Engine.Client.Internal;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>The cluster-learning half of the client: bootstrap from the seeds, and slot table refreshes.</summary>
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
    /// Fetches the slot table again, unless someone else refreshed since the caller read generation
    /// <paramref name="observedGeneration"/>: a burst of WrongNode answers costs one ClusterInfo, not one each.
    /// </summary>
    private async Task RefreshAsync(int observedGeneration, CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _generation) == observedGeneration)
                await GetClusterInfoAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Builds a routing snapshot from <paramref name="view"/> and swaps it in, keeping open connections of unchanged members.</summary>
    private void Publish(ClusterView view)
    {
        lock (_publishLock)
        {
            Volatile.Write(ref _route, ClientRoute.Build(view, _route));
            Interlocked.Increment(ref _generation);
        }
    }
}
