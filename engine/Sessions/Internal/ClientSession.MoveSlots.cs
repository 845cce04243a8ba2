using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>MoveSlots: a client (the shell's cluster move-slots and rebalance) asks the slots' owner to move them to another member.</summary>
internal sealed partial class ClientSession
{
    private ValueTask<bool> MoveSlotsAsync(Frame frame)
    {
        var header = frame.Header;
        if (!RequestDecoder.TryReadMoveSlots(BodyOf(frame), out var first, out var last, out var target, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (_host.Mover is not { } mover)
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"node {_host.Mesh.Identity.SelfId} cannot move slots");
        AnswerOwed();
        _ = AnswerMoveAsync(header.RequestId, mover, first, last, target, _batchStarted);
        return new ValueTask<bool>(true);
    }

    /// <summary>Runs the move off the read loop and answers once it ended: the report, or Aborted with why the slots stayed.</summary>
    private async Task AnswerMoveAsync(uint requestId, Mesh.Internal.SlotMover mover, int first, int last, ushort target, long started)
    {
        SlotMoveReport? report = null;
        string? failure = null;
        try
        {
            report = await mover.MoveAsync(first, last, target, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SlotMoveException e)
        {
            failure = e.Message;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = $"moving slots {first}-{last} to node {target} failed: {e.Message}";
        }
        if (report is not null)
            await GiveAnswerAsync(new MoveSlotsReply(requestId, report)).ConfigureAwait(false);
        else
            await GiveAnswerAsync(new ErrorReply(requestId, Opcode.MoveSlots, StatusCode.Aborted, failure!)).ConfigureAwait(false);
        AnsweredLater(Opcode.MoveSlots, report is null ? StatusCode.Aborted : StatusCode.Ok, started);
    }
}
