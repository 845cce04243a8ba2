namespace FastDht.Engine.Diagnostics;

/// <summary>The groups request latency is measured in: the protocol, and what the request does.</summary>
public enum RequestClass
{
    /// <summary>Native Get, MultiGet.</summary>
    NativeRead,

    /// <summary>Native Put, PutIfAbsent, Delete, MultiPut.</summary>
    NativeWrite,

    /// <summary>Native Lock, Unlock, RenewLease (explicit transactions).</summary>
    NativeLock,

    /// <summary>Every other native request (Ping, ClusterInfo, NodeInfo, Auth, Snapshot, refusals).</summary>
    NativeOther,

    /// <summary>RESP commands flagged readonly.</summary>
    RespRead,

    /// <summary>RESP commands flagged write.</summary>
    RespWrite,

    /// <summary>Every other RESP command.</summary>
    RespOther,
}
