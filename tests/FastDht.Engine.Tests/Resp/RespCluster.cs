using System.Net;
using FastDht.Engine.Plugins;
using FastDht.Engine.Node;
using FastDht.TestUtilities;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Tests.Resp;

/// <summary>A 3-node in-process cluster with RESP enabled on every node (port 0), ready once every node knows every RESP address.</summary>
internal static class RespCluster
{
    public static async Task<TestCluster> StartAsync(int nodes = 3, Action<NodeOptions>? configure = null, bool proxied = false, ILoggerFactory? loggerFactory = null)
    {
        var cluster = await TestCluster.StartAsync(nodes, o =>
        {
            o.Listeners[ProtocolNames.Resp] = new IPEndPoint(IPAddress.Loopback, 0);
            configure?.Invoke(o);
        }, loggerFactory: loggerFactory, proxied: proxied);
        await Bounded.UntilAsync(() => AllKnown(cluster), "every node knows every node's RESP address");
        return cluster;
    }

    public static IPEndPoint RespOf(TestCluster cluster, int index) => cluster[index].GetListenerEndPoint(ProtocolNames.Resp)!;

    /// <summary>A key whose owner is node <paramref name="owner"/>.</summary>
    /// <remarks>
    /// Bounded: a node that owns no slot (its range failed over to a replica) has no such key, and the search must end
    /// with that rather than spin. 1,000,000 tries: a node with one slot of 16,384 is found in about 16,000.
    /// </remarks>
    public static string KeyOwnedBy(TestCluster cluster, int owner, string prefix = "k")
    {
        for (var i = 0; i < 1_000_000; i++)
        {
            var key = $"{prefix}:{i}";
            if (cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes(key)) == owner)
                return key;
        }
        throw new InvalidOperationException($"node {owner} owns no key (a failover may have moved its slots)");
    }

    private static bool AllKnown(TestCluster cluster)
    {
        foreach (var node in cluster.RunningNodes)
        {
            foreach (var m in cluster.Members.Members)
            {
                if (node.Context.GetListenerAddress(m.NodeId, ProtocolNames.Resp) is null)
                    return false;
            }
        }
        return true;
    }
}
