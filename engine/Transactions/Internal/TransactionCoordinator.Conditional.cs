using FastDht.Protocol;
using LockMode = FastDht.Locking.LockMode;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Read-modify-write transactions over keys on any nodes: MSETNX, RENAME/RENAMENX/COPY and MULTI/EXEC, atomically
/// across nodes.
/// </summary>
/// <remarks>
/// The same two-phase locking as MultiPut, with a read between lock and prepare: once every key is locked
/// exclusively no other writer can change one of them (plain writes are refused, transactions wait or abort), so what
/// was read under the locks (values, expiries, versions) still holds at commit. The caller's function decides the
/// effects from what was read; the changed keys are prepared and committed as one decision, the others only
/// released. If the function decides nothing changes (a key exists for MSETNX, a WATCHed key changed, a read-only
/// EXEC) the transaction releases everything and writes nothing. On a conflict the attempt is retried and the function
/// runs again on what the next attempt reads, so it must depend only on its input.
/// </remarks>
internal sealed partial class TransactionCoordinator
{
    /// <summary>Writes every key if none exists; <see cref="StatusCode.Exists"/> (nothing written) if one does.</summary>
    public async Task<TxnResult> MultiPutIfAllAbsentAsync(ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values)
    {
        var exists = false;
        var result = await ReadModifyWriteAsync(keys, current =>
        {
            exists = false;
            var effects = new TxnEffect?[current.Length];
            for (var i = 0; i < current.Length; i++)
            {
                if (current[i].Present)
                {
                    exists = true;
                    return null;
                }
                effects[i] = new TxnEffect(TxnWriteKind.Put, values[i], 0);
            }
            return effects;
        }).ConfigureAwait(false);
        return result.Step.IsOk && exists ? new TxnResult(new TxnStep(StatusCode.Exists, null), result.Attempts) : result;
    }

    /// <summary>
    /// Locks every key exclusively (they must be distinct), reads them with their expiries and versions, and commits
    /// what <paramref name="decide"/> returns for them (by position; a null entry leaves that key as it is, a null
    /// array changes nothing). Ok when committed or when nothing was to change. With <paramref name="decideOnPool"/>
    /// the function runs on a thread-pool thread, never on the thread that completed a read (with inline socket
    /// completions that is a socket's event thread, which a long function such as a script must not hold).
    /// </summary>
    /// <remarks>
    /// A slot that moves meanwhile makes a participant answer WrongNode or Moving before anything was prepared or
    /// decided commit, so nothing was written: the transaction is planned again from the state then in force, as
    /// <see cref="CoordinateAsync"/> does, until the node's TxnTimeout (<paramref name="decide"/> runs again on the new
    /// reads, as after any conflict).
    /// </remarks>
    public async Task<TxnResult> ReadModifyWriteAsync(ReadOnlyMemory<byte>[] keys, Func<LookupResult[], TxnEffect?[]?> decide, bool decideOnPool = false)
    {
        var deadline = Environment.TickCount64 + (long)_settings.TxnTimeout.TotalMilliseconds;
        for (var plan = 0; ; plan++)
        {
            var result = await ReadModifyWritePlannedAsync(keys, decide, decideOnPool).ConfigureAwait(false);
            if (result.Step.Status is not (StatusCode.WrongNode or StatusCode.Moving) || Environment.TickCount64 >= deadline)
                return result;
            // 1, 2, 4 ... 32 ms: a handover takes a few milliseconds; the state that ends it reaches every node soon after.
            await Task.Delay(1 << Math.Min(plan, 5)).ConfigureAwait(false);
        }
    }

    /// <summary><see cref="ReadModifyWriteAsync"/> under one plan: the owners of the keys in the state now.</summary>
    private async Task<TxnResult> ReadModifyWritePlannedAsync(ReadOnlyMemory<byte>[] keys, Func<LookupResult[], TxnEffect?[]?> decide, bool decideOnPool)
    {
        var txn = Plan(_ids.Next(), LockMode.Exclusive, keys, null);
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
                        if (decideOnPool)
                            await Task.Yield();
                        var effects = decide(current);
                        if (!AssignEffects(txn, effects))
                        {
                            await AbortAllAsync(txn).ConfigureAwait(false);
                            return new TxnResult(TxnStep.Ok, (uint)(attempt + 1));
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

    /// <summary>Hands each group the effects on its keys; false when nothing changes anywhere.</summary>
    private static bool AssignEffects(CoordinatedTxn txn, TxnEffect?[]? effects)
    {
        if (effects is null)
            return false;
        var any = false;
        foreach (var g in txn.Groups)
        {
            var mine = new TxnEffect?[g.Keys.Length];
            for (var k = 0; k < mine.Length; k++)
            {
                mine[k] = effects[g.Indexes[k]];
                any |= mine[k] is not null;
            }
            g.Effects = mine;
        }
        return any;
    }
}
