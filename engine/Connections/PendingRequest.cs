using System.Buffers;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>
/// A request sent on a connection and not yet answered: completed exactly once, by its response, by its timeout,
/// or by the connection failing — whichever removes it from the <see cref="RequestMultiplexer"/> first.
/// </summary>
/// <remarks>
/// Subclasses are pooled: the smart client's awaitable completion, a forwarded request that relays its answer to
/// the origin session, a transaction participant call. <see cref="OnResponse"/> runs on the connection's read loop
/// with the body still in the receive pipe, so it must copy what it keeps and must not block.
/// </remarks>
internal abstract class PendingRequest
{
    /// <summary>When the request times out, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    internal long DeadlineTicks;

    /// <summary>Which node the request went to; used in failure messages.</summary>
    internal ushort TargetNodeId;

    /// <summary>
    /// A client's command sent on to the key's owner (a forward), registered with its frame written at once: once its
    /// connection is lost, or its time is up, its outcome is unknown (the owner may have read and applied it), so it
    /// fails as <see cref="StatusCode.Timeout"/> (RESP <c>-TIMEOUT</c>), never as unavailable (<c>-CLUSTERDOWN</c>,
    /// which cluster clients retry: a non-idempotent write applied twice). Set by <see cref="RequestMultiplexer.TryRegister"/>, or by
    /// <see cref="FrameSession.CallAsync{TRequest}"/> once the frame is written; read by the thread that fails the request.
    /// </summary>
    internal bool InDoubtIfLost;

    /// <summary>The response arrived. <paramref name="body"/> is valid only during the call.</summary>
    public abstract void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body);

    /// <summary>The request failed without a response (timeout, connection lost, shutting down).</summary>
    public abstract void OnFailure(StatusCode status, string message);
}
