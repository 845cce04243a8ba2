using System.Net;
using Microsoft.Extensions.Logging;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The mesh's log lines: source-generated, fixed event ids (those of the node's log they came from), nothing formatted unless the level is enabled.</summary>
internal static partial class MeshLog
{
    [LoggerMessage(2, LogLevel.Information, "Peer {PeerId} ({Address}) is up")]
    public static partial void PeerUp(ILogger logger, ushort peerId, string address);

    [LoggerMessage(3, LogLevel.Warning, "Peer {PeerId} ({Address}) is down: {Reason}")]
    public static partial void PeerDown(ILogger logger, ushort peerId, string address, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Closed connection from {Remote}: {Reason}")]
    public static partial void BadInput(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(6, LogLevel.Debug, "Dialing peer {PeerId} ({Address}) failed: {Reason}")]
    public static partial void DialFailed(ILogger logger, ushort peerId, string address, string reason);

    [LoggerMessage(7, LogLevel.Error, "Peer {PeerId} ({Address}) refused this node: {Reason}")]
    public static partial void RefusedByPeer(ILogger logger, ushort peerId, string address, string reason);

    [LoggerMessage(10, LogLevel.Error, "Connection from {Remote} failed unexpectedly")]
    public static partial void SessionFailed(ILogger logger, EndPoint? remote, Exception exception);

    [LoggerMessage(11, LogLevel.Debug, "Link to peer {PeerId}: {What}")]
    public static partial void LinkChange(ILogger logger, ushort peerId, string what);

    [LoggerMessage(12, LogLevel.Information, "Peer {PeerId} ({Address}) left the cluster at epoch {Epoch}: its link is closed")]
    public static partial void PeerRemoved(ILogger logger, ushort peerId, string address, ulong epoch);

    [LoggerMessage(19, LogLevel.Information, "Peer {PeerId}: a heartbeat was not answered within {TimeoutMs} ms while its link carried other bytes: the answer waits behind them")]
    public static partial void HeartbeatLate(ILogger logger, ushort peerId, double timeoutMs);
}
