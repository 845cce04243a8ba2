using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Engine.Mesh.Internal;
using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// The first step of every accepted native connection: reads exactly one frame, which must be a valid Hello within
/// the handshake timeout, and decides what the connection becomes: a <see cref="ClientSession"/> or a
/// <see cref="PeerLink"/>. Anything else is answered with an error and the connection closed.
/// </summary>
/// <remarks>
/// The Hello is consumed here (the pipe is advanced past it and no further), so the session's read loop starts at
/// the first request after it, including requests the client pipelined behind its Hello.
/// Security: the handshake timeout bounds how long a connection that never completes a Hello (silent, or trickling
/// one byte at a time) holds a socket and its buffers; a frame over MaxFrameSize is refused from its header alone.
/// </remarks>
internal sealed class InboundHandshake(ClientSessions clients)
{
    private readonly PeerMesh _mesh = clients.Mesh;

    /// <summary>Runs the handshake on an accepted connection, then the session it becomes, until it closes.</summary>
    public async ValueTask RunAsync(SocketConnection connection)
    {
        var settings = clients.Settings;
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(clients.Stopping);
        expiry.CancelAfter(settings.HandshakeTimeout);
        var input = connection.Input;
        var limits = clients.Limits;
        Outcome outcome;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(expiry.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                var why = clients.Stopping.IsCancellationRequested
                    ? "the node is stopping"
                    : $"no whole Hello within {settings.HandshakeTimeout.TotalSeconds:0.###} s (the node's HandshakeTimeout)";
                SessionLog.Closed(clients.Logger, connection.RemoteEndPoint, why);
                connection.Abort(new TimeoutException(why));
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            var buffer = result.Buffer;
            if (FrameReader.TryReadFrame(ref buffer, limits, out var frame, out var error))
            {
                outcome = Decide(connection, frame);
                input.AdvanceTo(buffer.Start);
                break;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (!error.IsNone)
            {
                SessionLog.BadInput(clients.Logger, connection.RemoteEndPoint, error.Message);
                await RefuseAsync(connection, new ErrorReply(frame.Header.RequestId, frame.Header.Opcode, error.Status, error.Message)).ConfigureAwait(false);
                return;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }

        if (outcome.Refusal is { } refusal)
        {
            // A lost tie-break is routine, not a refusal worth a warning.
            if (refusal.Kind != LinkRefusalKind.DuplicateLink)
                SessionLog.HandshakeRefused(clients.Logger, connection.RemoteEndPoint, refusal.Message);
            await RefuseAsync(connection, refusal.Reply).ConfigureAwait(false);
            return;
        }
        if (outcome.Link is { } link)
        {
            if (!await AcceptAsync(connection, outcome.RequestId).ConfigureAwait(false))
            {
                link.Connection.Abort();
            }
            else
            {
                _mesh.OnLinkReady(link);
            }
            await link.RunAsync().ConfigureAwait(false);
            return;
        }
        var session = new ClientSession(clients, connection, outcome.SendLimit);
        if (!await AcceptAsync(connection, outcome.RequestId).ConfigureAwait(false))
            connection.Abort();
        await session.RunAsync().ConfigureAwait(false);
    }

    /// <summary>Judges the first frame while it is still in the pipe: what the connection becomes, or the refusal.</summary>
    private Outcome Decide(SocketConnection connection, in Frame frame)
    {
        var header = frame.Header;
        if (header.Opcode != Opcode.Hello)
            return Outcome.Refuse(header, StatusCode.HandshakeRequired, "the first frame on a connection must be Hello");
        if (header.IsResponse || header.Status != StatusCode.Ok || header.Flags != FrameFlags.None)
            return Outcome.Refuse(header, StatusCode.BadRequest, "a Hello request has no flags set and status 0");
        ReadOnlySpan<byte> body = frame.Body.IsSingleSegment ? frame.Body.FirstSpan : frame.Body.ToArray();
        if (!RequestDecoder.TryReadHello(body, out var hello, out var error))
            return Outcome.Refuse(header, error.Status, error.Message);
        if (_mesh.Identity.CheckHello(hello) is { } mismatch)
            return Outcome.Refuse(header, new LinkRefusal(LinkRefusalKind.Refused, mismatch));
        var sendLimit = (int)Math.Min(hello.MaxFrameSize, ProtocolLimits.MaxFrameSizeCap);
        if (hello.Role == NodeRole.Client)
            return new Outcome(header.RequestId, sendLimit, null, null);
        var link = new PeerLink(_mesh, connection, hello.NodeId, hello.Incarnation, sendLimit);
        if (_mesh.TryAdopt(link) is { } refusal)
        {
            _mesh.Unregister(link);
            return Outcome.Refuse(header, refusal);
        }
        return new Outcome(header.RequestId, sendLimit, link, null);
    }

    /// <summary>Answers the Hello with Ok; false when the connection closed meanwhile.</summary>
    private async ValueTask<bool> AcceptAsync(SocketConnection connection, uint requestId)
    {
        var writer = connection.TryEnterWrite(out var free) ? free : await FrameSession.EnterSlowAsync(connection).ConfigureAwait(false);
        if (writer is null)
            return false;
        _mesh.Identity.WriteHelloResponse(writer, requestId);
        try
        {
            await connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Answers the first frame with an error, then closes once the answer is sent.</summary>
    private static async ValueTask RefuseAsync(SocketConnection connection, ErrorReply reply)
    {
        var writer = connection.TryEnterWrite(out var free) ? free : await FrameSession.EnterSlowAsync(connection).ConfigureAwait(false);
        if (writer is not null)
        {
            reply.Write(writer);
            // Released unflushed: the graceful close sends what is buffered, then closes.
            _ = connection.ExitWriteAsync(flush: false);
        }
        await connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    /// <summary>What the first frame decided.</summary>
    private readonly record struct Outcome(uint RequestId, int SendLimit, PeerLink? Link, (LinkRefusalKind Kind, string Message, ErrorReply Reply)? Refusal)
    {
        /// <summary>A frame that is not an acceptable Hello: refused as the protocol says, before any identity is looked at.</summary>
        public static Outcome Refuse(in FrameHeader header, StatusCode status, string message) =>
            new(header.RequestId, 0, null, (LinkRefusalKind.Refused, message, new ErrorReply(header.RequestId, header.Opcode, status, message)));

        /// <summary>A Hello refused for what it says: the status carries the kind to the dialer.</summary>
        public static Outcome Refuse(in FrameHeader header, LinkRefusal refusal) =>
            new(header.RequestId, 0, null, (refusal.Kind, refusal.Message, new ErrorReply(header.RequestId, header.Opcode, refusal.WireStatus, refusal.Message)));
    }
}
