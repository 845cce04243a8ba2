using System.Buffers;
using FastDht.Protocol;

namespace FastDht.Engine.Connections.Requests;

// One small struct per request kind, for FrameSession.CallAsync: each knows its size and writes its frame.
// Sizes: 12-byte header + body as docs/protocol.md lays it out (key = u16 + bytes, value = u32 + bytes).

/// <summary>Get: key.</summary>
internal readonly struct GetRequest(ReadOnlyMemory<byte> key) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 2 + key.Length;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteGet(writer, requestId, key.Span);
}

/// <summary>Put (upsert) or PutIfAbsent: key, value.</summary>
internal readonly struct PutRequest(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, bool ifAbsent) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 2 + key.Length + 4 + value.Length;

    public void Write(IBufferWriter<byte> writer, uint requestId)
    {
        if (ifAbsent)
            FrameWriter.WritePutIfAbsent(writer, requestId, key.Span, value.Span);
        else
            FrameWriter.WritePut(writer, requestId, key.Span, value.Span);
    }
}

/// <summary>Delete: key.</summary>
internal readonly struct DeleteRequest(ReadOnlyMemory<byte> key) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 2 + key.Length;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteDelete(writer, requestId, key.Span);
}

/// <summary>Ping with an opaque payload (may be empty).</summary>
internal readonly struct PingRequest(ReadOnlyMemory<byte> payload) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + payload.Length;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WritePing(writer, requestId, payload.Span);
}

/// <summary>The Hello an application client sends: role client, no node id, no lock strategy.</summary>
internal readonly struct ClientHelloRequest(string clusterName, uint maxFrameSize) : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize + 2 + 1 + 2 + 2 + System.Text.Encoding.UTF8.GetByteCount(clusterName) + 2 + 4 + 8 + 8;

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteHello(writer, requestId, NodeRole.Client, ProtocolConstants.ClientNodeId, clusterName, "", maxFrameSize);
}

/// <summary>ClusterInfo.</summary>
internal readonly struct ClusterInfoRequest : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteClusterInfo(writer, requestId);
}

/// <summary>NodeInfo: the peer's enabled listeners.</summary>
internal readonly struct NodeInfoRequest : IFrameRequest
{
    public int FrameLength => ProtocolConstants.HeaderSize;

    public void Write(IBufferWriter<byte> writer, uint requestId) => FrameWriter.WriteNodeInfo(writer, requestId);
}
