namespace FastDht.Protocol;

/// <summary>The flag bits of a frame header; bits not defined here are reserved and must be zero.</summary>
[Flags]
public enum FrameFlags : byte
{
    /// <summary>No flag set.</summary>
    None = 0,

    /// <summary>The frame is a response.</summary>
    Response = 1 << 0,

    /// <summary>A node forwarded this request to the key's owner: the receiver must not forward it again.</summary>
    Forwarded = 1 << 1,

    /// <summary>The request body ends with a u64 fencing token (Put and Delete only).</summary>
    Fenced = 1 << 2,

    /// <summary>
    /// The sender routed this single-key request to the owner by its own slot table: a node that does not own the key
    /// answers WrongNode (with its epoch and the owner) instead of forwarding it. Get, Put, PutIfAbsent, Delete only.
    /// </summary>
    Routed = 1 << 3,

    /// <summary>
    /// The request body carries a u64 time to live in milliseconds after the value (and before a fencing token): the key
    /// expires that long after the owner applies the write. Put and PutIfAbsent only.
    /// </summary>
    Expires = 1 << 4,

    /// <summary>Every defined bit; any other bit set makes the header malformed.</summary>
    All = Response | Forwarded | Fenced | Routed | Expires,
}
