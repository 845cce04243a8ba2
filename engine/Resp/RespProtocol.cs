using FastDht.Engine.Plugins;
using FastDht.Engine.Plugins.Internal;
using FastDht.Engine.Resp.Internal;
using FastDht.Engine.Transport;

namespace FastDht.Engine.Resp;

/// <summary>The RESP protocol plugin: Redis clients (redis-cli, redis-benchmark, StackExchange.Redis) against any node.</summary>
/// <remarks>Registered as "resp" in <see cref="PluginRegistry.CreateDefault"/>; enable it with <c>NodeOptions.Listeners["resp"] = endpoint</c>. See docs/resp-server.md.</remarks>
public sealed class RespProtocol : IWireProtocol
{
    public string Name => ProtocolNames.Resp;

    public async ValueTask RunConnectionAsync(SocketConnection connection, INodeContext node)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (node is not NodeContext context)
            throw new ArgumentException("the RESP server runs inside a FastDht node", nameof(node));
        var session = new RespSession(context.Core, connection);
        await session.RunAsync().ConfigureAwait(false);
    }
}
