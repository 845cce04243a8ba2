using System.Collections.Concurrent;
using FastDht.Locking;
using FastDht.Protocol;
using FastDht.Engine.Keyspace;
using FastDht.Storage.Durability;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// A node's part in transactions whose keys it owns: takes locks in its <see cref="LockTable"/>, pins, applies fenced
/// writes, reads under locks, and releases. Serves both its own coordinator (direct calls) and remote ones (Txn* frames).
/// </summary>
/// <remarks>
/// Keys of one batch are acquired one at a time (the lock table allows one pending wait per transaction). A TxnAbort
/// can overtake a batch between two keys; it marks the batch, so a key granted after the abort's release is released
/// again at once instead of leaking until its lease ends.
/// </remarks>
internal sealed class TxnParticipant
{
    private readonly LockTable _table;
    private readonly LocalKeyspace _keyspace;
    private readonly ConcurrentDictionary<TxnId, LockBatch> _batches = new();

    // A commit runs synchronously on one thread, so one reusable log batch per thread serves every commit.
    [ThreadStatic]
    private static LogBatch? t_logBatch;

    public TxnParticipant(LockTable table, LocalKeyspace keyspace)
    {
        _table = table;
        _keyspace = keyspace;
    }

    public LockTable Table => _table;

    /// <summary>Acquires every key in order, writing each grant's token; stops at the first refusal.</summary>
    public async ValueTask<TxnStep> LockAsync(TxnId txn, LockMode mode, TimeSpan lease, int attempt, long sessionId, ReadOnlyMemory<byte>[] keys, long[] tokens)
    {
        var batch = new LockBatch();
        _batches[txn] = batch;
        try
        {
            for (var i = 0; i < keys.Length; i++)
            {
                LockResult result;
                try
                {
                    result = await _table.AcquireAsync(keys[i].Span, txn, mode, sessionId, lease, attempt).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    return new TxnStep(StatusCode.BadRequest, $"transaction {txn} already waits for a lock on this node: one lock request per transaction at a time");
                }
                if (batch.IsAborted)
                {
                    _table.ReleaseAll(txn);
                    return new TxnStep(StatusCode.Aborted, $"transaction {txn} was aborted while it took its locks");
                }
                if (!result.IsGranted)
                    return Refusal(txn, result.Reason);
                tokens[i] = result.FencingToken;
            }
            return TxnStep.Ok;
        }
        finally
        {
            _batches.TryRemove(KeyValuePair.Create(txn, batch));
        }
    }

    /// <summary>Pins the transaction: it can no longer be wounded here. False when it was wounded or holds nothing.</summary>
    public bool Prepare(TxnId txn) => _table.MarkCommitting(txn);

    /// <summary>Ends the transaction's waits and releases its locks here.</summary>
    public void Abort(TxnId txn)
    {
        if (_batches.TryGetValue(txn, out var batch))
            batch.MarkAborted();
        _table.ReleaseAll(txn);
    }

    /// <summary>
    /// Applies the writes of a committing transaction (every fence checked first, then all logged as one record, then
    /// all applied) and releases its locks. With a log, the caller's answer must wait for the record (the session's
    /// <see cref="ReplyGuard"/>): recovery then applies the transaction's writes here whole or not at all.
    /// </summary>
    public TxnStep Commit(TxnId txn, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values, long[] tokens)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            if (!_keyspace.HoldsForCommit(keys[i].Span, txn, tokens[i]))
                return StaleCommit(txn);
        }
        if (_keyspace.Log is not null)
        {
            var batch = RentLogBatch();
            for (var i = 0; i < keys.Length; i++)
                batch.AddPut(keys[i].Span, values[i].Span);
            _keyspace.LogCommit(batch);
            batch.Clear();
        }
        for (var i = 0; i < keys.Length; i++)
        {
            using var write = _keyspace.BeginCommitWrite(keys[i].Span, txn, tokens[i]);
            if (write.Refusal == KeyWriteRefusal.None)
                write.Put(values[i].Span);
        }
        _table.ReleaseAll(txn);
        return TxnStep.Ok;
    }

    /// <summary>The wire form of <see cref="Commit(TxnId, ReadOnlyMemory{byte}[], ReadOnlyMemory{byte}[], long[])"/>, straight from the received body.</summary>
    public TxnStep Commit(TxnId txn, in TxnWriteList writes)
    {
        foreach (var w in writes)
        {
            if (!_keyspace.HoldsForCommit(w.Key, txn, (long)w.FenceToken))
                return StaleCommit(txn);
        }
        if (_keyspace.Log is not null)
        {
            var batch = RentLogBatch();
            foreach (var w in writes)
                batch.AddPut(w.Key, w.Value);
            _keyspace.LogCommit(batch);
            batch.Clear();
        }
        foreach (var w in writes)
        {
            using var write = _keyspace.BeginCommitWrite(w.Key, txn, (long)w.FenceToken);
            if (write.Refusal == KeyWriteRefusal.None)
                write.Put(w.Value);
        }
        _table.ReleaseAll(txn);
        return TxnStep.Ok;
    }

    /// <summary>Reads keys the transaction holds locked; NotOwner (nothing read) if it does not hold one of them.</summary>
    public TxnStep Read(TxnId txn, ReadOnlyMemory<byte>[] keys, LookupResult[] results)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            if (!_table.IsHeldBy(keys[i].Span, txn))
                return new TxnStep(StatusCode.NotOwner, $"transaction {txn} does not hold the lock of a key it reads");
        }
        for (var i = 0; i < keys.Length; i++)
            results[i] = _keyspace.TryGet(keys[i].Span, out var value) ? new LookupResult(value) : LookupResult.Absent;
        return TxnStep.Ok;
    }

    /// <summary>Releases keys the transaction holds: all of them, or none (NotOwner) when it does not hold one.</summary>
    public TxnStep Unlock(TxnId txn, ReadOnlyMemory<byte>[] keys)
    {
        if (!HoldsAll(txn, keys))
            return NotOwner(txn);
        foreach (var key in keys)
            _table.Release(key.Span, txn);
        return TxnStep.Ok;
    }

    /// <summary>Extends the leases of keys the transaction holds: all of them, or none (NotOwner) when it does not hold one.</summary>
    public TxnStep Renew(TxnId txn, TimeSpan lease, ReadOnlyMemory<byte>[] keys)
    {
        if (!HoldsAll(txn, keys))
            return NotOwner(txn);
        foreach (var key in keys)
            _table.Renew(key.Span, txn, lease);
        return TxnStep.Ok;
    }

    private bool HoldsAll(TxnId txn, ReadOnlyMemory<byte>[] keys)
    {
        foreach (var key in keys)
        {
            if (!_table.IsHeldBy(key.Span, txn))
                return false;
        }
        return true;
    }

    private static LogBatch RentLogBatch() => t_logBatch ??= new LogBatch();

    private static TxnStep NotOwner(TxnId txn) =>
        new(StatusCode.NotOwner, $"transaction {txn} does not hold the lock of every key named: nothing was changed");

    public static TxnStep Refusal(TxnId txn, LockAbortReason reason) => reason switch
    {
        LockAbortReason.Wounded => new TxnStep(StatusCode.Wounded, $"transaction {txn} was wounded by an older one"),
        LockAbortReason.ShuttingDown => new TxnStep(StatusCode.ShuttingDown, "the node is shutting down"),
        LockAbortReason.Died => new TxnStep(StatusCode.Aborted, $"transaction {txn} died: an older transaction holds or waits for a key (wait-die)"),
        LockAbortReason.NoWait => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted: a key is locked (no-wait)"),
        LockAbortReason.TimedOut => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted: its lock wait timed out"),
        _ => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted ({reason})"),
    };

    private TxnStep StaleCommit(TxnId txn)
    {
        _table.ReleaseAll(txn);
        return new TxnStep(StatusCode.StaleFence, $"transaction {txn} no longer holds a lock it writes under (its lease expired): nothing written here");
    }
}
