using FastDht.Engine.CommandTable;
using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Engine.Resp.Internal;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>RespExecute: a RESP command a peer's RESP server sends to this node because it owns the command's keys.</summary>
internal sealed partial class PeerLink
{
    private RespCommand? _respCommand;
    private ArrayBufferWriter<byte>? _respReply;
    private RespLimits? _respLimits;

    /// <summary>
    /// Owner side of RespExecute: parse the carried command, check every key is ours, run it with the same code the
    /// RESP server uses for local keys, and answer with the reply bytes. The reply is built in a reused buffer first
    /// because the frame header needs its length.
    /// </summary>
    private ValueTask<bool> RespExecuteAsync(Frame frame)
    {
        var header = frame.Header;
        byte respVersion;
        {
            if (!RequestDecoder.TryReadRespExecute(BodyOf(frame), out respVersion, out _, out var error))
                return ReplyErrorAsync(header, error.Status, error.Message);
        }
        var command = _respCommand ??= new RespCommand();
        var bytes = frame.Body.Slice(1);
        var limits = _respLimits ??= new RespLimits { MaxBulkLength = ReceiveLimits.MaxFrameSize };
        if (!RespRequestReader.TryRead(ref bytes, command, limits, out _) || !bytes.IsEmpty || command.IsInline)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "RespExecute carries one whole RESP multibulk command");
        var spec = RespCommandSpecs.Get(command.Kind) is { } top ? RespCommandSpecs.Resolve(top, command) : null;
        if (spec is null || !(spec.HasKeys || RespKeyCommands.RunsOnEveryNode(spec.Kind)) || !spec.ArityMatches(command.Count))
            return ReplyErrorAsync(header, StatusCode.BadRequest, "RespExecute carries a keyed command FastDht serves (or FLUSHALL/FLUSHDB), with valid arity");
        var last = spec.HasKeys ? spec.LastKeyIndex(command) : -1;
        var state = _mesh.Cluster.Current;
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
        {
            var owner = state.OwnerOf(command.GetArgument(i));
            if (owner != _mesh.Identity.SelfId)
                return ReplyAsync(_mesh.WrongNode(header, owner, state));
            // Handing the slot over: this copy may already be older than the new owner's, for reads too. Nothing runs;
            // the sender sends it again once the handover is over (RespSession.Reroute.cs).
            if (_mesh.Keyspace.IsHandedAway(command.GetArgument(i)))
                return ReplyErrorAsync(header, StatusCode.Moving, "the key's slot is being handed to another node: nothing was run, retry");
        }
        var reply = _respReply ??= new ArrayBufferWriter<byte>();
        reply.ResetWrittenCount();
        RespKeyCommands.Execute(command, reply, _mesh.Keyspace, respVersion);
        return ReplyAfterReplicasAsync(new RespExecuteReply(header.RequestId, reply, Math.Min(SendLimit, ReceiveLimits.MaxFrameSize)));
    }
}
