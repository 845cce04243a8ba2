namespace FastDht.Engine.Keyspace;

/// <summary>Why the keyspace refused a write.</summary>
internal enum KeyWriteRefusal : byte
{
    /// <summary>The write may proceed.</summary>
    None,

    /// <summary>A plain write to a key some transaction holds (retryable once the transaction ends).</summary>
    Locked,

    /// <summary>A fenced write whose token is not the key's current exclusive grant, or a commit whose lock is gone.</summary>
    StaleFence,

    /// <summary>The write-ahead log cannot write to disk (disk full, I/O error): writes are refused until it can, reads go on.</summary>
    LogUnavailable,

    /// <summary>The key's slot has been handed to another node (a move's last step): retryable, the new owner serves it shortly.</summary>
    Moving,
}
