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

    /// <summary>The response arrived. <paramref name="body"/> is valid only during the call.</summary>
    public abstract void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body);

    /// <summary>The request failed without a response (timeout, connection lost, shutting down).</summary>
    public abstract void OnFailure(StatusCode status, string message);
}
