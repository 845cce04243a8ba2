namespace FastDht.Locking;

/// <summary>Told when a transaction is wounded here, so that its coordinator can abort it everywhere.</summary>
/// <remarks>
/// Called on the wounder's thread after the table's locks are released; it should only queue a message
/// (the engine routes it to the victim's coordinator node) and must not call back into the table inline.
/// </remarks>
public interface IWoundNotifier
{
    void OnWounded(TxnId victim, TxnId woundedBy);
}
