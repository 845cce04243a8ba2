namespace FastDht.Locking;

/// <summary>Told when a transaction is wounded here, so that its coordinator can abort it everywhere.</summary>
/// <remarks>
/// Called on the wounder's thread after the table's locks are released; it should only queue a message
/// (the engine routes it to the victim's coordinator node), must not call back into the table inline, and
/// must not throw: an exception would reach the wounder's AcquireAsync caller, which then loses the
/// ValueTask of its own pending wait (the wait still ends, at the latest with the wounder's lease).
/// </remarks>
public interface IWoundNotifier
{
    void OnWounded(TxnId victim, TxnId woundedBy);
}
