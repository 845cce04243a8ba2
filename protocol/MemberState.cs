namespace FastDht.Protocol;

/// <summary>A cluster member's state as seen by the node answering ClusterInfo.</summary>
public enum MemberState : byte
{
    /// <summary>The responder has no live link to the member.</summary>
    Down = 0,

    /// <summary>The responder has a live link to the member (or is the member).</summary>
    Up = 1,

    /// <summary>
    /// The member is alive but still loading its data at start (snapshot and log): it answers Ping, ClusterInfo and
    /// NodeInfo, and Loading to anything that reads or changes keys, until it is up.
    /// </summary>
    Loading = 2,
}
