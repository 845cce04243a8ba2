namespace FastDht.Node.Tests.Faults;

/// <summary>Which node a fault test strikes, relative to the slot range its clients write.</summary>
public enum Victim
{
    /// <summary>The range's primary, which is not the Raft leader.</summary>
    Primary,

    /// <summary>The range's in-sync replica, which is not the Raft leader (the primary is not either).</summary>
    Replica,

    /// <summary>The Raft leader, which is also the range's primary.</summary>
    Leader,
}
