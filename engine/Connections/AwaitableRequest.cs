using System.Buffers;
using System.Threading.Tasks.Sources;
using FastDht.Protocol;
using Microsoft.Extensions.ObjectPool;

namespace FastDht.Engine.Connections;

/// <summary>
/// A pooled request completion that a caller awaits as a <see cref="ValueTask{TResult}"/>: no Task, no
/// TaskCompletionSource and no closure per request.
/// </summary>
/// <remarks>
/// The object goes back to its pool inside <see cref="GetResult"/>, so the ValueTask must be awaited exactly once
/// (the ValueTask rule). Continuations run on the thread pool by default, so application code never runs on (and
/// never stalls) the connection's read loop; a caller that only re-issues requests, like the load generator, can
/// ask for inline continuations and save the hop.
/// </remarks>
internal sealed class AwaitableRequest : PendingRequest, IValueTaskSource<ResponseResult>
{
    // 4096: enough for thousands of requests in flight across a client's connections without falling back to
    // allocation; each idle object is ~100 bytes.
    private static readonly ObjectPool<AwaitableRequest> Pool =
        new DefaultObjectPool<AwaitableRequest>(new DefaultPooledObjectPolicy<AwaitableRequest>(), 4096);

    private ManualResetValueTaskSourceCore<ResponseResult> _core;
    private ResponseShape _shape;

    public static AwaitableRequest Rent(ResponseShape shape, bool inlineContinuations)
    {
        var request = Pool.Get();
        request._shape = shape;
        request._core.RunContinuationsAsynchronously = !inlineContinuations;
        return request;
    }

    public ValueTask<ResponseResult> AsValueTask() => new(this, _core.Version);

    public override void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body) =>
        _core.SetResult(ResponseResult.From(header, body, _shape));

    public override void OnFailure(StatusCode status, string message) =>
        _core.SetResult(new ResponseResult(status, null, message));

    public ResponseResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Pool.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
