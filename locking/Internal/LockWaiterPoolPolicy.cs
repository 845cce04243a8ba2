using Microsoft.Extensions.ObjectPool;

namespace FastDht.Locking.Internal;

/// <summary>Creates waiters bound to their table; a waiter resets itself before it is returned.</summary>
internal sealed class LockWaiterPoolPolicy : IPooledObjectPolicy<LockWaiter>
{
    private readonly LockTable _table;

    public LockWaiterPoolPolicy(LockTable table)
    {
        _table = table;
    }

    public LockWaiter Create() => new(_table);

    public bool Return(LockWaiter obj) => true;
}
