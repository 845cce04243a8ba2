using FastDht.Engine.Connections;
using FastDht.Protocol;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>Snapshot: a client (the shell's save and bgsave) asks this node to write a snapshot of its keys.</summary>
internal sealed partial class ClientSession
{
    private ValueTask<bool> SnapshotAsync(Frame frame)
    {
        var header = frame.Header;
        if (!RequestDecoder.TryReadSnapshot(BodyOf(frame), out var wait, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (_host.Mesh.Keyspace.Log is not { } log)
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"node {_host.Mesh.Identity.SelfId} keeps its keys in memory only: start it with --data-dir to write snapshots");
        if (!log.TryStartSnapshot(out var completion))
            return ReplyErrorAsync(header, StatusCode.Busy, $"node {_host.Mesh.Identity.SelfId} is already writing a snapshot");
        if (!wait)
        {
            OnAnswered(Opcode.Snapshot, StatusCode.Ok);
            return ReplyAsync(new SnapshotReply(header.RequestId, null));
        }
        AnswerOwed();
        _ = AnswerSnapshotAsync(header.RequestId, completion, _batchStarted);
        return new ValueTask<bool>(true);
    }

    private async Task AnswerSnapshotAsync(uint requestId, Task<SnapshotReport> completion, long started)
    {
        SnapshotReport? report = null;
        string? failure = null;
        try
        {
            report = await completion.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failure = $"node {_host.Mesh.Identity.SelfId} could not write its snapshot: {e.Message}";
        }
        if (report is not null)
            await GiveAnswerAsync(new SnapshotReply(requestId, report)).ConfigureAwait(false);
        else
            await GiveAnswerAsync(new ErrorReply(requestId, Opcode.Snapshot, StatusCode.InternalError, failure!)).ConfigureAwait(false);
        AnsweredLater(Opcode.Snapshot, report is null ? StatusCode.InternalError : StatusCode.Ok, started);
    }
}
