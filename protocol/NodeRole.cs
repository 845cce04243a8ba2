namespace FastDht.Protocol;

/// <summary>Who opens a connection, as declared in Hello.</summary>
public enum NodeRole : byte
{
    /// <summary>An application client.</summary>
    Client = 0,

    /// <summary>A cluster member (peer link).</summary>
    Node = 1,
}
