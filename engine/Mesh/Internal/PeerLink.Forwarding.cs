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
    private string? _inDoubtTimeoutMessage;

    /// <summary>Registers the forward and writes the request to the owner; a failure to send completes <paramref name="forward"/> with the error.</summary>
    /// <returns>Always true: the origin session goes on reading whatever happens to the forward.</returns>
    /// <remarks>
    /// With a full window of requests in flight on this link the origin session waits for room first (<see cref="RequestMultiplexer.ForwardWindow"/>).
    /// The forward is registered holding the writer lock and written at once, so a registered forward is a sent one:
    /// the link's loss fails it as in doubt (<see cref="PendingRequest.InDoubtIfLost"/>, the owner may have applied
    /// it), and only a forward never registered, for a link already closed, fails as unavailable.
    /// </remarks>
    public ValueTask<bool> SendForwardAsync(in Frame frame, PendingRequest forward)
    {
        if (!Requests.HasRoomForForward)
            return SendForwardWithRoomAsync(frame, forward);
        if (!Connection.TryEnterWrite(out var writer))
            return SendForwardSlowAsync(frame, forward);
        if (!TryWriteForward(writer, frame, forward))
            return new ValueTask<bool>(true);
        var flushed = Connection.ExitWriteAsync(flush: true);
        if (flushed.IsCompletedSuccessfully)
            return new ValueTask<bool>(true);
        return AwaitFlushAsync(flushed);
    }

    /// <summary>Holding the writer lock: registers the forward and writes it, or releases the lock and fails it (the link is closed: never sent).</summary>
    /// <returns>True when written (the caller flushes and releases the lock).</returns>
    private bool TryWriteForward(System.IO.Pipelines.PipeWriter writer, in Frame frame, PendingRequest forward)
    {
        if (Connection.IsClosed)
        {
            _ = Connection.ExitWriteAsync(flush: false);
            forward.OnFailure(StatusCode.NodeUnavailable, UnsentMessage);
            return false;
        }
        if (!Requests.TryRegister(forward, _mesh.Settings.ForwardTimeout, out var id, out var status, out var message, inDoubtIfLost: true))
        {
            _ = Connection.ExitWriteAsync(flush: false);
            forward.OnFailure(status, message);
            return false;
        }
        FrameWriter.WriteRelayed(writer, frame, id, FrameFlags.Forwarded);
        return true;
    }

    /// <summary>Waits until the link has room for a forward, then sends it (the frame stays in the origin's unadvanced input meanwhile).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendForwardWithRoomAsync(Frame frame, PendingRequest forward)
    {
        await Requests.WaitForRoomAsync().ConfigureAwait(false);
        return await SendForwardAsync(frame, forward).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendForwardSlowAsync(Frame frame, PendingRequest forward)
    {
        var writer = await EnterSlowAsync(Connection).ConfigureAwait(false);
        if (writer is null)
        {
            forward.OnFailure(StatusCode.NodeUnavailable, UnsentMessage);
            return true;
        }
        if (TryWriteForward(writer, frame, forward))
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
            Requests.FailExpired(nowTicks, _timeoutMessage ??= $"{_mesh.Describe(PeerId)} did not answer in time", InDoubtTimeoutMessage);
    }

    /// <summary>A forward that could not be sent (the link closed first): the owner never saw it.</summary>
    private string UnsentMessage => $"{_mesh.Describe(PeerId)} is unavailable: its link closed";

    /// <summary>A forward sent and not answered in time: the owner may still have applied it.</summary>
    private string InDoubtTimeoutMessage => _inDoubtTimeoutMessage ??= $"{_mesh.Describe(PeerId)} did not answer in time: the command may or may not have been applied";

    /// <summary>A forward sent and unanswered when the link closed: the owner may have applied it.</summary>
    internal string InDoubtLostMessage => $"{_mesh.Describe(PeerId)} closed its link with the command sent and unanswered: it may or may not have been applied";
}
