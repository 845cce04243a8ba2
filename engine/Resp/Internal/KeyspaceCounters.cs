namespace FastDht.Engine.Resp.Internal;

/// <summary>Reads that hit or missed, counted locally by a session and added to the node's statistics once per batch.</summary>
internal struct KeyspaceCounters
{
    public long Hits;
    public long Misses;
}
