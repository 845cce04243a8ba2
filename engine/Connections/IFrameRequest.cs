using System.Buffers;

namespace FastDht.Engine.Connections;

/// <summary>
/// Writes one request frame with a given request id. Implemented by small structs (one per request kind), so
/// <see cref="FrameSession.CallAsync{TRequest}"/> sends any request without a closure or a boxed argument.
/// </summary>
internal interface IFrameRequest
{
    /// <summary>The frame's size on the wire, checked against the peer's maximum before anything is written.</summary>
    int FrameLength { get; }

    void Write(IBufferWriter<byte> writer, uint requestId);
}
