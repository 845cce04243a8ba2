using System.Buffers;
using System.Threading.Tasks.Sources;
using FastDht.Engine.Connections;
using FastDht.Protocol;
using Microsoft.Extensions.ObjectPool;

namespace FastDht.Engine.Client.Internal;

/// <summary>
/// A single-key call on the client's fast path: the pending request itself is the source of the caller's
/// ValueTask, and turns the answer into the caller's result (value, true/false, or an exception) in GetResult.
/// </summary>
/// <remarks>
/// With no async method between the caller and the read loop there is no state machine to box, so a call allocates
/// nothing however many are in flight (pooled async state machines overflow their per-thread cache once many calls of
/// one kind are pending). The object returns to its pool inside GetResult: await it exactly once.
/// </remarks>
internal sealed class ClientCall : PendingRequest, IValueTaskSource<byte[]?>, IValueTaskSource<bool>, IValueTaskSource
{
    // 4096: the calls in flight on a busy client; beyond that the pool allocates and drops extras.
    private static readonly ObjectPool<ClientCall> Pool =
        new DefaultObjectPool<ClientCall>(new DefaultPooledObjectPolicy<ClientCall>(), 4096);

    private ManualResetValueTaskSourceCore<ResponseResult> _core;
    private ResponseShape _shape;
    private StatusCode _falseStatus;
    private ClientConnection? _connection;
    private DhtClient? _client;
    private Opcode _opcode;
    private ReadOnlyMemory<byte> _key;
    private ReadOnlyMemory<byte> _value;
    private ulong _routedEpoch;
    private int _routedGeneration;

    /// <summary>
    /// A call for <paramref name="key"/> (and <paramref name="value"/>), routed by the table of <paramref name="routedEpoch"/>,
    /// read at refresh generation <paramref name="routedGeneration"/>; kept for the one retry (after WrongNode, ShuttingDown, or a read's lost connection).
    /// </summary>
    public static ClientCall Rent(
        DhtClient client, ClientConnection connection, Opcode opcode, ResponseShape shape, StatusCode falseStatus, bool inlineContinuations,
        ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong routedEpoch, int routedGeneration)
    {
        var call = Pool.Get();
        call._client = client;
        call._key = key;
        call._value = value;
        call._routedEpoch = routedEpoch;
        call._routedGeneration = routedGeneration;
        call._connection = connection;
        call._opcode = opcode;
        call._shape = shape;
        call._falseStatus = falseStatus;
        call.TargetNodeId = connection.NodeId;
        call._core.RunContinuationsAsynchronously = !inlineContinuations;
        return call;
    }

    /// <summary>Gives back a call that was never sent.</summary>
    public void Return()
    {
        _connection = null;
        _client = null;
        _routedGeneration = 0;
        _key = default;
        _value = default;
        _core.Reset();
        Pool.Return(this);
    }

    public ValueTask<byte[]?> AsValueTask() => new(this, _core.Version);

    public ValueTask<bool> AsBooleanTask() => new(this, _core.Version);

    public ValueTask AsTask() => new(this, _core.Version);

    public override void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        var result = ResponseResult.From(header, body, _shape);
        if (result.Status == StatusCode.WrongNode && DhtClient.IsNewerState(result.Epoch, _routedEpoch))
        {
            // The owner moved in a later cluster state: refresh and retry once, off the read loop (which must not wait).
            using (ExecutionContext.SuppressFlow())
                _ = RetryAsync(result.Epoch);
            return;
        }
        if (result.Status == StatusCode.ShuttingDown)
        {
            // The node is stopping and did not run the request (docs/protocol.md §3): send nothing more to it, and run
            // the call again where the refreshed table says, writes too (nothing was applied), off the read loop.
            _connection!.Retire();
            using (ExecutionContext.SuppressFlow())
                _ = RetryAsync(_routedEpoch + 1);
            return;
        }
        if (DhtClient.IsTransientlyMisrouted(result))
        {
            // A slot being handed over (Moving), or a node that has not installed the state yet: the async path waits
            // a little and retries (DhtClient.ExecuteAsync), off the read loop.
            using (ExecutionContext.SuppressFlow())
                _ = RetryAsync(answeredEpoch: ulong.MaxValue);
            return;
        }
        if (DhtClient.MayHaveFailedOver(result))
            _client!.RefreshInBackground();
        _core.SetResult(result);
    }

    /// <summary>
    /// Runs the one retry on the client's async path and completes this call with its outcome: first a refresh to at
    /// least <paramref name="answeredEpoch"/> (0: unless one ran since the call was routed; max: none).
    /// </summary>
    private async Task RetryAsync(ulong answeredEpoch)
    {
        var client = _client!;
        try
        {
            var retried = client.RetryAfterWrongNodeAsync(_opcode, _key, _value, _shape, answeredEpoch, _routedGeneration);
            _core.SetResult(await retried.ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong goes to the caller: a call that is never completed would hang its awaiter.
            _core.SetException(e);
        }
    }

    public override void OnFailure(StatusCode status, string message)
    {
        if (status == StatusCode.NodeUnavailable && _opcode == Opcode.Get && !_client!.IsDisposed)
        {
            // A read is idempotent: like the async path, one retry after a refresh (the connection was lost, its node
            // may have stopped or failed over). A write whose answer was lost stays in doubt and surfaces as it is.
            // One refresh for all the reads the connection took with it (epoch 0: unless one ran since they were routed),
            // not one each: with no newer state to find, each would ask every member, dialing the lost one again.
            using (ExecutionContext.SuppressFlow())
                _ = RetryAsync(answeredEpoch: 0);
            return;
        }
        var result = new ResponseResult(status, null, message);
        if (DhtClient.MayHaveFailedOver(result))
            _client!.RefreshInBackground();
        _core.SetResult(result);
    }

    byte[]? IValueTaskSource<byte[]?>.GetResult(short token)
    {
        var result = Finish(token);
        return result.Status == StatusCode.Ok ? result.Payload : null;
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        var opcode = _opcode;
        var connection = _connection!;
        var falseStatus = _falseStatus;
        var result = Finish(token);
        if (result.Status == StatusCode.Ok)
            return true;
        if (result.Status == falseStatus)
            return false;
        throw new DhtServerException(result.Status, $"unexpected status for {opcode}", connection.NodeId);
    }

    void IValueTaskSource.GetResult(short token) => Finish(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Takes the result, recycles this object, and throws the client's exception for an error status.</summary>
    private ResponseResult Finish(short token)
    {
        var opcode = _opcode;
        var connection = _connection!;
        var client = _client!;
        ResponseResult result;
        try
        {
            result = _core.GetResult(token);
        }
        finally
        {
            Return();
        }
        if (result.IsError && opcode == Opcode.Get)
            ClientErrors.ThrowIfFailed(result, connection, client.RequestTimeout, default);
        else if (result.IsError)
            ClientErrors.ThrowIfWriteFailed(result, connection, client.RequestTimeout, default);
        return result;
    }
}
