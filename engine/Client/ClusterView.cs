using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>The cluster as one node sees it: the slot table version, every member with its state, and the slot ranges.</summary>
/// <param name="Version">The slot table version.</param>
/// <param name="Members">Every member, in the order the node listed them.</param>
/// <param name="Ranges">Slot ranges in slot order, each with its owner.</param>
/// <param name="ReportedBy">The node id of the node that answered.</param>
public sealed record ClusterView(ulong Version, IReadOnlyList<ClusterNodeView> Members, IReadOnlyList<SlotRange> Ranges, ushort ReportedBy);
