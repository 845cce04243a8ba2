namespace FastDht.Node.Tests.Faults;

/// <summary>What happens to the victim node in a fault test.</summary>
public enum Fault
{
    /// <summary>SIGKILL, then a restart (same arguments, no data directory: it comes back empty).</summary>
    Kill,

    /// <summary>SIGSTOP until the cluster has reacted, then SIGCONT.</summary>
    Stop,

    /// <summary>Cut off from every other node (nftables in the namespaces; clients still reach it), then healed.</summary>
    Partition,
}
