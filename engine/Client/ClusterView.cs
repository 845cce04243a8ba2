using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>The cluster as one node sees it: the cluster state's epoch, every member with its state, and the slot ranges.</summary>
/// <param name="Epoch">The epoch of the node's cluster state: a higher epoch is a later state.</param>
/// <param name="Members">Every member, in the order the node listed them.</param>
/// <param name="Ranges">Slot ranges in slot order, each with its owner.</param>
/// <param name="ReportedBy">The node id of the node that answered.</param>
public sealed record ClusterView(ulong Epoch, IReadOnlyList<ClusterNodeView> Members, IReadOnlyList<SlotRange> Ranges, ushort ReportedBy);
