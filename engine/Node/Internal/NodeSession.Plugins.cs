using System.Buffers;
using FastDht.Engine.Resp.Internal;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Node.Internal;

/// <summary>Node-to-node operations of the protocol plugins: NodeInfo (where this node listens) and RespExecute (a RESP command run at its keys' owner).</summary>
internal sealed partial class NodeSession
{
    private RespCommand? _respCommand;
    private ArrayBufferWriter<byte>? _respReply;
    private RespLimits? _respLimits;

    private ValueTask<bool> NodeInfoAsync(Frame frame)
    {
        if (!RequestDecoder.TryReadEmpty(BodyOf(frame), out var error))
            return ReplyErrorAsync(frame.Header, error.Status, error.Message);
        if (!Connection.TryEnterWrite(out var writer))
            return NodeInfoSlowAsync(frame.Header.RequestId);
        FrameWriter.WriteNodeInfoResponse(writer, frame.Header.RequestId, _core.Listeners.Own);
        EndResponse();
        return new ValueTask<bool>(true);
    }

    private async ValueTask<bool> NodeInfoSlowAsync(uint requestId)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        FrameWriter.WriteNodeInfoResponse(writer, requestId, _core.Listeners.Own);
        EndResponse();
        return true;
    }

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
        var spec = RespCommandSpecs.Get(command.Kind);
        if (spec is null || !(spec.HasKeys || RespKeyCommands.RunsOnEveryNode(spec.Kind)) || !spec.ArityMatches(command.Count))
            return ReplyErrorAsync(header, StatusCode.BadRequest, "RespExecute carries a keyed command FastDht serves (or FLUSHALL/FLUSHDB), with valid arity");
        var last = spec.HasKeys ? spec.LastKeyIndex(command.Count) : -1;
        var state = _core.Cluster.Current;
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
        {
            var owner = state.OwnerOf(command.GetArgument(i));
            if (owner != _core.SelfId)
                return ReplyWrongNodeAsync(header, owner, state.Epoch, $"node {_core.SelfId} does not own this key's slot; node {owner} does at epoch {state.Epoch}");
        }
        var reply = _respReply ??= new ArrayBufferWriter<byte>();
        reply.ResetWrittenCount();
        RespKeyCommands.Execute(command, reply, _core.Keyspace, respVersion);
        // Taken here, on the thread that ran the command: the slow path below may answer from another thread.
        _core.Keyspace.Durability?.HoldThisThreadsWrites(Connection);
        if (!Connection.TryEnterWrite(out var writer))
            return RespReplySlowAsync(header.RequestId);
        FrameWriter.WriteFrame(writer, header.RequestId, Opcode.RespExecute, FrameFlags.Response, StatusCode.Ok, reply.WrittenSpan);
        EndResponse();
        return new ValueTask<bool>(true);
    }

    private async ValueTask<bool> RespReplySlowAsync(uint requestId)
    {
        var writer = await BeginResponseAsync().ConfigureAwait(false);
        if (writer is null)
            return false;
        FrameWriter.WriteFrame(writer, requestId, Opcode.RespExecute, FrameFlags.Response, StatusCode.Ok, _respReply!.WrittenSpan);
        EndResponse();
        return true;
    }
}
