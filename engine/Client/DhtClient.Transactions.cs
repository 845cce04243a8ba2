using FastDht.Engine.Client.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>
/// The multi-key half of the client: atomic MultiPut and MultiGet across nodes, explicit lease-based locks, and
/// fenced writes. The node a request is sent to coordinates it (docs/transactions.md); the client picks the owner of
/// the first key, which saves that owner's hop.
/// </summary>
public sealed partial class DhtClient
{
    private uint _lockSequence = (uint)Random.Shared.Next();

    /// <summary>Writes every entry or none, across any nodes, serializable with every other write to those keys.</summary>
    /// <returns>How many attempts the coordinator needed (1 = no conflict; each abort by the lock strategy adds one).</returns>
    /// <exception cref="DhtServerException">Status <see cref="StatusCode.Aborted"/>: the locks could not be taken within the node's bound; nothing was written.</exception>
    public async ValueTask<int> MultiPutAsync(IReadOnlyList<KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count is 0 or > ushort.MaxValue)
            throw new ArgumentException($"a MultiPut takes 1 to {ushort.MaxValue} entries (got {entries.Count})", nameof(entries));
        var list = new KeyValue[entries.Count];
        for (var i = 0; i < list.Length; i++)
        {
            CheckKey(entries[i].Key);
            list[i] = new KeyValue(entries[i].Key, entries[i].Value);
        }
        var result = await CallCoordinatorAsync(list[0].Key, new MultiPutRequest(list), ResponseShape.Body, cancellationToken).ConfigureAwait(false);
        return ResponseDecoder.TryReadMultiPut(result.Payload, out var attempts, out _) ? (int)attempts : 1;
    }

    /// <summary>Reads several keys, on any nodes, under shared locks: never part of a concurrent MultiPut.</summary>
    /// <returns>The values in the order of <paramref name="keys"/>; null where a key is absent.</returns>
    public async ValueTask<byte[]?[]> MultiGetAsync(IReadOnlyList<ReadOnlyMemory<byte>> keys, CancellationToken cancellationToken = default)
    {
        var list = KeyArray(keys);
        var result = await CallCoordinatorAsync(list[0], new MultiGetRequest(list), ResponseShape.Body, cancellationToken, writes: false).ConfigureAwait(false);
        if (!ResponseDecoder.TryReadMultiGet(result.Payload, out var lookups, out var error) || lookups.Count != list.Length)
            throw new DhtException($"malformed MultiGet answer: {error}");
        var values = new byte[]?[list.Length];
        var i = 0;
        foreach (var entry in lookups)
            values[i++] = entry.Present ? entry.Value.ToArray() : null;
        return values;
    }

    /// <summary>
    /// Locks keys on any nodes for a critical section. The locks last for <paramref name="lease"/> unless renewed, and go
    /// when this client's connection to the coordinating node closes. Each key comes with a fencing token: pass it to
    /// <see cref="PutAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, ulong, CancellationToken)"/> so a holder whose lease
    /// ran out cannot overwrite a newer holder's work.
    /// </summary>
    /// <exception cref="DhtServerException">The lock strategy aborted the attempt (conflict); nothing stays locked.</exception>
    public async ValueTask<DhtLock> LockAsync(IReadOnlyList<ReadOnlyMemory<byte>> keys, TimeSpan lease, bool shared = false, CancellationToken cancellationToken = default)
    {
        var list = KeyArray(keys);
        var leaseMs = LeaseMilliseconds(lease);
        var node = Volatile.Read(ref _route).OwnerOf(list[0].Span);
        var connection = await OpenAsync(node, cancellationToken).ConfigureAwait(false);
        // The coordinator must be named in the id: wounds for this transaction are routed to that node.
        var txn = new TxnId((ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000), connection.NodeId, Interlocked.Increment(ref _lockSequence));
        var request = new TxnLockRequest(Opcode.Lock, txn, shared ? LockMode.Shared : LockMode.Exclusive, leaseMs, list);
        var result = await connection.CallAsync(request, ResponseShape.Body, _settings.RequestTimeout + lease, connection.NodeId, _settings.InlineContinuations, cancellationToken).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, cancellationToken);
        if (!ResponseDecoder.TryReadTokens(result.Payload, out var tokenList, out var error) || tokenList.Count != list.Length)
            throw new DhtException($"malformed Lock answer: {error}");
        var tokens = new ulong[tokenList.Count];
        for (var i = 0; i < tokens.Length; i++)
            tokens[i] = tokenList[i];
        return new DhtLock(this, connection, txn, list, tokens);
    }

    /// <summary>A Put made under a lock: the owner applies it only while the lock with this fencing token is held.</summary>
    /// <exception cref="DhtServerException">Status <see cref="StatusCode.StaleFence"/>: the lock was lost (lease ended) or the token is not the current one.</exception>
    public async ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong fencingToken, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        await CallCoordinatorAsync(key, new FencedPutRequest(key, value, fencingToken), ResponseShape.Status, cancellationToken).ConfigureAwait(false);
    }

    internal async ValueTask RenewAsync(ClientConnection connection, TxnId txn, ReadOnlyMemory<byte>[] keys, TimeSpan lease)
    {
        var result = await connection.CallAsync(new TxnKeysRequest(Opcode.RenewLease, txn, LeaseMilliseconds(lease), keys), ResponseShape.Status, _settings.RequestTimeout, connection.NodeId).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, default);
    }

    internal async ValueTask UnlockAsync(ClientConnection connection, TxnId txn, ReadOnlyMemory<byte>[] keys)
    {
        var result = await connection.CallAsync(new TxnKeysRequest(Opcode.Unlock, txn, 0, keys), ResponseShape.Status, _settings.RequestTimeout, connection.NodeId).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, default);
    }

    /// <summary>
    /// Sends a multi-key request to the owner of <paramref name="firstKey"/>, which coordinates it. An answer of
    /// ShuttingDown is retried once, after a table refresh, at the first key's owner in the refreshed table, a MultiPut
    /// too: the coordinator answers it only when nothing was committed (its node is stopping and did not run the request,
    /// docs/protocol.md §3, or the transaction aborted before a commit decision because a node it needed is stopping),
    /// so the one retry applies the writes once, all or nothing.
    /// </summary>
    private async ValueTask<ResponseResult> CallCoordinatorAsync<TRequest>(ReadOnlyMemory<byte> firstKey, TRequest request, ResponseShape shape, CancellationToken cancellationToken, bool writes = true)
        where TRequest : struct, IFrameRequest
    {
        ThrowIfDisposed();
        for (var attempt = 0; ; attempt++)
        {
            var generation = Volatile.Read(ref _generation);
            var route = Volatile.Read(ref _route);
            var connection = await OpenAsync(route.OwnerOf(firstKey.Span), cancellationToken).ConfigureAwait(false);
            if (request.FrameLength - 4 > connection.SendLimit)
                throw new ArgumentException($"the request ({request.FrameLength} bytes) is larger than node {connection.NodeId} accepts ({connection.SendLimit} bytes)");
            var result = await connection.CallAsync(request, shape, _settings.RequestTimeout, connection.NodeId, _settings.InlineContinuations, cancellationToken).ConfigureAwait(false);
            if (result.Status == StatusCode.ShuttingDown && attempt == 0)
            {
                // A stopping coordinator sent its going-away notice first, so its connection is retiring already (the
                // next open dials afresh); a healthy coordinator relaying a stopping participant's refusal keeps its own.
                await RefreshAsync(generation, route.Epoch + 1, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (!writes)
                ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, cancellationToken);
            else
                ClientErrors.ThrowIfWriteFailed(result, connection, _settings.RequestTimeout, cancellationToken);
            return result;
        }
    }

    private async ValueTask<ClientConnection> OpenAsync(NodeHandle node, CancellationToken cancellationToken) =>
        node.TryGetOpen(out var connection) ? connection : await node.OpenAsync(_settings, _connections).WaitAsync(cancellationToken).ConfigureAwait(false);

    private static ReadOnlyMemory<byte>[] KeyArray(IReadOnlyList<ReadOnlyMemory<byte>> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count is 0 or > ushort.MaxValue)
            throw new ArgumentException($"between 1 and {ushort.MaxValue} keys are needed (got {keys.Count})", nameof(keys));
        var list = new ReadOnlyMemory<byte>[keys.Count];
        for (var i = 0; i < list.Length; i++)
        {
            CheckKey(keys[i]);
            list[i] = keys[i];
        }
        return list;
    }

    private static void CheckKey(ReadOnlyMemory<byte> key)
    {
        if ((uint)(key.Length - 1) >= ushort.MaxValue)
            Throw.KeyLength(key.Length);
    }

    private static uint LeaseMilliseconds(TimeSpan lease)
    {
        if (lease <= TimeSpan.Zero || lease.TotalMilliseconds > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(lease), lease, "the lease must be positive");
        return (uint)Math.Ceiling(lease.TotalMilliseconds);
    }
}
