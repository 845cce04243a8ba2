namespace FastDht.Engine.Connections;

/// <summary>Which part of a response body an awaiting caller keeps, so only what it needs is copied.</summary>
internal enum ResponseShape
{
    /// <summary>Only the status (Put, PutIfAbsent, Delete, Unlock).</summary>
    Status,

    /// <summary>The value of a Get: the bytes after the u32 length.</summary>
    Value,

    /// <summary>The whole body, decoded later (Hello, ClusterInfo, MultiGet, lock tokens).</summary>
    Body,
}
