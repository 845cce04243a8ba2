using System.Net;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Node;

/// <summary>How a <see cref="LocalCluster"/> is built: its size, each node's options, logging, and whether it starts at once.</summary>
public sealed class LocalClusterOptions
{
    /// <summary>How many nodes (members) the cluster has.</summary>
    /// <remarks>Defaults to 3: the smallest cluster where a key can live on a node that is neither the client's nor its neighbour's.</remarks>
    public int NodeCount { get; set; } = 3;

    /// <summary>How many more nodes to reserve a port for, outside the member list: started, each joins the cluster (ids <see cref="NodeCount"/> on).</summary>
    /// <remarks>Defaults to 0. A spare node is given the member list as its seeds and its own address (<see cref="NodeOptions.AdvertisedAddress"/>); growing a cluster is starting one.</remarks>
    public int SpareNodes { get; set; }

    /// <summary>Sets each node's options after the member list and the node id are filled in; tell nodes apart by <see cref="NodeOptions.NodeId"/>.</summary>
    /// <remarks>
    /// Defaults to none: every <see cref="NodeOptions"/> default. The callback runs again on every start of a node, so
    /// a restarted node gets the same options. <see cref="NodeOptions.ListenSocket"/> is set by the cluster afterwards.
    /// </remarks>
    public Action<NodeOptions>? Configure { get; set; }

    /// <summary>The secret the nodes' peer links prove (<see cref="NodeOptions.ClusterSecret"/>), set before <see cref="Configure"/> runs.</summary>
    /// <remarks>Defaults to a fresh random secret per <see cref="LocalClusterOptions"/>: the nodes of one local cluster trust each other and nobody else.</remarks>
    public Security.ClusterSecret ClusterSecret { get; set; } = Security.ClusterSecret.CreateRandom();

    /// <summary>Where the nodes log.</summary>
    /// <remarks>Defaults to none (no logging).</remarks>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Whether <see cref="LocalCluster.StartAsync"/> starts every node and waits for the mesh, or only reserves the ports.</summary>
    /// <remarks>Defaults to true. With false, start nodes one by one with <see cref="LocalCluster.StartNodeAsync"/> (start-order tests).</remarks>
    public bool Start { get; set; } = true;

    /// <summary>How long <see cref="LocalCluster.StartAsync"/> waits for every node to link to every other.</summary>
    /// <remarks>Defaults to 10 s: a mesh of a few loopback nodes forms in milliseconds; ten seconds means something is wrong, not slow.</remarks>
    public TimeSpan MeshTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The address written in the member list for the node with this id listening at this endpoint: peers dial it.
    /// Null (the default) writes the listening endpoint itself; a test returns a proxy in front of it, so that every
    /// peer link dialed to the node runs through the proxy.
    /// </summary>
    public Func<int, IPEndPoint, IPEndPoint>? MemberAddress { get; set; }
}
