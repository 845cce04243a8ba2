using FastDht.Engine.Cluster;
using System.Collections.Concurrent;
using FastDht.Locking;
using FastDht.Engine.Keyspace;
using FastDht.Protocol;
using FastDht.Storage.Durability;
using FastDht.Storage;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// A node's part in transactions whose keys it owns: takes locks in its <see cref="LockTable"/>, votes on prepares,
/// applies or discards prepared writes when it learns the decision, reads under locks, and answers what it knows of
/// an attempt. Serves both its own coordinator (direct calls) and remote ones (Txn* frames).
/// </summary>
/// <remarks>
/// <para>
/// States of one attempt here (docs/transactions.md): locking (leases and the link's session bound the locks) →
/// prepared (TxnPrepare: writes kept, locks pinned: no lease, no session, no wound ends them) → committed or aborted
/// (the decision, from the coordinator or learned by asking). A prepared participant never decides alone.
/// </para>
/// <para>
/// Keys of one batch are acquired one at a time (the lock table allows one pending wait per transaction). A TxnAbort
/// can overtake a batch between two keys; it marks the batch, so a key granted after the abort's release is released
/// again at once instead of leaking until its lease ends. A wait queued after the abort's release would outlive the
/// abort (nobody is left to end it: under "detect", a cycle through it would last until the coordinator's call timed
/// out), so the mark and the check after each queued wait are made under the transaction's lock: either the abort's
/// release finds the wait, or the check finds the mark and ends the wait itself.
/// </para>
/// </remarks>
internal sealed class TxnParticipant
{
    private readonly LockTable _table;
    private readonly LocalKeyspace _keyspace;
    private readonly TxnDecisions _decisions;
    private readonly ConcurrentDictionary<TxnId, LockBatch> _batches = new();
    private readonly ConcurrentDictionary<TxnId, PreparedTxn> _prepared = new();

    // A commit runs synchronously on one thread, so one reusable log batch per thread serves every commit.
    [ThreadStatic]
    private static LogBatch? t_logBatch;

    public TxnParticipant(LockTable table, LocalKeyspace keyspace, TxnDecisions decisions)
    {
        _table = table;
        _keyspace = keyspace;
        _decisions = decisions;
    }

    public LockTable Table => _table;

    /// <summary>Attempts prepared here and not decided yet.</summary>
    public ICollection<PreparedTxn> Prepared => _prepared.Values;

    /// <summary>At a replica: the attempts its primaries prepared and not ended, to install if it is promoted.</summary>
    public ReplicatedPrepares Copies { get; } = new();

    /// <summary>Number of attempts prepared here and not decided yet (for tests and diagnostics).</summary>
    public int PreparedCount => _prepared.Count;

    /// <summary>
    /// Acquires every key in order, writing each grant's token; stops at the first refusal. Under
    /// <paramref name="sessionId"/>: the coordinator's own, or a client connection's (explicit Lock).
    /// </summary>
    public ValueTask<TxnStep> LockAsync(TxnId txn, LockMode mode, TimeSpan lease, int attempt, long sessionId, ReadOnlyMemory<byte>[] keys, long[] tokens) =>
        LockAsync(txn, mode, lease, attempt, sessionId, link: null, keys, tokens);

    /// <summary>
    /// A peer's TxnLock: acquires every key in order under the link's session; stops at the first refusal. A key taken
    /// or a wait queued once the link has begun to close is released again and the batch answers Aborted (nobody
    /// hears it): the close's release may have passed those keys already, and the coordinator's abort may not come.
    /// </summary>
    public ValueTask<TxnStep> LockAsync(TxnId txn, LockMode mode, TimeSpan lease, int attempt, LinkLockSession link, ReadOnlyMemory<byte>[] keys, long[] tokens) =>
        LockAsync(txn, mode, lease, attempt, link.Id, link, keys, tokens);

    private async ValueTask<TxnStep> LockAsync(TxnId txn, LockMode mode, TimeSpan lease, int attempt, long sessionId, LinkLockSession? link, ReadOnlyMemory<byte>[] keys, long[] tokens)
    {
        var batch = new LockBatch();
        _batches[txn] = batch;
        try
        {
            for (var i = 0; i < keys.Length; i++)
            {
                ValueTask<LockResult> acquiring;
                try
                {
                    acquiring = _table.AcquireAsync(keys[i].Span, txn, mode, sessionId, lease, attempt);
                }
                catch (InvalidOperationException)
                {
                    return new TxnStep(StatusCode.BadRequest, $"transaction {txn} already waits for a lock on this node: one lock request per transaction at a time");
                }
                if (!acquiring.IsCompleted)
                {
                    // A wait began: if an abort came since the last check, its release may have run before the wait was
                    // queued; end the wait here (it then completes Released, and the mark is seen below). The same for
                    // the link's close (the wait then completes SessionClosed).
                    if (AbortedUnderLock(txn, batch))
                        ReleaseUnlessPrepared(txn);
                    else if (link is { IsClosed: true })
                        link.ReleaseLate();
                }
                var result = await acquiring.ConfigureAwait(false);
                if (batch.IsAborted)
                {
                    ReleaseUnlessPrepared(txn);
                    return new TxnStep(StatusCode.Aborted, $"transaction {txn} was aborted while it took its locks");
                }
                if (!result.IsGranted)
                    return Refusal(txn, result.Reason);
                // Granted after the link began to close: the close's release may have passed this key already (a
                // refusal took nothing, and every earlier grant was either before the mark, so the close's release
                // found it, or released here).
                if (link is { IsClosed: true })
                {
                    link.ReleaseLate();
                    return Refusal(txn, LockAbortReason.SessionClosed);
                }
                tokens[i] = result.FencingToken;
            }
            return TxnStep.Ok;
        }
        finally
        {
            _batches.TryRemove(KeyValuePair.Create(txn, batch));
        }
    }

    /// <summary>Pins an explicit Lock's grants: they can no longer be wounded (they still end by lease or session). False when wounded or holding nothing.</summary>
    public bool Pin(TxnId txn) => _table.MarkCommitting(txn);

    /// <summary>
    /// Votes on an attempt: Ok when every write's key is held exclusively under exactly its token, after which the
    /// locks are pinned until the decision and the writes are kept to apply. A refusal releases the transaction here.
    /// </summary>
    public TxnStep Prepare(TxnId txn, ushort attempt, ulong coordinatorIncarnation, TxnMember[] participants, TxnWrite[] writes, long firstQueryAt)
    {
        lock (_decisions.SyncFor(txn))
        {
            if (_decisions.TryGet(txn, attempt, out var commit))
            {
                return commit
                    ? TxnStep.Ok
                    : new TxnStep(StatusCode.Aborted, $"transaction {txn} attempt {attempt} is already decided abort here: it cannot be prepared");
            }
            if (_prepared.TryGetValue(txn, out var existing))
            {
                return existing.Attempt == attempt
                    ? TxnStep.Ok
                    : new TxnStep(StatusCode.BadRequest, $"transaction {txn} is prepared here for attempt {existing.Attempt}, not {attempt}");
            }
            // Pin first, then check the fences: a lease cannot end between the check and the pin.
            if (!_table.MarkPrepared(txn))
            {
                _table.ReleaseAll(txn);
                return new TxnStep(StatusCode.Wounded, $"transaction {txn} cannot be prepared here: it was wounded or its locks expired");
            }
            foreach (var w in writes)
            {
                // A slot handed to another node (a move's last step) takes no new prepare: the handover waited until
                // no lock of the slot was held, so this transaction locked the key after it; it retries at the new owner.
                if (_keyspace.IsHandedAway(w.Key.Span))
                {
                    _table.ReleaseAll(txn);
                    return new TxnStep(StatusCode.Moving, $"transaction {txn} cannot be prepared here: the slot of a key it writes is being handed to another node");
                }
                if (!_keyspace.HoldsForCommit(w.Key.Span, txn, (long)w.FenceToken))
                {
                    _table.ReleaseAll(txn);
                    return new TxnStep(StatusCode.StaleFence, $"transaction {txn} does not hold a key it writes under the token it was granted (its lease expired or a newer lock was granted): nothing will be written here");
                }
            }
            if (_keyspace.Log is { } log)
            {
                // Durable before the vote leaves (the reply waits for this thread's appends; a local prepare is
                // before the coordinator's own decision record in the log): a participant killed from here on
                // installs the attempt again at restart instead of losing its part.
                if (!log.IsWritable)
                {
                    _table.ReleaseAll(txn);
                    return new TxnStep(StatusCode.LogUnavailable, $"transaction {txn} cannot be prepared here: the node cannot write its log ({log.Failure?.Message ?? "closing"}); nothing will be written here");
                }
            }
            // The record and the entry in _prepared as one step for a snapshot (Commits): one that begins meanwhile
            // finds the attempt in _prepared when it reads it, or its record in the log after the snapshot's position.
            var epoch = _keyspace.Commits.Enter();
            try
            {
                if (_keyspace.Log is { } writable)
                    TxnPrepareRecord.Append(writable, txn, attempt, coordinatorIncarnation, participants, writes);
                // To the replicas too (the vote waits for them like any write's reply): a replica promoted after this
                // node voted holds the attempt and installs it (ReplicatedPrepares), so the part is not lost with it.
                if (_keyspace.Replication is { } stream)
                    TxnPrepareRecord.AppendTo(stream, txn, attempt, coordinatorIncarnation, participants, writes);
                _prepared[txn] = new PreparedTxn(txn, attempt, coordinatorIncarnation, participants, writes, firstQueryAt);
            }
            finally
            {
                _keyspace.Commits.Exit(epoch);
            }
            return TxnStep.Ok;
        }
    }

    /// <summary>
    /// Applies a decision: a prepared attempt's writes are applied (commit) or discarded (abort), its locks released,
    /// and the decision remembered. Idempotent; a decision contradicting a remembered one is refused (InternalError).
    /// </summary>
    /// <remarks>
    /// Abort of an attempt not prepared here ends its waits and releases its locks (the lock phase, MultiGet, explicit
    /// locks); when it held nothing, it is remembered, so a TxnPrepare of that attempt still on its way is refused.
    /// </remarks>
    public TxnStep Decide(in TxnDecision decision)
    {
        var txn = decision.Txn;
        lock (_decisions.SyncFor(txn))
        {
            // Marked under the lock, before any return: LockAsync reads the mark under it after each wait it queues.
            if (!decision.Commit && _batches.TryGetValue(txn, out var batch))
                batch.MarkAborted();
            if (_prepared.TryGetValue(txn, out var prepared) && prepared.Attempt == decision.Attempt)
            {
                // Applied, logged and ended as one step for a snapshot (Commits): one that reads the store meanwhile
                // waits until the batch and the end record are appended, so it never holds part of the commit alone,
                // and one that reads _prepared afterwards finds the end record in the log after its position.
                var epoch = _keyspace.Commits.Enter();
                try
                {
                    if (decision.Commit)
                    {
                        var step = Apply(prepared);
                        if (!step.IsOk)
                            return step;
                    }
                    _decisions.Remember(decision);
                    _prepared.TryRemove(txn, out _);
                    LogEnded(decision);
                }
                finally
                {
                    _keyspace.Commits.Exit(epoch);
                }
                _table.ReleaseAll(txn);
                return TxnStep.Ok;
            }
            if (_decisions.TryGet(txn, decision.Attempt, out var known))
            {
                if (known != decision.Commit)
                    return new TxnStep(StatusCode.InternalError, $"transaction {txn} attempt {decision.Attempt} was decided {(known ? "commit" : "abort")} here; a {(decision.Commit ? "commit" : "abort")} contradicts it");
                // An abort again still ends what the attempt took or waits for here since the first one: a TxnLock
                // that the first TxnAbort overtook on the link (its writer waited for the connection) came after it.
                if (!decision.Commit)
                    ReleaseUnlessPrepared(txn);
                return TxnStep.Ok;
            }
            if (decision.Commit)
            {
                // Not prepared here and no decision remembered. Forgotten (its decision fell out of the bounded
                // memory): it was applied; nothing to do. Otherwise this process never prepared it: the node restarted
                // without a log since (the prepared writes were in memory only), so its part is lost; say so.
                return _decisions.MayHaveForgotten(txn)
                    ? TxnStep.Ok
                    : new TxnStep(StatusCode.NotOwner, $"transaction {txn} attempt {decision.Attempt} is not prepared at this node: it restarted without a data directory after it prepared, and its part was lost");
            }
            if (prepared is null && ReleaseUnlessPrepared(txn) == 0)
                _decisions.Remember(decision);
            return TxnStep.Ok;
        }
    }

    /// <summary>
    /// What this node knows of an attempt as a participant. Unknown and not forgotten: it answers NotPrepared and
    /// remembers an abort, so it never prepares that attempt later. Call under the transaction's lock.
    /// </summary>
    public TxnOutcome StatusLocked(TxnId txn, ushort attempt)
    {
        if (_decisions.TryGet(txn, attempt, out var commit))
            return commit ? TxnOutcome.Committed : TxnOutcome.Aborted;
        if (_prepared.TryGetValue(txn, out var prepared) && prepared.Attempt == attempt)
            return TxnOutcome.Prepared;
        if (_decisions.MayHaveForgotten(txn))
            return TxnOutcome.Unknown;
        _decisions.Remember(new TxnDecision(txn, attempt, Commit: false));
        return TxnOutcome.NotPrepared;
    }

    /// <summary>Reads keys the transaction holds locked; NotOwner (nothing read) if it does not hold one of them.</summary>
    public TxnStep Read(TxnId txn, ReadOnlyMemory<byte>[] keys, LookupResult[] results)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            if (!_table.IsHeldBy(keys[i].Span, txn))
                return new TxnStep(StatusCode.NotOwner, $"transaction {txn} does not hold the lock of a key it reads");
            // A lock granted here after the slot was handed over guards a copy that is frozen (and dropped once the new
            // owner serves): reading it could mix old values with newer ones from the new owner. The coordinator plans
            // the read again from the newer state.
            if (_keyspace.IsHandedAway(keys[i].Span))
                return new TxnStep(StatusCode.Moving, $"transaction {txn} cannot read here: the slot of a key it reads was handed to another node");
        }
        for (var i = 0; i < keys.Length; i++)
            results[i] = _keyspace.TryGetEntry(keys[i].Span, out var value, out var expiresAt, out var version, out var type) ? new LookupResult(value, expiresAt, version, (byte)type) : LookupResult.Absent;
        return TxnStep.Ok;
    }

    /// <summary>Releases keys the transaction holds: all of them, or none (NotOwner) when it does not hold one or they are prepared.</summary>
    public TxnStep Unlock(TxnId txn, ReadOnlyMemory<byte>[] keys)
    {
        if (!HoldsAll(txn, keys) || _prepared.ContainsKey(txn))
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

    /// <summary>
    /// Installs again the attempts a restarted node had prepared and not ended (read from its log, before it serves):
    /// their locks are taken and pinned as at the prepare, and the resolver asks about each outcome at once.
    /// </summary>
    /// <returns>How many were installed; one whose locks cannot be taken (the log broke an invariant) is logged and skipped.</returns>
    public int Reinstall(IEnumerable<PreparedTxn> recovered, Action<PreparedTxn, string> failed)
    {
        var installed = 0;
        foreach (var prepared in recovered)
        {
            var txn = prepared.Id;
            var held = true;
            var writes = prepared.Writes;
            for (var i = 0; i < writes.Length && held; i++)
            {
                // Nothing else holds a lock yet (the node serves nothing while loading), so each grant is immediate;
                // the lease only matters until MarkPrepared pins the locks below.
                var w = writes[i];
                var grant = _table.AcquireAsync(w.Key.Span, txn, LockMode.Exclusive, Connections.SessionIds.Coordinator, TimeSpan.FromMinutes(1));
                var result = grant.IsCompletedSuccessfully ? grant.Result : LockResult.Aborted(LockAbortReason.None);
                held = result.IsGranted;
                writes[i] = new TxnWrite(w.Key, w.Value, (ulong)result.FencingToken, w.Kind, w.ExpiresAt, w.Type);
            }
            // A promoted replica may be a participant of the same attempt itself: the old primary's part joins its own.
            _prepared.TryGetValue(txn, out var own);
            if (own is not null && own.Attempt != prepared.Attempt)
            {
                failed(prepared, $"attempt {own.Attempt} of it is prepared here already");
                continue;
            }
            if (!held || !_table.MarkPrepared(txn))
            {
                if (own is null)
                    _table.ReleaseAll(txn); // with a part of its own prepared here, only its decision may release
                failed(prepared, "its locks could not be taken again (another transaction holds one of its keys)");
                continue;
            }
            _prepared[txn] = own is null
                ? prepared
                : new PreparedTxn(txn, own.Attempt, own.CoordinatorIncarnation, own.Participants, [.. own.Writes, .. writes], firstQueryAt: 0);
            installed++;
        }
        return installed;
    }

    /// <summary>
    /// After a promotion (<paramref name="current"/> makes this node the primary of slots another node served in
    /// <paramref name="previous"/>): installs the attempts that node had prepared and this replica holds for those
    /// slots (<see cref="Copies"/>), locks taken and pinned as at the prepare, and asks about each outcome at once.
    /// </summary>
    /// <returns>How many attempts were installed.</returns>
    public int TakeOver(ClusterState previous, ClusterState current, ushort self, Action<PreparedTxn, string> failed)
    {
        var installed = 0;
        if (Copies.Count > 0)
        {
            HashSet<ushort>? replaced = null;
            for (var slot = 0; slot < SlotTable.SlotCount; slot++)
            {
                var before = previous.Slots.OwnerOf(slot);
                if (before != self && current.Slots.OwnerOf(slot) == self)
                    (replaced ??= []).Add(before);
            }
            if (replaced is not null)
            {
                foreach (var oldPrimary in replaced)
                {
                    var taken = Copies.TakeOver(oldPrimary, slot => previous.Slots.OwnerOf(slot) == oldPrimary && current.Slots.OwnerOf(slot) == self);
                    installed += Reinstall(taken, failed);
                }
            }
        }
        Copies.DropStale((primary, slot) => current.Slots.OwnerOf(slot) == primary);
        return installed;
    }

    /// <summary>
    /// The prepared attempt ended here (after the commit's writes): logged, so a restart neither installs it again nor
    /// forgets the commit, and streamed, so the replicas drop their copy of it.
    /// </summary>
    private void LogEnded(in TxnDecision decision)
    {
        if (_keyspace.Log is null && _keyspace.Replication is null)
            return;
        Span<byte> record = stackalloc byte[TxnDecisionRecord.Size];
        TxnDecisionRecord.Write(record, decision, ended: true);
        _keyspace.Log?.AppendApplication(record);
        _keyspace.Replication?.AppendTxn(record);
    }

    /// <summary>Whether a TxnAbort marked the batch, read under the transaction's lock (ordered with <see cref="Decide"/>'s mark and release).</summary>
    private bool AbortedUnderLock(TxnId txn, LockBatch batch)
    {
        lock (_decisions.SyncFor(txn))
            return batch.IsAborted;
    }

    /// <summary>Releases the transaction's locks and ends its wait, unless an attempt of it is prepared here (then only its decision may).</summary>
    private int ReleaseUnlessPrepared(TxnId txn) => _prepared.ContainsKey(txn) ? 0 : _table.ReleaseAll(txn);

    /// <summary>
    /// Writes a prepared attempt's values through the keyspace: logged as one record (with a log; the caller's answer
    /// must wait for it: the session's ReplyGuard), then applied each under its key's gate with the fence checked. The
    /// locks are pinned since the prepare checked their fences, so a refusal here means an invariant broke: nothing
    /// is written.
    /// </summary>
    private TxnStep Apply(PreparedTxn prepared)
    {
        foreach (var w in prepared.Writes)
        {
            if (!_keyspace.HoldsForCommit(w.Key.Span, prepared.Id, (long)w.FenceToken))
                return new TxnStep(StatusCode.InternalError, $"transaction {prepared.Id} lost a prepared lock before its commit: nothing written here");
        }
        // Applied, then logged as one record while the prepared locks still hold the keys (no other write of them can
        // be logged in between); only the writes applied, so the record says exactly what the store holds.
        var batch = _keyspace.Log is null ? null : t_logBatch ??= new LogBatch();
        // The commit's changes reach a broadcasting tracking connection together (one message per prefix), as Redis
        // gathers an EXEC's.
        var grouped = _keyspace.BeginChangeGroup();
        try
        {
            ApplyWrites(prepared, batch);
        }
        finally
        {
            if (grouped)
                _keyspace.EndChangeGroup();
        }
        if (batch is not null)
        {
            _keyspace.LogCommit(batch);
            batch.Clear();
        }
        return TxnStep.Ok;
    }

    private void ApplyWrites(PreparedTxn prepared, LogBatch? batch)
    {
        foreach (var w in prepared.Writes)
        {
            using var write = _keyspace.BeginCommitWrite(w.Key.Span, prepared.Id, (long)w.FenceToken);
            if (write.Refusal != KeyWriteRefusal.None)
                continue;
            if (w.Kind == TxnWriteKind.Delete)
            {
                write.Delete();
                batch?.AddDelete(w.Key.Span);
            }
            else if (w.Type != 0)
            {
                write.Put(w.Value.Span, (EntryType)w.Type, w.ExpiresAt);
                batch?.AddPutTyped(w.Key.Span, w.Value.Span, (EntryType)w.Type, w.ExpiresAt);
            }
            else if (w.ExpiresAt != 0)
            {
                write.Put(w.Value.Span, w.ExpiresAt);
                batch?.AddPutExpiring(w.Key.Span, w.Value.Span, w.ExpiresAt);
            }
            else
            {
                write.Put(w.Value.Span);
                batch?.AddPut(w.Key.Span, w.Value.Span);
            }
        }
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

    private static TxnStep NotOwner(TxnId txn) =>
        new(StatusCode.NotOwner, $"transaction {txn} does not hold the lock of every key named: nothing was changed");

    public static TxnStep Refusal(TxnId txn, LockAbortReason reason) => reason switch
    {
        LockAbortReason.Wounded => new TxnStep(StatusCode.Wounded, $"transaction {txn} was wounded by an older one"),
        LockAbortReason.ShuttingDown => new TxnStep(StatusCode.ShuttingDown, "the node is shutting down"),
        LockAbortReason.Died => new TxnStep(StatusCode.Aborted, $"transaction {txn} died: an older transaction holds or waits for a key (wait-die)"),
        LockAbortReason.NoWait => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted: a key is locked (no-wait)"),
        LockAbortReason.TimedOut => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted: its lock wait timed out"),
        LockAbortReason.Deadlock => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted: it was the youngest in a deadlock (detect)"),
        LockAbortReason.SessionClosed => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted: the connection its locks were taken through closed"),
        _ => new TxnStep(StatusCode.Aborted, $"transaction {txn} aborted ({reason})"),
    };
}
