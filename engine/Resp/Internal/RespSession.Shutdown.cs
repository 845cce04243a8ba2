using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops this node (<see cref="RespServer.RequestShutdown"/>; the node
/// drains and stops, and its host exits), after a snapshot when it keeps its keys on disk, as Redis saves first.
/// </summary>
/// <remarks>
/// As in Redis the client gets no reply on success: its connection closes with the node. Refused between MULTI and
/// EXEC (Redis's <c>no_multi</c>) and, with users configured, to users without the <c>@admin</c> category. NOW and
/// FORCE are accepted and change nothing (FastDht's stop never waits for lagging replicas: a write is acknowledged
/// only once every in-sync replica has it, and a failed snapshot does not keep the node up when FORCE is given).
/// ABORT answers Redis's "No shutdown in progress": a requested stop starts at once and cannot be taken back.
/// </remarks>
internal sealed partial class RespSession
{
    /// <summary>Whether the current command is SHUTDOWN NOSAVE (allowed while a script is busy, as in Redis).</summary>
    private bool IsShutdownNoSave()
    {
        var c = _command;
        for (var i = 1; i < c.Count; i++)
        {
            if (Ascii.EqualsIgnoreCase(c.GetArgument(i), "NOSAVE"u8))
                return true;
        }
        return false;
    }

    private Outcome Shutdown(IBufferWriter<byte> w)
    {
        var c = _command;
        bool save = false, noSave = false, force = false;
        for (var i = 1; i < c.Count; i++)
        {
            var a = c.GetArgument(i);
            if (Ascii.EqualsIgnoreCase(a, "NOSAVE"u8))
                noSave = true;
            else if (Ascii.EqualsIgnoreCase(a, "SAVE"u8))
                save = true;
            else if (Ascii.EqualsIgnoreCase(a, "NOW"u8))
                continue;
            else if (Ascii.EqualsIgnoreCase(a, "FORCE"u8))
                force = true;
            else if (Ascii.EqualsIgnoreCase(a, "ABORT"u8) && c.Count == 2)
            {
                RespWriter.WriteError(w, "No shutdown in progress."u8);
                return Outcome.Continue;
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return Outcome.Continue;
            }
        }
        if (save && noSave)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return Outcome.Continue;
        }
        var log = _host.Keyspace.Log;
        if (save && log is null)
        {
            RespWriter.WriteError(w, "Errors trying to SHUTDOWN: this node keeps its keys in memory only, there is nothing to SAVE to (SHUTDOWN NOSAVE stops it)"u8);
            return Outcome.Continue;
        }
        if (noSave || log is null || _host.IsLoading)
        {
            _server.RequestShutdown("SHUTDOWN from client " + ClientId);
            return Outcome.Stop;
        }
        if (!log.TryStartSnapshot(out var completion))
            completion = null;
        var slot = QueueLateReply();
        using (ExecutionContext.SuppressFlow())
            _ = SaveThenShutdownAsync(slot, completion, force);
        return Outcome.Continue;
    }

    private async Task SaveThenShutdownAsync(ReplySlot slot, Task<SnapshotReport>? completion, bool force)
    {
        try
        {
            if (completion is not null)
                await completion.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !force)
        {
            // Redis stays up when its final save fails (unless FORCE): the client hears why.
            RespWriter.WriteError(slot, Encoding.UTF8.GetBytes($"Errors trying to SHUTDOWN: the snapshot failed: {e.Message}".ReplaceLineEndings(" ")));
            OnSlotCompleted(slot);
            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // FORCE: stop anyway; the log still holds every acknowledged write.
        }
        _server.RequestShutdown("SHUTDOWN from client " + ClientId);
        _connection.Abort();
        OnSlotCompleted(slot);
    }
}
