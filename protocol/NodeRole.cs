namespace FastDht.Protocol;

/// <summary>Who opens a connection, as declared in Hello.</summary>
public enum NodeRole : byte
{
    /// <summary>An application client.</summary>
    Client = 0,

    /// <summary>A cluster member (peer link).</summary>
    Node = 1,

    /// <summary>A cluster member opening a connection for the Raft group's own traffic (docs/replication.md): authenticated like a peer link, then handed whole to the consensus library.</summary>
    Consensus = 2,
}
