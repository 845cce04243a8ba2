using FastDht.Engine.Transport;

namespace FastDht.Engine.Plugins.Internal;

/// <summary>
/// A protocol the node serves with its own parts ("native": client sessions and peer links; "resp": the RESP
/// server): registered by name like any plugin, so listeners and <c>DhtNode.ServeAsync</c> find it, but its
/// connections are run by the node, which hands them the parts they need instead of an <see cref="INodeContext"/>.
/// </summary>
internal sealed class BuiltInProtocol(string name) : IWireProtocol
{
    public string Name { get; } = name;

    /// <summary>Never called: the node recognises a built-in protocol and runs its connections itself.</summary>
    public ValueTask RunConnectionAsync(SocketConnection connection, INodeContext node) =>
        throw new InvalidOperationException($"the {Name} protocol is served by a FastDht node itself, not through INodeContext");
}
