using System.Net.Sockets;

namespace FastDht.Engine.Transport.Internal;

/// <summary>Sorts socket errors into the routine (the peer went away, or we closed) and the unexpected.</summary>
internal static class SocketErrors
{
    /// <summary>The peer reset or vanished: routine on a network, logged at debug.</summary>
    public static bool IsReset(SocketError error) =>
        error is SocketError.ConnectionReset
            or SocketError.ConnectionAborted
            or SocketError.Shutdown
            or SocketError.NetworkReset
            or SocketError.Disconnecting;

    /// <summary>Our own close interrupted the operation: not an error at all.</summary>
    public static bool IsLocalAbort(SocketError error) =>
        error is SocketError.OperationAborted
            or SocketError.Interrupted
            or SocketError.NotSocket;
}
