using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using FastDht.Engine.Client.Internal;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.Client;

/// <summary>
/// The smart client: routes each key straight to the node that owns it, over one pipelined connection per node.
/// Thread-safe; one instance serves a whole application.
/// </summary>
/// <remarks>
/// <see cref="ConnectAsync"/> asks a seed for the cluster's members and slot table. Each call then hashes its key to
/// a slot, looks up the owner and sends the request on that node's connection, which it shares with every other
/// call in flight (each has its own request id; answers may come back in any order). Connections open on first use
/// and reopen on a later use after they fail. A call never waits longer than about
/// <see cref="DhtClientOptions.RequestTimeout"/> (plus <see cref="DhtClientOptions.ConnectTimeout"/> when it must dial).
/// When a node says the key is not its own (WrongNode), or that it is shutting down and ran nothing (ShuttingDown), or a
/// freshly opened connection reports a newer cluster state epoch than the client's table, the client refreshes its
/// table and retries the call once; a read that lost its connection is retried once too. A node that says it is going
/// away gets no new request on that connection, which closes once its last answer is in.
/// Per call, nothing is allocated beyond the returned value: completions and async state machines are pooled.
/// </remarks>
public sealed partial class DhtClient : IAsyncDisposable
{
    private readonly ClientSettings _settings;
    private readonly ConnectionSet _connections = new();
    private readonly Timer _sweeper;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly Lock _publishLock = new();
    private ClientRoute _route = null!;
    private int _generation;
    private int _disposed;

    private DhtClient(ClientSettings settings)
    {
        _settings = settings;
        _sweeper = new Timer(static state => ((DhtClient)state!).Sweep(), this, settings.SweepInterval, settings.SweepInterval);
    }

    /// <summary>Connects to the first seed that answers and learns the cluster's members and slot table from it.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="DhtNodeUnavailableException">No seed could be reached.</exception>
    /// <exception cref="DhtException">A seed belongs to another cluster, or the seeds failed in different ways.</exception>
    public static async Task<DhtClient> ConnectAsync(DhtClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new DhtClient(new ClientSettings(options));
        try
        {
            await client.BootstrapAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client;
    }

    /// <summary>The cluster as last learned (at connect or at the latest refresh), without asking the network.</summary>
    public ClusterView Cluster => Volatile.Read(ref _route).View;

    /// <summary>The node id that owns <paramref name="key"/> in the client's current slot table.</summary>
    public ushort OwnerOf(ReadOnlySpan<byte> key) => Volatile.Read(ref _route).OwnerOf(key).NodeId;

    /// <summary>The value stored under <paramref name="key"/>, or null when the key is absent.</summary>
    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.CanBeCanceled && TryFastRoute(key, out var connection, out var epoch, out var generation))
        {
            var call = ClientCall.Rent(this, connection, Opcode.Get, ResponseShape.Value, StatusCode.NotFound, _settings.InlineContinuations, key, default, epoch, generation);
            if (connection.TrySend(new GetRequest(key, FrameFlags.Routed), call))
                return call.AsValueTask();
            call.Return();
        }
        return GetCoreAsync(key, cancellationToken);
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any previous value.</summary>
    public ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.CanBeCanceled && TryFastRoute(key, out var connection, out var epoch, out var generation))
        {
            var call = ClientCall.Rent(this, connection, Opcode.Put, ResponseShape.Status, StatusCode.Ok, _settings.InlineContinuations, key, value, epoch, generation);
            if (connection.TrySend(new PutRequest(key, value, ifAbsent: false, FrameFlags.Routed), call))
                return call.AsTask();
            call.Return();
        }
        return PutCoreAsync(key, value, cancellationToken);
    }

    /// <summary>Stores <paramref name="value"/> only if <paramref name="key"/> is absent.</summary>
    /// <returns>True when this call stored it; false when the key already existed (nothing changed).</returns>
    public ValueTask<bool> PutIfAbsentAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.CanBeCanceled && TryFastRoute(key, out var connection, out var epoch, out var generation))
        {
            var call = ClientCall.Rent(this, connection, Opcode.PutIfAbsent, ResponseShape.Status, StatusCode.Exists, _settings.InlineContinuations, key, value, epoch, generation);
            if (connection.TrySend(new PutRequest(key, value, ifAbsent: true, FrameFlags.Routed), call))
                return call.AsBooleanTask();
            call.Return();
        }
        return StatusCallAsync(Opcode.PutIfAbsent, key, value, StatusCode.Exists, cancellationToken);
    }

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/>, replacing any previous value, to expire
    /// <paramref name="timeToLive"/> after the key's owner applies it (Redis's SET k v PX ms).
    /// </summary>
    /// <remarks>The time to live is at least 1 ms (rounded up to whole milliseconds), at most <see cref="ProtocolConstants.MaxTimeToLiveMs"/> ms.</remarks>
    public async ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken = default) =>
        await PutExpiringAsync(Opcode.Put, key, value, ToMilliseconds(timeToLive), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Stores <paramref name="value"/> only if <paramref name="key"/> is absent, to expire <paramref name="timeToLive"/>
    /// after the owner stores it (Redis's SET k v NX PX ms: a lock or a lease that cleans itself up).
    /// </summary>
    /// <returns>True when this call stored it; false when the key already existed (nothing changed).</returns>
    public async ValueTask<bool> PutIfAbsentAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        var result = await PutExpiringAsync(Opcode.PutIfAbsent, key, value, ToMilliseconds(timeToLive), cancellationToken).ConfigureAwait(false);
        return result.Status == StatusCode.Ok;
    }

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <returns>True when the key existed and was removed; false when it was absent.</returns>
    public ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (!cancellationToken.CanBeCanceled && TryFastRoute(key, out var connection, out var epoch, out var generation))
        {
            var call = ClientCall.Rent(this, connection, Opcode.Delete, ResponseShape.Status, StatusCode.NotFound, _settings.InlineContinuations, key, default, epoch, generation);
            if (connection.TrySend(new DeleteRequest(key, FrameFlags.Routed), call))
                return call.AsBooleanTask();
            call.Return();
        }
        return StatusCallAsync(Opcode.Delete, key, default, StatusCode.NotFound, cancellationToken);
    }

    /// <summary>The value under a UTF-8 key, decoded as UTF-8; null when absent.</summary>
    public async ValueTask<string?> GetStringAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = await GetAsync(Utf8(key), cancellationToken).ConfigureAwait(false);
        return value is null ? null : Encoding.UTF8.GetString(value);
    }

    /// <summary>Stores a UTF-8 value under a UTF-8 key.</summary>
    public ValueTask PutAsync(string key, string value, CancellationToken cancellationToken = default) =>
        PutAsync(Utf8(key), Utf8(value), cancellationToken);

    /// <summary>Stores a UTF-8 value under a UTF-8 key only if the key is absent; true when stored.</summary>
    public ValueTask<bool> PutIfAbsentAsync(string key, string value, CancellationToken cancellationToken = default) =>
        PutIfAbsentAsync(Utf8(key), Utf8(value), cancellationToken);

    /// <summary>Stores a UTF-8 value under a UTF-8 key, to expire <paramref name="timeToLive"/> after its owner applies it.</summary>
    public ValueTask PutAsync(string key, string value, TimeSpan timeToLive, CancellationToken cancellationToken = default) =>
        PutAsync(Utf8(key), Utf8(value), timeToLive, cancellationToken);

    /// <summary>Stores a UTF-8 value under a UTF-8 key only if the key is absent, to expire <paramref name="timeToLive"/> later; true when stored.</summary>
    public ValueTask<bool> PutIfAbsentAsync(string key, string value, TimeSpan timeToLive, CancellationToken cancellationToken = default) =>
        PutIfAbsentAsync(Utf8(key), Utf8(value), timeToLive, cancellationToken);

    /// <summary>Removes a UTF-8 key; true when it existed.</summary>
    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        DeleteAsync(Utf8(key), cancellationToken);

    /// <summary>
    /// Asks the cluster (the first member that answers) for its members and slot ranges, and adopts the answer for
    /// routing unless the client already routes by a later epoch.
    /// </summary>
    public async ValueTask<ClusterView> GetClusterInfoAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return await FetchClusterInfoAsync(minEpoch: 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends Ping to one member and returns the round-trip time.</summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a member.</exception>
    public async ValueTask<TimeSpan> PingAsync(ushort nodeId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!Volatile.Read(ref _route).TryGet(nodeId, out var node))
            Throw.UnknownNode(nodeId);
        if (!node.TryGetOpen(out var connection))
            connection = await node.OpenAsync(_settings, _connections).WaitAsync(cancellationToken).ConfigureAwait(false);
        var start = Stopwatch.GetTimestamp();
        var result = await connection.SendAsync(Opcode.Ping, default, default, ResponseShape.Status, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, cancellationToken);
        return elapsed;
    }

    /// <summary>
    /// Asks one member to write a snapshot of its keys to its data directory: returns once it is in place
    /// (<paramref name="wait"/>), with what it holds, or once it started (null).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a member.</exception>
    /// <exception cref="DhtServerException">The node has no data directory (BadRequest), is already writing one (Busy), is loading (Loading), or the snapshot failed (InternalError).</exception>
    public async ValueTask<NodeSnapshot?> SnapshotAsync(ushort nodeId, bool wait, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!Volatile.Read(ref _route).TryGet(nodeId, out var node))
            Throw.UnknownNode(nodeId);
        if (!node.TryGetOpen(out var connection))
            connection = await node.OpenAsync(_settings, _connections).WaitAsync(cancellationToken).ConfigureAwait(false);
        var result = await connection.SendSnapshotAsync(wait, cancellationToken).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, cancellationToken);
        if (!wait)
            return null;
        if (!ResponseDecoder.TryReadSnapshot(result.Payload, out var keys, out var bytes, out var position, out var completedAt, out var error))
            throw new DhtException($"node {nodeId}: malformed Snapshot answer: {error}");
        return new NodeSnapshot(nodeId, (long)keys, (long)bytes, (long)position, DateTimeOffset.FromUnixTimeMilliseconds(completedAt));
    }

    /// <summary>
    /// Asks node <paramref name="owner"/> to move its slots [<paramref name="firstSlot"/>, <paramref name="lastSlot"/>] to
    /// node <paramref name="target"/> while they stay in use (docs/elasticity.md); returns once the target owns them.
    /// </summary>
    /// <param name="owner">The node that owns every slot of the range now.</param>
    /// <param name="firstSlot">The first slot to move.</param>
    /// <param name="lastSlot">The last slot to move (inclusive).</param>
    /// <param name="target">The member that is to own them.</param>
    /// <param name="timeout">How long to wait for the move (it copies every key of the slots); null: 10 minutes.</param>
    /// <param name="cancellationToken">Stops waiting; the move goes on at the node.</param>
    /// <exception cref="ArgumentException"><paramref name="owner"/> is not a member, or the range is not within 0-16383.</exception>
    /// <exception cref="DhtServerException">The move could not be made and the slots stayed where they were (Aborted, with why), or the request was refused.</exception>
    public async ValueTask<SlotMoveReport> MoveSlotsAsync(ushort owner, int firstSlot, int lastSlot, ushort target, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (firstSlot < 0 || firstSlot > lastSlot || lastSlot >= KeySlot.SlotCount)
            throw new ArgumentException($"slot range {firstSlot}-{lastSlot} is not within 0-{KeySlot.SlotCount - 1}", nameof(lastSlot));
        if (!Volatile.Read(ref _route).TryGet(owner, out var node))
            Throw.UnknownNode(owner);
        if (!node.TryGetOpen(out var connection))
            connection = await node.OpenAsync(_settings, _connections).WaitAsync(cancellationToken).ConfigureAwait(false);
        var wait = timeout ?? TimeSpan.FromMinutes(10);
        var result = await connection.SendMoveSlotsAsync((ushort)firstSlot, (ushort)lastSlot, target, wait, cancellationToken).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, wait, cancellationToken);
        if (!ResponseDecoder.TryReadMoveSlots(result.Payload, out var copied, out var removed, out var copyMs, out var totalMs, out var pausedMs, out var error))
            throw new DhtException($"node {owner}: malformed MoveSlots answer: {error}");
        return new SlotMoveReport(firstSlot, lastSlot, owner, target, (long)copied, 0, (long)removed,
            TimeSpan.FromMilliseconds(copyMs), TimeSpan.FromMilliseconds(pausedMs), TimeSpan.FromMilliseconds(totalMs));
    }

    /// <summary>
    /// Asks member <paramref name="via"/> to take member <paramref name="nodeId"/> out of the cluster (the shell's
    /// <c>cluster remove-node</c>; docs/elasticity.md): gracefully once it owns no slots, or <paramref name="forget"/>
    /// it when it died for good and in-sync replicas hold its slots (they take them over). Answered once the state
    /// without it is committed; returns that state's epoch.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="via"/> is not a member.</exception>
    /// <exception cref="DhtServerException">Refused (Aborted, with why: it still owns slots, it votes, it is <paramref name="via"/> itself) or not committed.</exception>
    public async ValueTask<ulong> RemoveNodeAsync(ushort via, ushort nodeId, bool forget, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!Volatile.Read(ref _route).TryGet(via, out var node))
            Throw.UnknownNode(via);
        if (!node.TryGetOpen(out var connection))
            connection = await node.OpenAsync(_settings, _connections).WaitAsync(cancellationToken).ConfigureAwait(false);
        var wait = _settings.RequestTimeout;
        var result = await connection.SendRemoveNodeAsync(nodeId, forget, wait, cancellationToken).ConfigureAwait(false);
        ClientErrors.ThrowIfFailed(result, connection, wait, cancellationToken);
        if (result.Payload is not { Length: 8 } body)
            throw new DhtException($"node {via}: malformed RemoveNode answer");
        var epoch = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(body);
        await RefreshAsync(Volatile.Read(ref _generation), epoch, cancellationToken).ConfigureAwait(false);
        return epoch;
    }

    /// <summary>Closes every connection; calls still in flight fail with <see cref="DhtNodeUnavailableException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var connection in _connections.CloseAll())
            await connection.CloseAsync().ConfigureAwait(false);
        _refreshGate.Dispose();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<byte[]?> GetCoreAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync(Opcode.Get, key, default, ResponseShape.Value, cancellationToken).ConfigureAwait(false);
        return result.Status == StatusCode.Ok ? result.Payload : null;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PutCoreAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
        await ExecuteAsync(Opcode.Put, key, value, ResponseShape.Status, cancellationToken).ConfigureAwait(false);

    /// <summary>Put or PutIfAbsent with a time to live: the routed path (the pooled fast path carries no time to live).</summary>
    private async ValueTask<ResponseResult> PutExpiringAsync(Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong timeToLiveMs, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync(opcode, key, value, ResponseShape.Status, cancellationToken, timeToLiveMs: timeToLiveMs).ConfigureAwait(false);
        if (result.Status != StatusCode.Ok && !(opcode == Opcode.PutIfAbsent && result.Status == StatusCode.Exists))
            throw new DhtServerException(result.Status, $"unexpected status for {opcode}", Volatile.Read(ref _route).OwnerOf(key.Span).NodeId);
        return result;
    }

    private static ulong ToMilliseconds(TimeSpan timeToLive)
    {
        // Rounded up, so a positive time to live never becomes 0 (which would mean "no expiry").
        var ms = (timeToLive.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (ms < 1 || (ulong)ms > ProtocolConstants.MaxTimeToLiveMs)
            throw new ArgumentOutOfRangeException(nameof(timeToLive), timeToLive, $"a time to live is between 1 ms and {ProtocolConstants.MaxTimeToLiveMs} ms");
        return (ulong)ms;
    }

    /// <summary>A call whose answer is Ok (true) or one expected non-error status (false).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> StatusCallAsync(Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, StatusCode falseStatus, CancellationToken cancellationToken)
    {
        var result = await ExecuteAsync(opcode, key, value, ResponseShape.Status, cancellationToken).ConfigureAwait(false);
        if (result.Status == StatusCode.Ok)
            return true;
        if (result.Status == falseStatus)
            return false;
        throw new DhtServerException(result.Status, $"unexpected status for {opcode}", Volatile.Read(ref _route).OwnerOf(key.Span).NodeId);
    }

    /// <summary>
    /// Routes one key operation to its owner; when a node answers WrongNode from a later cluster state than the one
    /// the call was routed by, or ShuttingDown (it is stopping and ran nothing), or the owner cannot be reached (or, for a
    /// read, answers NodeUnavailable or loses the connection), refreshes the table and retries once at the (new) owner. With <c>retry</c> set, this call
    /// is already that one retry (the fast path's attempt got the WrongNode).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ResponseResult> ExecuteAsync(Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ResponseShape shape, CancellationToken cancellationToken, bool retry = false, ulong timeToLiveMs = 0)
    {
        if ((uint)(key.Length - 1) >= ushort.MaxValue)
            Throw.KeyLength(key.Length);
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        var waits = 0;
        for (var attempt = retry ? 1 : 0; ; attempt++)
        {
            var generation = Volatile.Read(ref _generation);
            var route = Volatile.Read(ref _route);
            var node = route.OwnerOf(key.Span);
            if (!node.TryGetOpen(out var connection))
            {
                try
                {
                    connection = await OpenAsync(node, cancellationToken).ConfigureAwait(false);
                }
                catch (DhtException e) when (attempt == 0 && e is DhtNodeUnavailableException or DhtTimeoutException)
                {
                    // The owner cannot be reached, or accepted the connection but never answered its Hello (frozen, or
                    // cut off: found by the fault tests). Nothing was sent, so any request may go again: after a
                    // failover another member knows a later state naming the new owner. Refresh, then route again once.
                    await RefreshAsync(generation, route.Epoch + 1, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (attempt == 0 && connection.Epoch > route.Epoch)
                {
                    // The node knows a later cluster state than ours: refresh, then route again.
                    await RefreshAsync(generation, connection.Epoch, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            connection.CheckFits(opcode, key.Length, value.Length, timeToLiveMs);
            var result = await connection.SendAsync(opcode, key, value, shape, cancellationToken, timeToLiveMs).ConfigureAwait(false);
            if (result.Status == StatusCode.WrongNode && attempt == 0 && IsNewerState(result.Epoch, route.Epoch))
            {
                await RefreshAsync(generation, result.Epoch, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (IsTransientlyMisrouted(result) && waits < MaxMovingWaits)
            {
                await WaitWhileMovingAsync(waits++, result, generation, cancellationToken).ConfigureAwait(false);
                attempt = 0; // a later WrongNode from a newer state may refresh again
                continue;
            }
            if (result.Status == StatusCode.ShuttingDown && attempt == 0)
            {
                // The node is stopping and did not run the request (docs/protocol.md §3), or this connection was retired
                // for that and the request never left: send nothing more there, and retry once where the refreshed table
                // says, a write too (nothing was applied).
                connection.Retire();
                await RefreshAsync(generation, route.Epoch + 1, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (result.Status == StatusCode.NodeUnavailable && attempt == 0 && opcode == Opcode.Get)
            {
                // A read is idempotent: retried once after a refresh (its owner may have failed over). A write whose
                // answer was lost is in doubt and surfaces as the error.
                await RefreshAsync(generation, route.Epoch + 1, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (MayHaveFailedOver(result))
                RefreshInBackground();
            if (opcode == Opcode.Get)
                ClientErrors.ThrowIfFailed(result, connection, _settings.RequestTimeout, cancellationToken);
            else
                ClientErrors.ThrowIfWriteFailed(result, connection, _settings.RequestTimeout, cancellationToken);
            return result;
        }
    }

    /// <summary>
    /// Whether a WrongNode answer names a later state than the call was routed by (epoch 0: the node did not say, so
    /// assume it). An answer from an equal or older state means the answering node is behind: a refresh would not
    /// help, and the error is the caller's.
    /// </summary>
    internal static bool IsNewerState(ulong answeredEpoch, ulong routedEpoch) => answeredEpoch == 0 || answeredEpoch > routedEpoch;

    /// <summary>
    /// The server's schedule (<see cref="HandoverRetry"/>: eight waits of 1 ms, then 2, 4 ... 32 ms, about 2 s in all): a
    /// slot's handover refuses writes for a few milliseconds, and the state that ends it reaches every node within a
    /// round trip or two; on a loaded machine its commit (a Raft round) can take hundreds of milliseconds, which must
    /// not fail a call.
    /// </summary>
    private const int MaxMovingWaits = HandoverRetry.Attempts;

    /// <summary>
    /// Whether an answer says the key is between two owners for a moment (docs/elasticity.md): Moving (its slot is
    /// being handed over), or WrongNode from a node whose state is not newer than the one the call was routed by (a
    /// node that has not installed the latest state yet). Both are retried after a short wait.
    /// </summary>
    internal static bool IsTransientlyMisrouted(in ResponseResult result) =>
        result.Status == StatusCode.Moving || (result.Status == StatusCode.WrongNode && result.Epoch != 0);

    /// <summary>Waits before retrying a transiently misrouted call, refreshing the table after a WrongNode; counted in <see cref="MovingRetries"/>.</summary>
    private async Task WaitWhileMovingAsync(int waits, ResponseResult result, int generation, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _movingRetries);
        await Task.Delay(HandoverRetry.DelayMs(waits), cancellationToken).ConfigureAwait(false);
        if (result.Status == StatusCode.WrongNode)
            await RefreshAsync(generation, 0, cancellationToken).ConfigureAwait(false);
    }

    private long _movingRetries;

    /// <summary>Calls retried because their key's slot was moving between nodes (Moving, or a node not yet at the latest state): retried, never failed.</summary>
    public long MovingRetries => Interlocked.Read(ref _movingRetries);

    /// <summary>The fast path's one retry: its call met WrongNode from a later state, or a moving slot (<paramref name="answeredEpoch"/> max: no refresh), off the read loop (rare).</summary>
    internal async Task<ResponseResult> RetryAfterWrongNodeAsync(Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ResponseShape shape, ulong answeredEpoch, int generation)
    {
        if (answeredEpoch != ulong.MaxValue)
            await RefreshAsync(generation, answeredEpoch, CancellationToken.None).ConfigureAwait(false);
        return await ExecuteAsync(opcode, key, value, shape, CancellationToken.None, retry: true).ConfigureAwait(false);
    }

    /// <summary>
    /// The fast path's routing: the owner's connection when it is open and knew no later state than ours at its
    /// handshake (the epoch a connection reports is fixed at its Hello, so once our table has caught up the test
    /// holds for good); the async path handles everything else (dialing, refreshing, key checks with exceptions,
    /// cancellation, a busy writer lock).
    /// </summary>
    private bool TryFastRoute(ReadOnlyMemory<byte> key, out ClientConnection connection, out ulong epoch, out int generation)
    {
        connection = null!;
        epoch = 0;
        // Read before the table: a refresh after this read counts as newer than the table the call routes by.
        generation = Volatile.Read(ref _generation);
        if ((uint)(key.Length - 1) >= ushort.MaxValue || Volatile.Read(ref _disposed) != 0)
            return false;
        var route = Volatile.Read(ref _route);
        epoch = route.Epoch;
        return route.OwnerOf(key.Span).TryGetOpen(out connection) && connection.Epoch <= epoch;
    }

    /// <summary>Whether the client was disposed: a call that lost its connection to that is not retried.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The client's open connections, and how many of them FastDht's epoll engine serves (tests).</summary>
    internal (int Open, int OnEpoll) ConnectionEngines => _connections.CountEngines();

    /// <summary>The request timeout, for errors raised on the fast path.</summary>
    internal TimeSpan RequestTimeout => _settings.RequestTimeout;

    /// <summary>The refresh generation now, for a fast-path retry that cannot name an epoch.</summary>
    internal int Generation => Volatile.Read(ref _generation);

    private static byte[] Utf8(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encoding.UTF8.GetBytes(text);
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
            Throw.Disposed();
    }

    private void Sweep() => _connections.SweepExpired(Environment.TickCount64, ClientSettings.TimeoutMessage, _settings.RequestTimeout, _settings.KeepAliveInterval);
}
