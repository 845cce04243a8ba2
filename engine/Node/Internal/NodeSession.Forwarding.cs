using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Node.Internal;

/// <summary>
/// Forwarding: a request for a key another node owns goes over the link to that node with a fresh request id, and
/// the owner's answer is relayed back to the origin session under the origin's id. The origin's read loop never
/// waits for the answer; answers come back out of order.
/// </summary>
internal sealed partial class NodeSession
{
    private int _forwardsInFlight;
    private string? _timeoutMessage;

    /// <summary>Origin side: forwards a request to <paramref name="owner"/> (its owner in <paramref name="state"/>), or answers at once when it cannot.</summary>
    private ValueTask<bool> ForwardAsync(Frame frame, ushort owner, ClusterState state)
    {
        var header = frame.Header;
        if ((header.Flags & (FrameFlags.Forwarded | FrameFlags.Routed)) != 0)
        {
            // FORWARDED: already forwarded once, so the two nodes disagree about the owner (one of them has a later
            // state); never forward twice (no loops). ROUTED: a smart client sent it by its own table, and would
            // rather learn the new owner than pay a hop on every later request. Either way: say who owns the key at
            // which epoch.
            return ReplyWrongNodeAsync(header, owner, state.Epoch,
                $"node {_core.SelfId} does not own this key's slot; node {owner} does at epoch {state.Epoch}");
        }
        var link = _core.Mesh.GetLink(owner);
        if (link is null)
        {
            if (!state.Members.TryGet(_core.SelfId, out _))
            {
                // This node left the cluster: it has no links, and the client should learn where the key lives now.
                return ReplyWrongNodeAsync(header, owner, state.Epoch,
                    $"node {_core.SelfId} is not a member of the cluster at epoch {state.Epoch}; node {owner} owns this key's slot");
            }
            return ReplyErrorAsync(header, StatusCode.NodeUnavailable, _core.Mesh.UnavailableMessage(owner));
        }
        if (header.FrameLength - 4 > link.SendLimit)
            return ReplyErrorAsync(header, StatusCode.FrameTooLarge, $"the request is larger than node {owner} accepts ({link.SendLimit} bytes)");
        return link.SendForwardAsync(frame, this);
    }

    /// <summary>Answers WrongNode with its epoch and owner after the message (protocol.md §4), keeping the connection.</summary>
    private async ValueTask<bool> ReplyWrongNodeAsync(FrameHeader header, ushort owner, ulong epoch, string message)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        FrameWriter.WriteWrongNodeResponse(writer, header.RequestId, header.Opcode, message, epoch, owner);
        EndResponse();
        return true;
    }

    /// <summary>Link side: registers the forward and writes the request to the owner.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendForwardAsync(Frame frame, NodeSession origin)
    {
        var header = frame.Header;
        var forward = ForwardRequest.Rent(origin, header.RequestId, header.Opcode, PeerId);
        if (!Requests.TryRegister(forward, _core.Options.ForwardTimeout, out var id, out var status, out var message))
        {
            forward.OnFailure(status, message);
            return true;
        }
        if (!Connection.TryEnterWrite(out var writer))
        {
            var entered = await EnterSlowAsync(Connection).ConfigureAwait(false);
            if (entered is null)
            {
                if (Requests.TryRemove(id, out _))
                    forward.OnFailure(StatusCode.NodeUnavailable, PeerLinkLostMessage());
                return true;
            }
            writer = entered;
        }
        FrameWriter.WriteRelayed(writer, frame, id, FrameFlags.Forwarded);
        var flushed = Connection.ExitWriteAsync(flush: true);
        if (!flushed.IsCompletedSuccessfully)
            await flushed.ConfigureAwait(false);
        return true;
    }

    /// <summary>Origin side: writes the owner's answer back under the origin request id.</summary>
    /// <remarks>Runs on the link's read loop, which must not wait: a busy writer lock means copy and finish later.</remarks>
    public void Relay(uint originRequestId, in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (Connection.TryEnterWrite(out var writer))
        {
            FrameWriter.WriteRelayed(writer, new Frame(header, body), originRequestId, FrameFlags.None);
            Observe(Connection.ExitWriteAsync(flush: true));
            return;
        }
        var length = (int)body.Length;
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        body.CopyTo(copy);
        _ = RelayLaterAsync(originRequestId, header, copy, length);
    }

    /// <summary>Origin side: the forward failed (owner down, timeout): answer with that error.</summary>
    public void RelayError(uint originRequestId, Opcode opcode, StatusCode status, string message)
    {
        if (Connection.TryEnterWrite(out var writer))
        {
            FrameWriter.WriteErrorResponse(writer, originRequestId, opcode, status, message);
            Observe(Connection.ExitWriteAsync(flush: true));
            return;
        }
        _ = RelayErrorLaterAsync(originRequestId, opcode, status, message);
    }

    public void ForwardStarted() => Interlocked.Increment(ref _forwardsInFlight);

    public void ForwardEnded() => Interlocked.Decrement(ref _forwardsInFlight);

    /// <summary>Requests this session forwarded whose answers have not been relayed yet.</summary>
    public int ForwardsInFlight => Volatile.Read(ref _forwardsInFlight);

    private async Task WaitForForwardsAsync(TimeSpan limit)
    {
        var deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        while (ForwardsInFlight > 0 && Environment.TickCount64 < deadline)
            await Task.Delay(5).ConfigureAwait(false);
    }

    private async Task RelayLaterAsync(uint originRequestId, FrameHeader header, byte[] copy, int length)
    {
        try
        {
            var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
            if (writer is not null)
            {
                FrameWriter.WriteFrame(writer, originRequestId, header.Opcode, header.Flags, header.Status, copy.AsSpan(0, length));
                await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // The origin went away meanwhile: nobody is left to answer.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private async Task RelayErrorLaterAsync(uint originRequestId, Opcode opcode, StatusCode status, string message)
    {
        try
        {
            var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
            if (writer is not null)
            {
                FrameWriter.WriteErrorResponse(writer, originRequestId, opcode, status, message);
                await Connection.ExitWriteAsync(flush: true).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    /// <summary>Times out this session's expired requests (forwards and peer calls).</summary>
    public void SweepExpired(long nowTicks)
    {
        if (Requests.Count > 0)
            Requests.FailExpired(nowTicks, _timeoutMessage ??= $"{_core.Mesh.Describe(PeerId)} did not answer in time");
    }
}
