using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;
using Microsoft.Extensions.ObjectPool;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// A request this node forwarded to the key's owner on behalf of a client session: when the owner answers, the
/// answer is relayed to that session under the session's request id. Pooled: nothing is allocated per forward.
/// </summary>
internal sealed class ForwardRequest : PendingRequest
{
    // 4096: the forwards in flight on a busy node; beyond that the pool allocates and drops extras.
    private static readonly ObjectPool<ForwardRequest> Pool =
        new DefaultObjectPool<ForwardRequest>(new DefaultPooledObjectPolicy<ForwardRequest>(), 4096);

    private ClientSession? _origin;
    private uint _originRequestId;
    private Opcode _opcode;
    private long _started;
    private FrameHeader _header;
    private byte[]? _kept;
    private int _keptLength;
    private int _attempt;

    /// <summary>Takes a forward from the pool; the origin owes its client one more answer until this one completes. <paramref name="started"/>: when the client's request was read (Stopwatch ticks), for its latency.</summary>
    public static ForwardRequest Rent(ClientSession origin, uint originRequestId, Opcode opcode, ushort target, long started)
    {
        var request = Pool.Get();
        request._started = started;
        request._origin = origin;
        request._originRequestId = originRequestId;
        request._opcode = opcode;
        request.TargetNodeId = target;
        origin.AnswerOwed();
        origin.ForwardSent();
        return request;
    }

    /// <summary>Keeps a pooled copy of the request, to send it again on WrongNode or Moving (a key whose slot moves); <paramref name="attempt"/> counts the sends before.</summary>
    public void Keep(in Frame frame, int attempt)
    {
        _header = frame.Header;
        _keptLength = (int)frame.Body.Length;
        _kept = ArrayPool<byte>.Shared.Rent(Math.Max(1, _keptLength));
        frame.Body.CopyTo(_kept);
        _attempt = attempt;
    }

    public override void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (_kept is { } kept && header.Status is StatusCode.WrongNode or StatusCode.Moving)
        {
            var (request, length, attempt) = (_header, _keptLength, _attempt);
            _kept = null;
            var (owner, _, begun) = Recycle();
            // The answer stays owed; the forward in flight is the new one, if the request is sent again.
            owner.ForwardEnded();
            _ = owner.ReforwardAsync(request, kept, length, attempt, begun);
            return;
        }
        var (origin, id, started) = Recycle();
        origin.Relay(id, header, body);
        origin.AnsweredLater(header.Opcode, header.Status, started);
    }

    public override void OnFailure(StatusCode status, string message)
    {
        var opcode = _opcode;
        var (origin, id, started) = Recycle();
        origin.RelayError(id, opcode, status, message);
        origin.AnsweredLater(opcode, status, started);
    }

    private (ClientSession Origin, uint Id, long Started) Recycle()
    {
        var result = (_origin!, _originRequestId, _started);
        _origin = null;
        if (_kept is { } kept)
        {
            _kept = null;
            ArrayPool<byte>.Shared.Return(kept);
        }
        Pool.Return(this);
        return result;
    }
}
