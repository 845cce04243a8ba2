using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Plugins;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Node.Internal;

/// <summary>The node-facing API handed to wire protocols and embedding applications: the node's keyspace, cluster state and links, nothing more.</summary>
internal sealed class NodeContext(
    ushort selfId,
    string clusterName,
    TimeSpan forwardTimeout,
    LocalKeyspace keyspace,
    ClusterStateHolder cluster,
    IPeerLinks peers,
    IListenerAddresses listeners,
    NodeStatistics statistics,
    ILogger logger,
    CancellationToken stopping) : INodeContext
{
    public ushort NodeId => selfId;

    public string ClusterName => clusterName;

    public long LocalKeyCount => keyspace.Count;

    public ClusterState ClusterState => cluster.Current;

    public ILogger Logger => logger;

    public NodeStatistics Statistics => statistics;

    public CancellationToken Stopping => stopping;

    public ushort OwnerOf(ReadOnlySpan<byte> key) => cluster.Current.OwnerOf(key);

    public bool IsUp(ushort nodeId) => nodeId == selfId || peers.IsUp(nodeId);

    public string? GetListenerAddress(ushort nodeId, string protocol) => listeners.AddressOf(nodeId, protocol);

    public ValueTask<KeyOperationResult> GetAsync(ReadOnlyMemory<byte> key)
    {
        var owner = OwnerOf(key.Span);
        if (owner != selfId)
            return RemoteAsync(owner, new GetRequest(key), ResponseShape.Value);
        return new(keyspace.TryGet(key.Span, out var value)
            ? new KeyOperationResult(KeyOperationStatus.Ok, value)
            : new KeyOperationResult(KeyOperationStatus.NotFound));
    }

    public ValueTask<KeyOperationResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        var owner = OwnerOf(key.Span);
        if (owner != selfId)
            return RemoteAsync(owner, new PutRequest(key, value, ifAbsent: false), ResponseShape.Status);
        var result = keyspace.Put(key.Span, value.Span);
        if (result == KeyWriteResult.Ok)
            keyspace.NotifyPut(key.Span, withExpiry: false);
        return Durable(Local(result));
    }

    public ValueTask<KeyOperationResult> PutIfAbsentAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        var owner = OwnerOf(key.Span);
        if (owner != selfId)
            return RemoteAsync(owner, new PutRequest(key, value, ifAbsent: true), ResponseShape.Status);
        var result = keyspace.PutIfAbsent(key.Span, value.Span);
        if (result == KeyWriteResult.Ok)
            keyspace.NotifyPut(key.Span, withExpiry: false);
        return Durable(Local(result));
    }

    public ValueTask<KeyOperationResult> DeleteAsync(ReadOnlyMemory<byte> key)
    {
        var owner = OwnerOf(key.Span);
        if (owner != selfId)
            return RemoteAsync(owner, new DeleteRequest(key), ResponseShape.Status);
        var result = keyspace.Delete(key.Span);
        if (result == KeyWriteResult.Ok)
            keyspace.Notify(NotifyClass.Generic, "del"u8, key.Span);
        return Durable(Local(result));
    }

    /// <summary>
    /// A local write's outcome, once what it appended is durable (at once without a log): the embedding API acknowledges
    /// a write under the same rule as the protocols.
    /// </summary>
    private ValueTask<KeyOperationResult> Durable(KeyOperationResult result)
    {
        if (keyspace.Durability is not { } guard)
            return new(result);
        var durable = guard.WhenThisThreadsWritesDurableAsync();
        if (durable.IsCompletedSuccessfully && durable.Result)
            return new(result);
        return AwaitDurableAsync(durable, result);
    }

    private static async ValueTask<KeyOperationResult> AwaitDurableAsync(ValueTask<bool> durable, KeyOperationResult result)
    {
        var reached = await durable.ConfigureAwait(false);
        // Resumed by whatever released the write: the log's wake-up or the thread that took a replica's answer, both of
        // which resume many waits in a row. A plugin's code after its await runs on the thread pool instead, so it can
        // neither delay those nor block them (a synchronous wait there for another write would never end).
        await Task.Yield();
        return reached
            ? result
            : new KeyOperationResult(KeyOperationStatus.Failed, error: "the node stopped before the write was durable: it may or may not have been applied");
    }

    /// <summary>A local write's outcome in the plugin API's terms: the same lock rule and wording as the native protocol.</summary>
    private static KeyOperationResult Local(KeyWriteResult result) => result switch
    {
        KeyWriteResult.Ok => new KeyOperationResult(KeyOperationStatus.Ok),
        KeyWriteResult.Exists => new KeyOperationResult(KeyOperationStatus.Exists),
        KeyWriteResult.NotFound => new KeyOperationResult(KeyOperationStatus.NotFound),
        KeyWriteResult.Locked => new KeyOperationResult(KeyOperationStatus.Locked, error: "the key is locked by a transaction"),
        KeyWriteResult.LogUnavailable => new KeyOperationResult(KeyOperationStatus.Failed, error: "the node cannot write its log to disk (disk full, I/O error, or its data directory deleted): writes are refused until it can"),
        KeyWriteResult.Moving => new KeyOperationResult(KeyOperationStatus.Locked, error: "the key's slot is being handed to another node: retry"),
        _ => new KeyOperationResult(KeyOperationStatus.Failed, error: "the fencing token is not the current exclusive lock's"),
    };

    private async ValueTask<KeyOperationResult> RemoteAsync<TRequest>(ushort owner, TRequest request, ResponseShape shape)
        where TRequest : struct, IFrameRequest
    {
        var link = peers.LinkTo(owner);
        if (link is null)
            return new KeyOperationResult(KeyOperationStatus.Failed, error: peers.UnavailableMessage(owner));
        // In doubt once written, as a client's forward: a write whose answer is lost says it may or may not have been applied.
        var result = await link.CallAsync(request, shape, forwardTimeout, owner, inDoubtIfLost: true).ConfigureAwait(false);
        return result.Status switch
        {
            StatusCode.Ok => new KeyOperationResult(KeyOperationStatus.Ok, result.Payload),
            StatusCode.NotFound => new KeyOperationResult(KeyOperationStatus.NotFound),
            StatusCode.Exists => new KeyOperationResult(KeyOperationStatus.Exists),
            StatusCode.Locked or StatusCode.Moving => new KeyOperationResult(KeyOperationStatus.Locked, error: result.ErrorMessage),
            _ => new KeyOperationResult(KeyOperationStatus.Failed, error: result.ErrorMessage ?? result.Status.ToString()),
        };
    }
}
