using System.Runtime.CompilerServices;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Forwarding, link side: a client session's request for a key the peer owns goes out with a fresh request id and
/// the FORWARDED flag; the pooled <see cref="PendingRequest"/> the session gives relays the answer back.
/// </summary>
internal sealed partial class PeerLink
{
    private string? _timeoutMessage;

    /// <summary>Registers the forward and writes the request to the owner; a failure to send completes <paramref name="forward"/> with the error.</summary>
    /// <returns>Always true: the origin session goes on reading whatever happens to the forward.</returns>
    /// <remarks>With a full window of requests in flight on this link the origin session waits for room first (<see cref="RequestMultiplexer.ForwardWindow"/>).</remarks>
    public ValueTask<bool> SendForwardAsync(in Frame frame, PendingRequest forward)
    {
        if (!Requests.HasRoomForForward)
            return SendForwardWithRoomAsync(frame, forward);
        if (!Requests.TryRegister(forward, _mesh.Settings.ForwardTimeout, out var id, out var status, out var message))
        {
            forward.OnFailure(status, message);
            return new ValueTask<bool>(true);
        }
        if (Connection.TryEnterWrite(out var writer))
        {
            FrameWriter.WriteRelayed(writer, frame, id, FrameFlags.Forwarded);
            var flushed = Connection.ExitWriteAsync(flush: true);
            if (flushed.IsCompletedSuccessfully)
                return new ValueTask<bool>(true);
            return AwaitFlushAsync(flushed);
        }
        return SendForwardSlowAsync(frame, id);
    }

    /// <summary>Waits until the link has room for a forward, then sends it (the frame stays in the origin's unadvanced input meanwhile).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendForwardWithRoomAsync(Frame frame, PendingRequest forward)
    {
        await Requests.WaitForRoomAsync().ConfigureAwait(false);
        return await SendForwardAsync(frame, forward).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendForwardSlowAsync(Frame frame, uint id)
    {
        var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
        if (writer is null)
        {
            if (Requests.TryRemove(id, out var forward))
                forward.OnFailure(StatusCode.NodeUnavailable, $"{_mesh.Describe(PeerId)} is unavailable: its link closed");
            return true;
        }
        FrameWriter.WriteRelayed(writer, frame, id, FrameFlags.Forwarded);
        await AwaitFlushAsync(Connection.ExitWriteAsync(flush: true)).ConfigureAwait(false);
        return true;
    }

    /// <summary>Waits for a flush under back-pressure, so a client cannot push forwards faster than the link drains them.</summary>
    private static async ValueTask<bool> AwaitFlushAsync(ValueTask<bool> flushed)
    {
        try
        {
            await flushed.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The link failed while flushing: its read loop fails every forward waiting on it.
        }
        return true;
    }

    /// <summary>Times out this link's expired requests (forwards and peer calls).</summary>
    public void SweepExpired(long nowTicks)
    {
        if (Requests.Count > 0)
            Requests.FailExpired(nowTicks, _timeoutMessage ??= $"{_mesh.Describe(PeerId)} did not answer in time");
    }
}
