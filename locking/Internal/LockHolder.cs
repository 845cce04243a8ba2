namespace FastDht.Locking.Internal;

/// <summary>One transaction's hold on one key.</summary>
internal struct LockHolder
{
    public TxnId Txn;
    public LockMode Mode;
    public long Token;
    public long LeaseDeadline;
    public long SessionId;
    public TxnRecord Record;

    public LockHolder(TxnId txn, LockMode mode, long token, long leaseDeadline, long sessionId, TxnRecord record)
    {
        Txn = txn;
        Mode = mode;
        Token = token;
        LeaseDeadline = leaseDeadline;
        SessionId = sessionId;
        Record = record;
    }
}
