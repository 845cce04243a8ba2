using System.Buffers;
using System.Text;
using FastDht.Engine.Node.Internal;
using FastDht.Protocol.Resp;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Resp.Internal;

/// <summary>SAVE, BGSAVE and LASTSAVE: snapshots of this node's keys, with Redis's replies (docs/resp-server.md).</summary>
internal sealed partial class RespSession
{
    /// <summary>SAVE: writes a snapshot and answers OK once it is in place; writes go on meanwhile (FastDht's snapshots never stop them).</summary>
    private Outcome StartSave()
    {
        var w = Target();
        if (!CanSnapshot(w, out var log))
            return Outcome.Continue;
        if (!log.TryStartSnapshot(out var completion))
        {
            RespWriter.WriteError(w, "Background save already in progress"u8);
            return Outcome.Continue;
        }
        var slot = QueueLateReply();
        using (ExecutionContext.SuppressFlow())
            _ = AnswerSaveAsync(slot, completion);
        return Outcome.Continue;
    }

    private async Task AnswerSaveAsync(ReplySlot slot, Task<SnapshotReport> completion)
    {
        try
        {
            await completion.ConfigureAwait(false);
            RespWriter.WriteRaw(slot, RespReplies.Ok);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            RespWriter.WriteError(slot, Encoding.UTF8.GetBytes($"the snapshot failed: {e.Message}".ReplaceLineEndings(" ")));
        }
        OnSlotCompleted(slot);
    }

    /// <summary>BGSAVE [SCHEDULE]: starts a snapshot in the background.</summary>
    private void BgSave(IBufferWriter<byte> w)
    {
        var c = _command;
        var schedule = false;
        if (c.Count == 2 && Ascii.EqualsIgnoreCase(c.GetArgument(1), "SCHEDULE"u8))
            schedule = true;
        else if (c.Count > 1)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (!CanSnapshot(w, out var log))
            return;
        if (schedule)
        {
            RespWriter.WriteSimpleString(w, log.ScheduleSnapshot() ? "Background saving started"u8 : "Background saving scheduled"u8);
            return;
        }
        if (log.TryStartSnapshot(out _))
            RespWriter.WriteSimpleString(w, "Background saving started"u8);
        else
            RespWriter.WriteError(w, "Background save already in progress"u8);
    }

    /// <summary>False, with the error written, when this node cannot snapshot: no data directory, or still loading.</summary>
    private bool CanSnapshot(IBufferWriter<byte> w, out WriteAheadLog log)
    {
        if (_host.IsLoading)
        {
            RespWriter.WriteRaw(w, RespErrors.Loading);
            log = null!;
            return false;
        }
        if (_host.Keyspace.Log is not { } attached)
        {
            RespWriter.WriteError(w, "this node keeps its keys in memory only: start it with --data-dir to write snapshots"u8);
            log = null!;
            return false;
        }
        log = attached;
        return true;
    }

    /// <summary>LASTSAVE: the unix time of the last snapshot this node wrote since it started; the start time before the first (as Redis).</summary>
    internal static long LastSaveSeconds(RespHost node) =>
        (node.Keyspace.Log?.LastSnapshot?.CompletedAt ?? node.Statistics.StartedAt).ToUnixTimeSeconds();
}
