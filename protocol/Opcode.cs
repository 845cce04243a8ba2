namespace FastDht.Protocol;

/// <summary>The operation a native-protocol frame carries; a response echoes its request's opcode.</summary>
/// <remarks>
/// Ranges: 0x01-0x0F connection and cluster, 0x10-0x1F key-value, 0x20-0x2F explicit client locks,
/// 0x40-0x4F node-to-node transaction operations, 0x50-0x5F node-to-node operations of wire-protocol plugins.
/// The gaps are reserved for later versions.
/// </remarks>
public enum Opcode : byte
{
    /// <summary>Handshake; must be the first frame on every connection.</summary>
    Hello = 0x01,

    /// <summary>Liveness check; the response echoes the payload.</summary>
    Ping = 0x02,

    /// <summary>The responder's member list and slot table.</summary>
    ClusterInfo = 0x03,

    /// <summary>The responder's enabled protocol listeners (name and address), so peers can advertise each other.</summary>
    NodeInfo = 0x04,

    /// <summary>Authentication after Hello: a client's user and password, or a peer's cluster-secret challenge and proof (<see cref="AuthMechanism"/>).</summary>
    Auth = 0x05,

    /// <summary>Write a snapshot of the responder's keys to its data directory, in the background or answered once in place.</summary>
    Snapshot = 0x06,

    /// <summary>Client to node: move a range of slots the receiving node owns to another member while they stay in use (docs/elasticity.md).</summary>
    MoveSlots = 0x07,

    /// <summary>Client to node: take a member out of the cluster (gracefully once it owns no slots, or forgotten when it died for good and replicas hold its slots).</summary>
    RemoveNode = 0x08,

    /// <summary>Node to node: one piece of a large frame, cut so that answers and heartbeats pass it on the link; empty, the probe asking whether the peer reassembles pieces (docs/protocol.md section 5.21).</summary>
    Fragment = 0x09,

    /// <summary>Read one key.</summary>
    Get = 0x10,

    /// <summary>Upsert one key.</summary>
    Put = 0x11,

    /// <summary>Store one key only if it is absent.</summary>
    PutIfAbsent = 0x12,

    /// <summary>Remove one key.</summary>
    Delete = 0x13,

    /// <summary>All-or-nothing write of several keys on any nodes.</summary>
    MultiPut = 0x14,

    /// <summary>Read several keys.</summary>
    MultiGet = 0x15,

    /// <summary>Take lease-based locks on keys for a transaction.</summary>
    Lock = 0x20,

    /// <summary>Release a transaction's locks.</summary>
    Unlock = 0x21,

    /// <summary>Extend the lease of a transaction's locks.</summary>
    RenewLease = 0x22,

    /// <summary>Coordinator to participant: lock keys for a transaction.</summary>
    TxnLock = 0x40,

    /// <summary>Coordinator to participant: vote on an attempt; carries the participant's writes and the participant list, and pins its locks until the decision.</summary>
    TxnPrepare = 0x41,

    /// <summary>Coordinator to participant: the attempt is decided commit; apply the prepared writes and release (idempotent).</summary>
    TxnCommit = 0x42,

    /// <summary>Coordinator to participant: cancel waits and release the transaction's locks; after a prepare, the attempt is decided abort (idempotent).</summary>
    TxnAbort = 0x43,

    /// <summary>Participant to coordinator: the transaction was wounded by an older one.</summary>
    TxnWound = 0x44,

    /// <summary>Coordinator to participant: read keys the transaction holds locked (MultiGet).</summary>
    TxnRead = 0x45,

    /// <summary>Node to node: what the responder knows of an attempt's outcome (an uncertain participant asks).</summary>
    TxnStatus = 0x46,

    /// <summary>Coordinator to participant: pin an explicit Lock's grants so an older transaction can no longer wound them (no decision follows).</summary>
    TxnPin = 0x47,

    /// <summary>Node to node: the wait-for edges of the responder's lock table (the deadlock detector of the "detect" strategy collects them).</summary>
    TxnWaitsFor = 0x48,

    /// <summary>Node to node: run one RESP command at the owner of its keys and answer with the RESP reply bytes.</summary>
    RespExecute = 0x50,

    /// <summary>Primary to replica: a batch of the primary's changes to apply (or a reset before a full resynchronization), acknowledged once applied.</summary>
    ReplicaSync = 0x60,

    /// <summary>Node to node: a proposed cluster state (one epoch above the proposer's), sent to the Raft leader, answered with the outcome and the newest committed state.</summary>
    ClusterPropose = 0x61,

    /// <summary>Node to node: a committed cluster state, which the receiver installs if it is newer than its own.</summary>
    ClusterPush = 0x62,

    /// <summary>Node to node: a node asks the Raft leader to renew its serving lease (and so reports itself alive); answered with whether it was granted and the leader known.</summary>
    LeaseRenew = 0x63,

    /// <summary>Node to node: a batch of keys (or a reset) of slots the sender is moving to the receiver (docs/elasticity.md).</summary>
    MigrateKeys = 0x64,

    /// <summary>Node to member: a node that is not a member yet asks to join (after proving the cluster secret); answered with the committed state that lists it.</summary>
    ClusterJoin = 0x65,

    /// <summary>Node to node, never answered: a RESP PUBLISH (channel and message) sent at the sender, for the receiver to deliver to its own subscribers (docs/protocol.md 5.20).</summary>
    RespPublish = 0x66,
}
