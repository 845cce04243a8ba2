namespace FastDht.Engine.Client;

/// <summary>A snapshot one node wrote on request (<see cref="DhtClient.SnapshotAsync"/>).</summary>
/// <param name="NodeId">The node that wrote it.</param>
/// <param name="Keys">Keys it holds.</param>
/// <param name="Bytes">The file's size.</param>
/// <param name="LogPosition">Where the node's log replay begins after loading it.</param>
/// <param name="CompletedAt">When it was in place.</param>
public sealed record NodeSnapshot(ushort NodeId, long Keys, long Bytes, long LogPosition, DateTimeOffset CompletedAt);
