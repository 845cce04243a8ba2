using System.Collections.Concurrent;
using FastDht.Engine.Connections.Requests;
using FastDht.Locking;
using FastDht.Protocol;
using LockMode = FastDht.Locking.LockMode;
using TxnId = FastDht.Locking.TxnId;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>
/// Explicit client locks (Lock, Unlock, RenewLease): one attempt, no retry (the client decides), lease-bound, and
/// released when the client's connection to this node closes.
/// </summary>
/// <remarks>
/// Once every key is granted the locks are pinned (prepared), so an older transaction can no longer wound the
/// client's critical section; it waits for the lease or the Unlock. A failed Lock releases every lock of its
/// transaction, including those of earlier Lock calls with the same id.
/// </remarks>
internal sealed partial class TransactionCoordinator
{
    private readonly ConcurrentDictionary<long, ConcurrentDictionary<TxnId, ExplicitHold>> _holds = new();

    /// <summary>Locks keys on any owners for a client transaction; tokens in the order of the keys.</summary>
    public async Task<TxnResult> LockAsync(long sessionId, TxnId id, LockMode mode, TimeSpan lease, ReadOnlyMemory<byte>[] keys)
    {
        var txn = Plan(id, mode, keys, null);
        if (!_active.TryAdd(id, txn))
            return new TxnResult(new TxnStep(StatusCode.BadRequest, $"transaction {id} already has a request in progress on this node"));
        try
        {
            var deadline = Environment.TickCount64 + (long)lease.TotalMilliseconds;
            var step = await LockAllAsync(txn, sessionId, lease, deadline, abortOnWound: true).ConfigureAwait(false);
            if (step.IsOk)
                step = await PinAllAsync(txn).ConfigureAwait(false);
            if (!step.IsOk)
            {
                await AbortAllAsync(txn).ConfigureAwait(false);
                return new TxnResult(step);
            }
            var nodes = new ushort[txn.Groups.Length];
            var tokens = new long[keys.Length];
            for (var g = 0; g < nodes.Length; g++)
            {
                var group = txn.Groups[g];
                nodes[g] = group.Node;
                for (var k = 0; k < group.Keys.Length; k++)
                    tokens[group.Indexes[k]] = group.Tokens[k];
            }
            var holds = _holds.GetOrAdd(sessionId, static _ => new ConcurrentDictionary<TxnId, ExplicitHold>());
            holds.AddOrUpdate(id, new ExplicitHold(nodes, keys.Length), (_, existing) =>
            {
                existing.Add(keys.Length);
                return existing;
            });
            return new TxnResult(TxnStep.Ok, tokens: tokens);
        }
        finally
        {
            _active.TryRemove(KeyValuePair.Create(id, txn));
        }
    }

    /// <summary>Unlock or RenewLease of keys on any owners; NotOwner when the transaction does not hold one of them.</summary>
    public async Task<TxnResult> UnlockOrRenewAsync(long sessionId, Opcode opcode, TxnId id, TimeSpan lease, ReadOnlyMemory<byte>[] keys)
    {
        var txn = Plan(id, LockMode.Shared, keys, null);
        var outcome = TxnStep.Ok;
        foreach (var g in txn.Groups)
        {
            TxnStep step;
            if (g.Node == Self)
            {
                step = opcode == Opcode.Unlock ? _participant.Unlock(id, g.Keys) : _participant.Renew(id, lease, g.Keys);
            }
            else
            {
                var result = await CallAsync(g.Node, new TxnKeysRequest(opcode, txn.WireId, LeaseMs(lease), g.Keys)).ConfigureAwait(false);
                step = result.IsError ? new TxnStep(result.Status, result.ErrorMessage) : TxnStep.Ok;
            }
            if (!step.IsOk && outcome.IsOk)
                outcome = step;
        }
        if (opcode == Opcode.Unlock && outcome.IsOk && _holds.TryGetValue(sessionId, out var holds)
            && holds.TryGetValue(id, out var hold) && hold.Release(keys.Length))
        {
            holds.TryRemove(id, out _);
        }
        return new TxnResult(outcome);
    }

    /// <summary>A client connection closed: its explicit locks go at every owner (local ones also by the session release).</summary>
    public void OnSessionClosed(long sessionId)
    {
        if (_holds.TryRemove(sessionId, out var holds) && !holds.IsEmpty)
            _ = ReleaseHoldsAsync(holds);
    }

    private async Task ReleaseHoldsAsync(ConcurrentDictionary<TxnId, ExplicitHold> holds)
    {
        foreach (var (id, hold) in holds)
        {
            var wire = TxnIds.ToWire(id);
            foreach (var node in hold.Nodes)
            {
                if (node == Self)
                    _participant.Decide(new TxnDecision(id, 0, Commit: false));
                else
                    await CallAsync(node, new TxnAttemptRequest(Opcode.TxnAbort, wire, 0)).ConfigureAwait(false);
            }
        }
    }
}
