namespace FastDht.Protocol;

/// <summary>What one write of a TxnPrepare does to its key.</summary>
public enum TxnWriteKind : byte
{
    /// <summary>Store the value, expiring at the write's <c>expiresAt</c> (0: never).</summary>
    Put = 0,

    /// <summary>Remove the key (the value is empty).</summary>
    Delete = 1,
}
