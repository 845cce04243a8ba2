using FastDht.Engine.Transport;

namespace FastDht.Engine.Plugins;

/// <summary>A wire protocol a node can serve on its own listener ("native", "resp", or one an application registers).</summary>
/// <remarks>
/// The node binds one listener per enabled protocol and hands every accepted connection to
/// <see cref="RunConnectionAsync"/>, which owns it: it reads <see cref="SocketConnection.Input"/>, writes under the
/// connection's writer lock, and disposes the connection before returning. The node's keys, routing and peers are
/// reached through <see cref="INodeContext"/>; a protocol never needs the engine's internals.
/// </remarks>
public interface IWireProtocol
{
    /// <summary>The name the protocol is registered and enabled under (case-insensitive).</summary>
    string Name { get; }

    /// <summary>Serves one accepted connection until it closes; must dispose it.</summary>
    ValueTask RunConnectionAsync(SocketConnection connection, INodeContext node);
}
