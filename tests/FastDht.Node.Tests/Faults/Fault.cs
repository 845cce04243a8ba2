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

    /// <summary>
    /// As <see cref="Partition"/>, by a firewall that rejects instead of dropping (TCP resets, ICMP port unreachable): the
    /// others' dials to the victim are refused as if it were gone, while it runs on, cut off.
    /// </summary>
    Reject,
}
