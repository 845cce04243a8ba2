using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Node.Internal;
using FastDht.Protocol;
using FastDht.Storage;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Plugins.Internal;

/// <summary>The node-facing API handed to wire protocols, over the node's shared core.</summary>
internal sealed class NodeContext(NodeCore core) : INodeContext
{
    public NodeCore Core { get; } = core;

    public ushort NodeId => Core.SelfId;

    public string ClusterName => Core.Options.ClusterName;

    public IKeyValueStore Store => Core.Store;

    public SlotTable SlotTable => Core.SlotTable;

    public MemberList Members => Core.Members;

    public ILogger Logger => Core.Logger;

    public NodeStatistics Statistics => Core.Statistics;

    public CancellationToken Stopping => Core.Stopping;

    public ushort OwnerOf(ReadOnlySpan<byte> key) => Core.OwnerOf(key);

    public bool IsUp(ushort nodeId) => nodeId == Core.SelfId || Core.Mesh.IsUp(nodeId);

    public string? GetListenerAddress(ushort nodeId, string protocol) => Core.GetListenerAddress(nodeId, protocol);

    public ValueTask<KeyOperationResult> GetAsync(ReadOnlyMemory<byte> key)
    {
        var owner = Core.OwnerOf(key.Span);
        if (owner != Core.SelfId)
            return RemoteAsync(owner, new GetRequest(key), ResponseShape.Value);
        return new(Core.Store.TryGet(key.Span, out var value)
            ? new KeyOperationResult(KeyOperationStatus.Ok, value)
            : new KeyOperationResult(KeyOperationStatus.NotFound));
    }

    public ValueTask<KeyOperationResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        var owner = Core.OwnerOf(key.Span);
        if (owner != Core.SelfId)
            return RemoteAsync(owner, new PutRequest(key, value, ifAbsent: false), ResponseShape.Status);
        Core.Store.Put(key.Span, value.Span);
        return new(new KeyOperationResult(KeyOperationStatus.Ok));
    }

    public ValueTask<KeyOperationResult> PutIfAbsentAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        var owner = Core.OwnerOf(key.Span);
        if (owner != Core.SelfId)
            return RemoteAsync(owner, new PutRequest(key, value, ifAbsent: true), ResponseShape.Status);
        return new(new KeyOperationResult(Core.Store.PutIfAbsent(key.Span, value.Span) ? KeyOperationStatus.Ok : KeyOperationStatus.Exists));
    }

    public ValueTask<KeyOperationResult> DeleteAsync(ReadOnlyMemory<byte> key)
    {
        var owner = Core.OwnerOf(key.Span);
        if (owner != Core.SelfId)
            return RemoteAsync(owner, new DeleteRequest(key), ResponseShape.Status);
        return new(new KeyOperationResult(Core.Store.Delete(key.Span) ? KeyOperationStatus.Ok : KeyOperationStatus.NotFound));
    }

    private async ValueTask<KeyOperationResult> RemoteAsync<TRequest>(ushort owner, TRequest request, ResponseShape shape)
        where TRequest : struct, IFrameRequest
    {
        var link = Core.Mesh.GetLink(owner);
        if (link is null)
            return new KeyOperationResult(KeyOperationStatus.Failed, error: Core.Mesh.UnavailableMessage(owner));
        var result = await link.CallAsync(request, shape, Core.Options.ForwardTimeout, owner).ConfigureAwait(false);
        return result.Status switch
        {
            StatusCode.Ok => new KeyOperationResult(KeyOperationStatus.Ok, result.Payload),
            StatusCode.NotFound => new KeyOperationResult(KeyOperationStatus.NotFound),
            StatusCode.Exists => new KeyOperationResult(KeyOperationStatus.Exists),
            _ => new KeyOperationResult(KeyOperationStatus.Failed, error: result.ErrorMessage ?? result.Status.ToString()),
        };
    }
}
