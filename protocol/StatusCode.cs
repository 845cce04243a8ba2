namespace FastDht.Protocol;

/// <summary>The outcome carried in a response header; values of 0x100 and above are errors with an error body.</summary>
public enum StatusCode : ushort
{
    /// <summary>Success; the body is the opcode's response body.</summary>
    Ok = 0,

    /// <summary>The key is absent (Get, Delete); empty body.</summary>
    NotFound = 1,

    /// <summary>PutIfAbsent found the key present and did not store; empty body.</summary>
    Exists = 2,

    /// <summary>The request body is malformed.</summary>
    BadRequest = 0x100,

    /// <summary>The opcode is not one this node knows.</summary>
    UnknownOpcode = 0x101,

    /// <summary>The frame exceeds the receiver's maximum frame size.</summary>
    FrameTooLarge = 0x102,

    /// <summary>A key is empty or longer than the maximum key size.</summary>
    InvalidKey = 0x103,

    /// <summary>The first frame on the connection was not Hello.</summary>
    HandshakeRequired = 0x104,

    /// <summary>Hello was refused (version, cluster name or node id).</summary>
    HandshakeRefused = 0x105,

    /// <summary>The node owning the key is unreachable.</summary>
    NodeUnavailable = 0x106,

    /// <summary>The operation did not complete in time.</summary>
    Timeout = 0x107,

    /// <summary>A forwarded request reached a node that does not own the key.</summary>
    WrongNode = 0x108,

    /// <summary>The transaction was aborted by the lock strategy (die, no-wait, timeout).</summary>
    Aborted = 0x109,

    /// <summary>The transaction was wounded by an older one.</summary>
    Wounded = 0x10A,

    /// <summary>A lock release or renewal came from a transaction that does not hold the lock.</summary>
    NotOwner = 0x10B,

    /// <summary>A fenced write carried a token older than the key's latest.</summary>
    StaleFence = 0x10C,

    /// <summary>A single-key write hit a key locked by another transaction.</summary>
    Locked = 0x10D,

    /// <summary>The node is shutting down.</summary>
    ShuttingDown = 0x10E,

    /// <summary>The node is still loading its data from disk (write-ahead log replay): retry shortly. Nothing was read or changed.</summary>
    Loading = 0x10F,

    /// <summary>The node cannot write its write-ahead log (disk full, I/O error): writes are refused until it can; reads are served.</summary>
    LogUnavailable = 0x110,

    /// <summary>
    /// Hello from a node this node already has a live link to, which it keeps (a simultaneous dial lost the
    /// tie-break, or the peer redialed from an older process): routine, the dialer uses the existing link.
    /// </summary>
    DuplicateLink = 0x111,

    /// <summary>The node requires authentication and this connection has not authenticated: nothing was read or changed (Redis's NOAUTH).</summary>
    AuthRequired = 0x112,

    /// <summary>Auth with a wrong user or password, or a disabled user (Redis's WRONGPASS); the connection stays as it was.</summary>
    AuthFailed = 0x113,

    /// <summary>The authenticated user may not run this operation or touch this key (Redis's NOPERM): nothing was read or changed.</summary>
    NoPermission = 0x114,

    /// <summary>The node is already doing what was asked (a snapshot is being written); nothing was started: retry later.</summary>
    Busy = 0x115,

    /// <summary>The key's slot is being handed over to another node right now (a few milliseconds): nothing was changed; retry.</summary>
    Moving = 0x116,

    /// <summary>An unexpected failure inside the node.</summary>
    InternalError = 0x1FF,
}
