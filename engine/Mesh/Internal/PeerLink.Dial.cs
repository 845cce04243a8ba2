using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The life of a link: the dialer's handshake, heartbeats, retirement after a lost tie-break.</summary>
internal sealed partial class PeerLink
{
    /// <summary>How long a retired link stays open before it begins to drain (the peer may adopt the winner a moment later).</summary>
    internal static readonly TimeSpan RetireGrace = TimeSpan.FromSeconds(1);

    private int _retired;

    // Requests read from the peer whose answers are written off the read loop and are not written yet (a lock wait, a
    // proposal's commit, a write waiting for replicas): a retired link must not close under them.
    private int _serving;

    /// <summary>Requests of the peer this link has read and still owes an answer written off the read loop.</summary>
    internal int Serving => Volatile.Read(ref _serving);

    /// <summary>A request of the peer will be answered off the read loop: counted until <see cref="EndServing"/>.</summary>
    private void BeginServing() => Interlocked.Increment(ref _serving);

    /// <summary>The answer counted by <see cref="BeginServing"/> is written (or dropped with a closed connection).</summary>
    private void EndServing() => Interlocked.Decrement(ref _serving);

    /// <summary>Writes an answer owed off the read loop and completes once it is in the output (or dropped with a closed connection).</summary>
    private Task SendOwedAsync<TReply>(TReply reply)
        where TReply : struct, IReply =>
        TrySendNow(reply) ? Task.CompletedTask : SendLaterAsync(reply);

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Dialer side: sends Hello as a node and waits for the peer's answer; null on success, else why not.</summary>
    public async Task<LinkRefusal?> DialHandshakeAsync(TimeSpan timeout)
    {
        var result = await CallAsync(new PeerHelloRequest(_mesh.Identity), ResponseShape.Body, timeout, PeerId).ConfigureAwait(false);
        if (result.IsError)
            return new LinkRefusal(LinkRefusal.KindOf(result.Status), result.ErrorMessage ?? result.Status.ToString());
        if (result.Payload is not { } body || !ResponseDecoder.TryReadHello(body, out var hello, out _))
            return new LinkRefusal(LinkRefusalKind.Refused, "malformed Hello response");
        if (_mesh.Identity.CheckHelloResponse(hello, PeerId, _mesh.AddressOf(PeerId)) is { } refusal)
            return new LinkRefusal(LinkRefusalKind.Refused, refusal);
        PeerIncarnation = hello.Incarnation;
        SendLimit = (int)Math.Min(hello.MaxFrameSize, int.MaxValue);
        return await ProveSecretAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>
    /// Dialer side of the cluster-secret challenge-response (docs/protocol.md section 3.1): sends a fresh nonce,
    /// checks the peer's proof over both nonces before trusting it with anything, then proves the secret in turn.
    /// </summary>
    private async Task<LinkRefusal?> ProveSecretAsync(TimeSpan timeout)
    {
        var identity = _mesh.Identity;
        if (identity.Secret is not { } secret)
            return new LinkRefusal(LinkRefusalKind.Refused, "this node has no cluster secret: it dials no peers (docs/security.md)");
        var nonce = Security.Internal.PeerProof.NewNonce();
        var result = await CallAsync(new PeerAuthRequest(AuthMechanism.PeerChallenge, nonce), ResponseShape.Body, timeout, PeerId).ConfigureAwait(false);
        if (result.IsError)
            return new LinkRefusal(LinkRefusal.KindOf(result.Status), result.ErrorMessage ?? result.Status.ToString());
        if (result.Payload is not { } body || !AuthFrames.TryReadChallengeResponse(body, out var peerNonce, out var peerProof))
            return new LinkRefusal(LinkRefusalKind.Refused, "malformed answer to the cluster-secret challenge");
        var proof = new byte[AuthFrames.ProofSize];
        Security.Internal.PeerProof.Acceptor(secret, identity.ClusterName, identity.SelfId, PeerId, nonce, peerNonce, proof);
        if (!Security.Internal.PeerProof.Equal(proof, peerProof))
            return new LinkRefusal(LinkRefusalKind.Refused, $"{_mesh.Describe(PeerId)} does not know the cluster secret: it was given a different one");
        Security.Internal.PeerProof.Dialer(secret, identity.ClusterName, identity.SelfId, PeerId, nonce, peerNonce, proof);
        result = await CallAsync(new PeerAuthRequest(AuthMechanism.PeerProof, proof), ResponseShape.Status, timeout, PeerId).ConfigureAwait(false);
        return result.IsError ? new LinkRefusal(LinkRefusal.KindOf(result.Status), result.ErrorMessage ?? result.Status.ToString()) : null;
    }

    /// <summary>Dialer side: the handshake succeeded; the link now serves.</summary>
    public void BecomeUp() => IsUp = true;

    /// <summary>Stops using a link that lost the tie-break: closes it once nothing is pending on it, either way.</summary>
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
            await Task.Delay(RetireGrace, _mesh.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // Pending work is both ways: this side's requests, and the peer's requests this side still answers (a TxnLock
        // waiting for a lock, a write waiting for replicas) until their answers are sent. Closing once only this side's
        // own were answered cut the peer's forwards, in doubt. Both are bounded by the forward timeout, as a forward is.
        var deadline = Environment.TickCount64 + (long)_mesh.Settings.ForwardTimeout.TotalMilliseconds;
        while ((Requests.Count > 0 || Serving > 0 || Connection.UnsentOutput > 0) && Environment.TickCount64 < deadline && !Connection.IsClosed)
            await Task.Delay(5).ConfigureAwait(false);
        Connection.Abort(new InvalidOperationException("duplicate link retired"));
    }

    /// <summary>
    /// Pings the peer at once and then every heartbeat interval; a link on which nothing arrives from the peer for the
    /// peer timeout is closed, and the mesh then redials. A Loading answer is an answer (the peer is alive) and marks the
    /// peer as loading until one is Ok.
    /// </summary>
    /// <remarks>
    /// What proves the peer alive is bytes arriving from it, not the answer to one ping: a ping's answer is queued behind
    /// whatever the peer sent first, and a large value takes the link for as long as its bytes take (one stream cannot
    /// put a small frame ahead of them). Waiting for each answer closed such a link after the peer timeout, declaring a
    /// healthy node down and failing every forward on it, the value included (docs/known-issues.md). So a ping goes out
    /// every interval whether or not the last was answered (at most timeout/interval + 1 in flight, each failing alone
    /// at the timeout): the peer always has something to answer, and receives something from this node every interval,
    /// so its own check of this link holds while this node's answers wait behind bulk it sends. A frozen or dead peer
    /// sends nothing and is found within the timeout plus an interval, as before.
    /// </remarks>
    public async Task RunHeartbeatsAsync()
    {
        var interval = _mesh.Settings.HeartbeatInterval;
        var timeout = _mesh.Settings.PeerTimeout;
        var stopping = _mesh.Stopping;
        var received = Connection.BytesReceived;
        var heardAt = Environment.TickCount64;
        try
        {
            while (IsOpen && !stopping.IsCancellationRequested)
            {
                _ = PingAsync(timeout);
                await Task.Delay(interval, stopping).ConfigureAwait(false);
                if (!IsOpen)
                    return;
                var now = Environment.TickCount64;
                if (AssemblyStalled(now, (long)timeout.TotalMilliseconds))
                {
                    // Bytes may still arrive (heartbeats), but a frame left half sent pins up to a frame's memory for nothing.
                    Connection.Abort(new InvalidDataException($"a large frame's pieces stopped for {timeout.TotalMilliseconds:0} ms before it was whole"));
                    return;
                }
                var receivedNow = Connection.BytesReceived;
                if (receivedNow != received)
                {
                    received = receivedNow;
                    heardAt = now;
                }
                else if (now - heardAt >= (long)timeout.TotalMilliseconds)
                {
                    Connection.Abort(new TimeoutException($"no heartbeat answer, nor any other byte, within {timeout.TotalMilliseconds:0} ms"));
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One ping; its answer says whether the peer is loading. A late one is logged: the link is judged by the bytes that arrive.</summary>
    private async Task PingAsync(TimeSpan timeout)
    {
        var received = Connection.BytesReceived;
        var result = await CallAsync(new PingRequest(default), ResponseShape.Status, timeout, PeerId).ConfigureAwait(false);
        if (result.Status == StatusCode.Timeout)
        {
            if (IsOpen && Connection.BytesReceived != received)
                MeshLog.HeartbeatLate(_mesh.Logger, PeerId, timeout.TotalMilliseconds);
            return;
        }
        if (!result.IsError || result.Status == StatusCode.Loading)
            PeerLoading = result.Status == StatusCode.Loading;
    }
}
