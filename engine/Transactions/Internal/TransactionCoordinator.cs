using System.Collections.Concurrent;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Keyspace;
using Microsoft.Extensions.Logging;
using FastDht.Locking;
using FastDht.Protocol;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Runs the transactions clients send to this node: MultiPut, MultiGet and explicit Lock over keys on any nodes,
/// taking locks at each key's owner under the cluster's strategy (docs/transactions.md).
/// </summary>
/// <remarks>
/// Per attempt: lock every group (owner by owner in node-id order with sorted keys under "ordered", all owners in
/// parallel otherwise), then two-phase commit (MultiPut: TransactionCoordinator.Decision.cs) or read and release
/// (MultiGet). A conflict anywhere aborts the attempt at every participant; the transaction retries with the same id
/// (and the next attempt number) after a backoff, until
/// <see cref="TxnSettings.TxnMaxAttempts"/> or <see cref="TxnSettings.TxnTimeout"/> is reached. A transaction
/// allocates its own state (arrays sized by its keys); nothing of it is on the single-key path.
/// </remarks>
internal sealed partial class TransactionCoordinator
{
    private readonly ushort _self;
    private readonly ulong _incarnation;
    private readonly TxnSettings _settings;
    private readonly ClusterStateHolder _cluster;
    private readonly LocalKeyspace _keyspace;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private IPeerLinks _peers = NoPeers.Instance;
    private readonly TxnParticipant _participant;
    private readonly TxnDecisions _decisions;
    private readonly TxnIdGenerator _ids;
    private readonly BackoffPolicy _backoff = new();
    private readonly bool _ordered;
    private readonly ConcurrentDictionary<TxnId, CoordinatedTxn> _active = new();
    private readonly Func<CoordinatedTxn, Task> _abortAll;

    /// <param name="self">This node's id.</param>
    /// <param name="incarnation">This node process's incarnation (what participants compare to tell a restart).</param>
    /// <param name="settings">The transaction timings and bounds.</param>
    /// <param name="cluster">The cluster state: who owns each key.</param>
    /// <param name="keyspace">This node's keyspace (its log holds the commit decisions).</param>
    /// <param name="participant">This node's part in transactions on its own keys.</param>
    /// <param name="decisions">The outcomes this node decided or learned.</param>
    /// <param name="ordered">Whether the lock strategy needs owners locked one by one in order.</param>
    /// <param name="logger">Where the transaction log lines go.</param>
    /// <param name="stopping">Fires when the node stops: the resolver and the deliveries end.</param>
    public TransactionCoordinator(ushort self, ulong incarnation, TxnSettings settings, ClusterStateHolder cluster, LocalKeyspace keyspace, TxnParticipant participant, TxnDecisions decisions, bool ordered, ILogger logger, CancellationToken stopping)
    {
        _self = self;
        _incarnation = incarnation;
        _settings = settings;
        _cluster = cluster;
        _keyspace = keyspace;
        _participant = participant;
        _decisions = decisions;
        _ordered = ordered;
        _logger = logger;
        _stopping = stopping;
        _ids = new TxnIdGenerator(self);
        _abortAll = AbortAllAsync;
    }

    /// <summary>
    /// The links to the other nodes, attached once the mesh exists (the mesh serves this coordinator's TxnWound and
    /// TxnStatus, so it is built after it). Until then every other node is unavailable.
    /// </summary>
    public void UsePeers(IPeerLinks peers) => _peers = peers;

    private ushort Self => _self;

    /// <summary>
    /// Routes a wound the lock table dealt to the victim's coordinator: this one, or the node named in the victim's
    /// id (TxnWound). A lost notification only delays the victim until its waits end by themselves.
    /// </summary>
    public void RouteWound(TxnId victim)
    {
        if (victim.NodeId == Self)
        {
            OnWounded(victim);
            return;
        }
        if (_peers.LinkTo(victim.NodeId) is { } link)
            _ = link.CallAsync(new TxnIdRequest(Opcode.TxnWound, TxnIds.ToWire(victim)), ResponseShape.Status, _settings.ForwardTimeout, victim.NodeId).AsTask();
    }

    /// <summary>All-or-nothing write of every key, on whichever nodes own them.</summary>
    public Task<TxnResult> MultiPutAsync(ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[] values) =>
        CoordinateAsync(LockMode.Exclusive, keys, values);

    /// <summary>Reads every key under shared locks, so it never sees part of a MultiPut.</summary>
    public Task<TxnResult> MultiGetAsync(ReadOnlyMemory<byte>[] keys) => CoordinateAsync(LockMode.Shared, keys, null);

    /// <summary>Runs a new transaction to the end, registered as active (so wounds can find it) while it runs.</summary>
    /// <remarks>
    /// A slot that moves while the transaction runs (docs/elasticity.md) makes a participant answer WrongNode (it no
    /// longer owns a key) or Moving (the key's slot is being handed over) before anything was prepared or decided
    /// commit, so nothing was written: the transaction is planned again from the cluster state then in force, under a
    /// new id, after a short pause, until the node's TxnTimeout.
    /// </remarks>
    private async Task<TxnResult> CoordinateAsync(LockMode mode, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[]? values)
    {
        var deadline = Environment.TickCount64 + (long)_settings.TxnTimeout.TotalMilliseconds;
        for (var plan = 0; ; plan++)
        {
            var txn = Plan(_ids.Next(), mode, keys, values);
            _active[txn.Id] = txn;
            TxnResult result;
            try
            {
                result = await RunAsync(txn).ConfigureAwait(false);
            }
            finally
            {
                _active.TryRemove(KeyValuePair.Create(txn.Id, txn));
            }
            if (result.Step.Status is not (StatusCode.WrongNode or StatusCode.Moving) || Environment.TickCount64 >= deadline)
                return result;
            // 1, 2, 4 ... 32 ms: a handover takes a few milliseconds; the state that ends it reaches every node soon after.
            await Task.Delay(1 << Math.Min(plan, 5)).ConfigureAwait(false);
        }
    }

    /// <summary>A transaction coordinated here was wounded by an older one (here or at a participant): abort its waits.</summary>
    public void OnWounded(TxnId victim)
    {
        if (_active.TryGetValue(victim, out var txn))
            txn.TriggerAbort(_abortAll, wound: true);
    }

    private async Task<TxnResult> RunAsync(CoordinatedTxn txn)
    {
        var options = _settings;
        var deadline = Environment.TickCount64 + (long)options.TxnTimeout.TotalMilliseconds;
        for (var attempt = 0; ; attempt++)
        {
            txn.Attempt = attempt;
            var step = await LockAllAsync(txn, SessionIds.Coordinator, options.TxnLockLease, deadline, abortOnWound: txn.Mode == LockMode.Exclusive).ConfigureAwait(false);
            if (step.IsOk)
            {
                if (txn.Mode == LockMode.Exclusive)
                {
                    var (decided, mayRetry) = await PrepareAndDecideAsync(txn).ConfigureAwait(false);
                    if (decided.IsOk || !mayRetry)
                        return new TxnResult(decided, (uint)(attempt + 1));
                    step = decided;
                }
                else
                {
                    var values = new LookupResult[txn.KeyCount];
                    step = await ReadAllAsync(txn, values).ConfigureAwait(false);
                    await AbortAllAsync(txn).ConfigureAwait(false);
                    if (step.IsOk)
                        return new TxnResult(step, (uint)(attempt + 1), values);
                }
            }
            else
            {
                await AbortAllAsync(txn).ConfigureAwait(false);
            }
            if (!step.IsConflict && step.Status != StatusCode.Timeout)
                return new TxnResult(step, (uint)(attempt + 1));
            if (attempt + 1 >= options.TxnMaxAttempts)
            {
                return new TxnResult(new TxnStep(StatusCode.Aborted,
                    $"transaction {txn.Id} gave up after {attempt + 1} attempts (the node's TxnMaxAttempts); nothing was written. Last: {step.Message}"), (uint)(attempt + 1));
            }
            var delay = _backoff.Delay(attempt);
            if (Environment.TickCount64 + (long)delay.TotalMilliseconds >= deadline)
            {
                return new TxnResult(new TxnStep(StatusCode.Aborted,
                    $"transaction {txn.Id} gave up after {options.TxnTimeout.TotalSeconds:0.###} s (the node's TxnTimeout) and {attempt + 1} attempts; nothing was written. Last: {step.Message}"), (uint)(attempt + 1));
            }
            await Task.Delay(delay).ConfigureAwait(false);
        }
    }

    /// <summary>Groups keys by owner; under "ordered", groups in node-id order and keys sorted bytewise within each.</summary>
    private CoordinatedTxn Plan(TxnId id, LockMode mode, ReadOnlyMemory<byte>[] keys, ReadOnlyMemory<byte>[]? values)
    {
        var owners = new ushort[keys.Length];
        var counts = new Dictionary<ushort, int>();
        var state = _cluster.Current; // one cluster state for the whole plan
        for (var i = 0; i < keys.Length; i++)
        {
            owners[i] = state.OwnerOf(keys[i].Span);
            counts[owners[i]] = counts.GetValueOrDefault(owners[i]) + 1;
        }
        var nodes = new ushort[counts.Count];
        counts.Keys.CopyTo(nodes, 0);
        Array.Sort(nodes);
        var groups = new TxnGroup[nodes.Length];
        for (var g = 0; g < nodes.Length; g++)
        {
            var indexes = new int[counts[nodes[g]]];
            var n = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                if (owners[i] == nodes[g])
                    indexes[n++] = i;
            }
            if (_ordered)
                Array.Sort(indexes, (a, b) => keys[a].Span.SequenceCompareTo(keys[b].Span));
            var groupKeys = new ReadOnlyMemory<byte>[indexes.Length];
            var groupValues = values is null ? null : new ReadOnlyMemory<byte>[indexes.Length];
            for (var k = 0; k < indexes.Length; k++)
            {
                groupKeys[k] = keys[indexes[k]];
                if (groupValues is not null)
                    groupValues[k] = values![indexes[k]];
            }
            groups[g] = new TxnGroup(nodes[g], indexes, groupKeys, groupValues);
        }
        return new CoordinatedTxn(id, mode, groups, keys.Length);
    }

    /// <summary>Takes every lock of the attempt; the first refusal aborts the attempt at every participant.</summary>
    private async Task<TxnStep> LockAllAsync(CoordinatedTxn txn, long localSession, TimeSpan lease, long deadline, bool abortOnWound)
    {
        txn.BeginLocking();
        var outcome = TxnStep.Ok;
        var groups = txn.Groups;
        if (_ordered || groups.Length == 1)
        {
            foreach (var g in groups)
            {
                outcome = await LockGroupAsync(txn, g, localSession, lease, deadline).ConfigureAwait(false);
                if (!outcome.IsOk)
                    break;
            }
        }
        else
        {
            var tasks = new Task<TxnStep>[groups.Length];
            for (var i = 0; i < groups.Length; i++)
                tasks[i] = LockGroupOrAbortAsync(txn, groups[i], localSession, lease, deadline);
            await Task.WhenAll(tasks).ConfigureAwait(false);
            foreach (var t in tasks)
            {
                var step = t.Result;
                // A participant's own refusal explains the attempt better than the Released of the others it caused.
                if (!step.IsOk && (outcome.IsOk || (!outcome.IsConflict && step.IsConflict)))
                    outcome = step;
            }
        }
        var abort = txn.EndLocking();
        if (abort is not null)
        {
            await abort.ConfigureAwait(false);
            // The abort released whatever the groups were granted, even if each of them had already answered Ok; and
            // the refusals it caused (Released) say less than the wound that started it.
            if (outcome.IsOk || (txn.IsWounded && outcome.IsConflict))
                outcome = new TxnStep(StatusCode.Wounded, $"transaction {txn.Id} was aborted while it took its locks (wounded by an older one)");
        }
        if (outcome.IsOk && abortOnWound && txn.IsWounded)
            outcome = new TxnStep(StatusCode.Wounded, $"transaction {txn.Id} was wounded by an older one");
        return outcome;
    }

    private async Task<TxnStep> LockGroupOrAbortAsync(CoordinatedTxn txn, TxnGroup group, long localSession, TimeSpan lease, long deadline)
    {
        var step = await LockGroupAsync(txn, group, localSession, lease, deadline).ConfigureAwait(false);
        if (!step.IsOk)
            txn.TriggerAbort(_abortAll, wound: false);
        return step;
    }

    private async ValueTask<TxnStep> LockGroupAsync(CoordinatedTxn txn, TxnGroup group, long localSession, TimeSpan lease, long deadline)
    {
        if (group.Node == Self)
            return await _participant.LockAsync(txn.Id, txn.Mode, lease, txn.Attempt, localSession, group.Keys, group.Tokens).ConfigureAwait(false);
        var link = _peers.LinkTo(group.Node);
        if (link is null)
            return new TxnStep(StatusCode.NodeUnavailable, _peers.UnavailableMessage(group.Node));
        var remaining = Math.Max(1, deadline - Environment.TickCount64);
        var request = new TxnLockRequest(Opcode.TxnLock, txn.WireId, TxnIds.ToWire(txn.Mode), LeaseMs(lease), group.Keys, (ushort)Math.Min(txn.Attempt, ushort.MaxValue));
        var result = await link.CallAsync(request, ResponseShape.Body, TimeSpan.FromMilliseconds(remaining), group.Node).ConfigureAwait(false);
        if (result.IsError)
            return new TxnStep(result.Status, result.ErrorMessage);
        return ReadTokens(result.Payload, group);
    }

    private static TxnStep ReadTokens(byte[]? payload, TxnGroup group)
    {
        if (payload is null || !ResponseDecoder.TryReadTokens(payload, out var tokens, out _) || tokens.Count != group.Keys.Length)
            return new TxnStep(StatusCode.InternalError, $"node {group.Node} answered TxnLock with a malformed body");
        for (var i = 0; i < tokens.Count; i++)
            group.Tokens[i] = (long)tokens[i];
        return TxnStep.Ok;
    }

    private static TxnStep ReadValues(byte[]? payload, TxnGroup group, LookupResult[] values)
    {
        if (payload is null || !ResponseDecoder.TryReadTxnRead(payload, out var list, out var metadata, out _) || list.Count != group.Keys.Length)
            return new TxnStep(StatusCode.InternalError, $"node {group.Node} answered TxnRead with a malformed body");
        var k = 0;
        foreach (var entry in list)
        {
            values[group.Indexes[k]] = entry.Present ? new LookupResult(entry.Value.ToArray(), metadata.ExpiresAt(k), metadata.Version(k), metadata.Type(k)) : LookupResult.Absent;
            k++;
        }
        return TxnStep.Ok;
    }

    /// <summary>Pins an explicit Lock's grants at every owner, so an older transaction can no longer wound them.</summary>
    private async Task<TxnStep> PinAllAsync(CoordinatedTxn txn)
    {
        var outcome = TxnStep.Ok;
        Task<ResponseResult>?[]? calls = null;
        for (var i = 0; i < txn.Groups.Length; i++)
        {
            var g = txn.Groups[i];
            if (g.Node == Self)
            {
                if (!_participant.Pin(txn.Id))
                    outcome = Unpinned(txn, g.Node);
            }
            else
            {
                calls ??= new Task<ResponseResult>?[txn.Groups.Length];
                calls[i] = CallAsync(g.Node, new TxnIdRequest(Opcode.TxnPin, txn.WireId));
            }
        }
        if (calls is null)
            return outcome;
        for (var i = 0; i < calls.Length; i++)
        {
            if (calls[i] is not { } call)
                continue;
            var result = await call.ConfigureAwait(false);
            if (result.IsError && outcome.IsOk)
                outcome = result.Status == StatusCode.Wounded ? Unpinned(txn, txn.Groups[i].Node) : new TxnStep(result.Status, result.ErrorMessage);
        }
        return outcome;
    }

    private static TxnStep Unpinned(CoordinatedTxn txn, ushort node) =>
        new(StatusCode.Wounded, $"transaction {txn.Id} could not keep its locks at node {node}: it was wounded or its locks expired");

    private async Task<TxnStep> ReadAllAsync(CoordinatedTxn txn, LookupResult[] values)
    {
        var outcome = TxnStep.Ok;
        Task<ResponseResult>?[]? calls = null;
        for (var i = 0; i < txn.Groups.Length; i++)
        {
            var g = txn.Groups[i];
            if (g.Node == Self)
            {
                var local = new LookupResult[g.Keys.Length];
                var step = _participant.Read(txn.Id, g.Keys, local);
                if (!step.IsOk)
                    outcome = step;
                for (var k = 0; k < local.Length; k++)
                    values[g.Indexes[k]] = local[k];
            }
            else
            {
                calls ??= new Task<ResponseResult>?[txn.Groups.Length];
                calls[i] = CallAsync(g.Node, new TxnKeysRequest(Opcode.TxnRead, txn.WireId, 0, g.Keys));
            }
        }
        if (calls is null)
            return outcome;
        for (var i = 0; i < calls.Length; i++)
        {
            if (calls[i] is not { } call)
                continue;
            var result = await call.ConfigureAwait(false);
            if (result.IsError)
            {
                if (outcome.IsOk)
                    outcome = new TxnStep(result.Status, result.ErrorMessage);
                continue;
            }
            var read = ReadValues(result.Payload, txn.Groups[i], values);
            if (!read.IsOk && outcome.IsOk)
                outcome = read;
        }
        return outcome;
    }

    /// <summary>Releases the attempt everywhere before any prepare (or after a read) and ends its waits; completes when every participant has answered.</summary>
    private async Task AbortAllAsync(CoordinatedTxn txn)
    {
        Task<ResponseResult>[]? calls = null;
        var n = 0;
        var attempt = AttemptOf(txn);
        foreach (var g in txn.Groups)
        {
            if (g.Node == Self)
            {
                _participant.Decide(new TxnDecision(txn.Id, attempt, Commit: false));
            }
            else
            {
                calls ??= new Task<ResponseResult>[txn.Groups.Length];
                calls[n++] = CallAsync(g.Node, new TxnAttemptRequest(Opcode.TxnAbort, txn.WireId, attempt));
            }
        }
        for (var i = 0; i < n; i++)
            await calls![i].ConfigureAwait(false);
    }

    /// <summary>A node-to-node call that does not wait for locks: answered within the forward timeout, or failed.</summary>
    private async Task<ResponseResult> CallAsync<TRequest>(ushort node, TRequest request)
        where TRequest : struct, IFrameRequest
    {
        var link = _peers.LinkTo(node);
        if (link is null)
            return new ResponseResult(StatusCode.NodeUnavailable, null, _peers.UnavailableMessage(node));
        return await link.CallAsync(request, ResponseShape.Body, _settings.ForwardTimeout, node).ConfigureAwait(false);
    }

    private static uint LeaseMs(TimeSpan lease) => (uint)Math.Clamp(lease.TotalMilliseconds, 1, uint.MaxValue);
}
