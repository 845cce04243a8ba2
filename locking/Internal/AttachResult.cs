namespace FastDht.Locking.Internal;

/// <summary>Outcome of <see cref="TxnRegistry.AttachWaiter"/>.</summary>
internal enum AttachResult
{
    Attached,
    AlreadyWaiting,
    Wounded,
}
