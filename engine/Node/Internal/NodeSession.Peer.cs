using System.Runtime.CompilerServices;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.Node.Internal;

/// <summary>The peer-link side of a session: who is at the other end, the dialer's handshake, heartbeats, retirement.</summary>
internal sealed partial class NodeSession
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _retired;

    /// <summary>The peer's node id (a peer link only).</summary>
    public ushort PeerId { get; private set; }

    /// <summary>When the peer's process started, from its Hello.</summary>
    public ulong PeerIncarnation { get; private set; }

    /// <summary>Which of the two nodes dialed this link; the tie-break between two links to one peer.</summary>
    public ushort DialerId { get; private set; }

    /// <summary>Completes when the session has closed and released everything.</summary>
    public Task Completion => _closed.Task;

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    private static readonly TimeSpan RetireGrace = TimeSpan.FromSeconds(1);

    public bool IsOpen => !Connection.IsClosed && !_closed.Task.IsCompleted;

    /// <summary>Dialer side: sends Hello as a node and waits for the peer's answer; null on success, else why not.</summary>
    public async Task<string?> DialHandshakeAsync(TimeSpan timeout)
    {
        var hello = new NodeHelloRequest(_core, (uint)ReceiveLimits.MaxFrameSize);
        var result = await CallAsync(hello, ResponseShape.Body, timeout, PeerId).ConfigureAwait(false);
        if (result.IsError)
            return result.ErrorMessage ?? result.Status.ToString();
        return CheckHelloResponse(result.Payload);
    }

    private string? CheckHelloResponse(byte[]? body)
    {
        if (body is null || !ResponseDecoder.TryReadHello(body, out var hello, out var error))
            return "malformed Hello response";
        if (hello.ProtocolVersion != ProtocolConstants.Version)
            return $"the peer speaks protocol version {hello.ProtocolVersion}, this node {ProtocolConstants.Version}";
        if (hello.GetClusterName() != _core.Options.ClusterName)
            return $"the peer is in cluster '{hello.GetClusterName()}', this node in '{_core.Options.ClusterName}'";
        if (hello.NodeId != PeerId)
            return $"the peer at {_core.Mesh.AddressOf(PeerId)} says it is node {hello.NodeId}, but the member list says node {PeerId}";
        var identity = _core.CheckPeerIdentity(hello.NodeId, hello.MembersDigest, hello.GetLockStrategy());
        if (identity is not null)
            return identity;
        PeerIncarnation = hello.Incarnation;
        SendLimit = (int)Math.Min(hello.MaxFrameSize, int.MaxValue);
        return null;
    }

    /// <summary>Dialer side: the handshake succeeded; the session now serves as a peer link.</summary>
    public void BecomePeer() => _role = SessionRole.Peer;

    /// <summary>Stops using a link that lost the tie-break: closes it once nothing is pending on it.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
            _ = RetireAsync();
    }

    private async Task RetireAsync()
    {
        // The other side retires the same link by the same rule, but may adopt the winner a moment later than this
        // side did; until then it still uses this link. A grace period of one second (many loopback or LAN round
        // trips, well under any client timeout) lets it switch before this link closes, then pending work drains.
        try
        {
            await Task.Delay(RetireGrace, _core.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        var deadline = Environment.TickCount64 + (long)_core.Options.ForwardTimeout.TotalMilliseconds;
        while (Requests.Count > 0 && Environment.TickCount64 < deadline)
            await Task.Delay(5).ConfigureAwait(false);
        Connection.Abort(new InvalidOperationException("duplicate link retired"));
    }

    /// <summary>Pings the peer every heartbeat interval; a missed answer closes the link, which the mesh then redials.</summary>
    public async Task RunHeartbeatsAsync()
    {
        var interval = _core.Options.HeartbeatInterval;
        var timeout = _core.Options.PeerTimeout;
        try
        {
            while (IsOpen && !_core.IsStopping)
            {
                await Task.Delay(interval, _core.Stopping).ConfigureAwait(false);
                if (!IsOpen)
                    return;
                var result = await CallAsync(new PingRequest(default), ResponseShape.Status, timeout, PeerId).ConfigureAwait(false);
                if (result.Status == StatusCode.Timeout)
                {
                    Connection.Abort(new TimeoutException($"no heartbeat answer within {timeout.TotalMilliseconds:0} ms"));
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string PeerLinkLostMessage() =>
        _role is SessionRole.Peer or SessionRole.Dialing
            ? $"{_core.Mesh.Describe(PeerId)} is unavailable: its link closed"
            : "connection closed";
}
