using FastDht.Protocol;
using LockMode = FastDht.Locking.LockMode;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>MultiPut only if every key is absent (Redis MSETNX), atomically across nodes.</summary>
/// <remarks>
/// The same two-phase locking as MultiPut, with a read between lock and prepare: once every key is locked
/// exclusively no other writer can create one of them, so "all absent" read under the locks still holds at commit.
/// If any key exists the transaction releases everything and writes nothing.
/// </remarks>
internal sealed partial class TransactionCoordinator
{
    /// <summary>Writes every key if none exists; <see cref="StatusCode.Exists"/> (nothing written) if one does.</summary>
    public async Task<TxnResult> MultiPutIfAllAbsentAsync(ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values)
    {
        var txn = Plan(_ids.Next(), LockMode.Exclusive, keys, values);
        _active[txn.Id] = txn;
        try
        {
            var options = _settings;
            var deadline = Environment.TickCount64 + (long)options.TxnTimeout.TotalMilliseconds;
            for (var attempt = 0; ; attempt++)
            {
                txn.Attempt = attempt;
                var step = await LockAllAsync(txn, Connections.SessionIds.Coordinator, options.TxnLockLease, deadline, abortOnWound: true).ConfigureAwait(false);
                if (step.IsOk)
                {
                    var current = new LookupResult[txn.KeyCount];
                    step = await ReadAllAsync(txn, current).ConfigureAwait(false);
                    if (step.IsOk)
                    {
                        foreach (var r in current)
                        {
                            if (r.Present)
                            {
                                await AbortAllAsync(txn).ConfigureAwait(false);
                                return new TxnResult(new TxnStep(StatusCode.Exists, null), (uint)(attempt + 1));
                            }
                        }
                        var (decided, mayRetry) = await PrepareAndDecideAsync(txn).ConfigureAwait(false);
                        if (decided.IsOk || !mayRetry)
                            return new TxnResult(decided, (uint)(attempt + 1));
                        step = decided;
                    }
                    else
                    {
                        await AbortAllAsync(txn).ConfigureAwait(false);
                    }
                }
                else
                {
                    await AbortAllAsync(txn).ConfigureAwait(false);
                }
                if (!step.IsConflict && step.Status != StatusCode.Timeout)
                    return new TxnResult(step, (uint)(attempt + 1));
                var delay = _backoff.Delay(attempt);
                if (attempt + 1 >= options.TxnMaxAttempts || Environment.TickCount64 + (long)delay.TotalMilliseconds >= deadline)
                {
                    return new TxnResult(new TxnStep(StatusCode.Aborted,
                        $"transaction {txn.Id} gave up after {attempt + 1} attempts; nothing was written. Last: {step.Message}"), (uint)(attempt + 1));
                }
                await Task.Delay(delay).ConfigureAwait(false);
            }
        }
        finally
        {
            _active.TryRemove(KeyValuePair.Create(txn.Id, txn));
        }
    }
}
