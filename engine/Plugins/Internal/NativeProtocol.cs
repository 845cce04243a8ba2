using FastDht.Engine.Transport;

namespace FastDht.Engine.Plugins.Internal;

/// <summary>The native protocol as a plugin: its sessions are the node's own (they also carry peer links).</summary>
internal sealed class NativeProtocol : IWireProtocol
{
    public string Name => ProtocolNames.Native;

    public ValueTask RunConnectionAsync(SocketConnection connection, INodeContext node) =>
        ((NodeContext)node).Core.AcceptAsync(connection);
}
