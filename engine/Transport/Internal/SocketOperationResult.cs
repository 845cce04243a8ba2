using System.Net.Sockets;

namespace FastDht.Engine.Transport.Internal;

/// <summary>The outcome of one socket operation: bytes moved, or the socket error, never an exception.</summary>
/// <remarks>
/// Resets and aborts are routine on a network; reporting them as a value keeps the loops free of
/// exception throwing and catching on every disconnect.
/// </remarks>
internal readonly struct SocketOperationResult
{
    public SocketOperationResult(int bytesTransferred, SocketError error)
    {
        BytesTransferred = bytesTransferred;
        Error = error;
    }

    /// <summary>Bytes sent or received; 0 on a receive means the peer closed its side (FIN).</summary>
    public int BytesTransferred { get; }

    public SocketError Error { get; }

    public bool IsSuccess => Error == SocketError.Success;
}
