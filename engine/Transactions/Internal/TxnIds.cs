using FastDht.Locking;
using WireLockMode = FastDht.Protocol.LockMode;
using WireTxnId = FastDht.Protocol.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>The one place converting between the wire's transaction ids and lock modes and the lock table's.</summary>
/// <remarks>
/// Two types exist because the protocol and locking assemblies depend on nothing of ours. The wire timestamp is a
/// u64 of microseconds; the lock table's a signed 64-bit count, which holds microseconds until the year 294247.
/// </remarks>
internal static class TxnIds
{
    public static TxnId ToLocking(WireTxnId id) => new((long)id.Timestamp, id.NodeId, id.Sequence);

    public static WireTxnId ToWire(TxnId id) => new((ulong)id.Timestamp, id.NodeId, id.Sequence);

    public static LockMode ToLocking(WireLockMode mode) => mode == WireLockMode.Exclusive ? LockMode.Exclusive : LockMode.Shared;

    public static WireLockMode ToWire(LockMode mode) => mode == LockMode.Exclusive ? WireLockMode.Exclusive : WireLockMode.Shared;
}
