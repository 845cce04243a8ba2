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
        var limits = _respLimits ??= RespNodeLimits.For(ReceiveLimits.MaxFrameSize);
        if (!RespRequestReader.TryRead(ref bytes, command, limits, out _) || !bytes.IsEmpty || command.IsInline)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "RespExecute carries one whole RESP multibulk command");
        var spec = RespCommandSpecs.Get(command.Kind) is { } top ? RespCommandSpecs.Resolve(top, command) : null;
        if (spec is null || !(spec.HasKeys || RespKeyCommands.RunsOnEveryNode(spec.Kind)) || !spec.ArityMatches(command.Count))
            return ReplyErrorAsync(header, StatusCode.BadRequest, "RespExecute carries a keyed command FastDht serves (or FLUSHALL/FLUSHDB), with valid arity");
        var last = spec.HasKeys ? spec.LastKeyIndex(command) : -1;
        var state = _mesh.Cluster.Current;
        for (var i = spec.FirstKey; i <= last; i += spec.Step)
        {
            // Refused, nothing run, the request returned in the answer: the sender sends it again once the handover is
            // over (RespSession.Reroute.cs), without keeping a copy of every command it forwards.
            var owner = state.OwnerOf(command.GetArgument(i));
            if (owner != _mesh.Identity.SelfId)
                return Refuse(header, StatusCode.WrongNode, $"node {_mesh.Identity.SelfId} does not own this key's slot; node {owner} does at epoch {state.Epoch}", state.Epoch, owner, frame.Body);
            // Handing the slot over: this copy may already be older than the new owner's, for reads too.
            if (_mesh.Keyspace.IsHandedAway(command.GetArgument(i)))
                return Refuse(header, StatusCode.Moving, "the key's slot is being handed to another node: nothing was run, retry", 0, 0, frame.Body);
        }
        var reply = _respReply ??= new ArrayBufferWriter<byte>();
        reply.ResetWrittenCount();
        HandoverHold.Begin();
        RespKeyCommands.Execute(command, reply, _mesh.Keyspace, respVersion);
        // The mark came between the check above and the command's write: refused as if the check had seen it.
        if (HandoverHold.End())
            return Refuse(header, StatusCode.Moving, "the key's slot is being handed to another node: nothing was run, retry", 0, 0, frame.Body);
        return ReplyAfterReplicasAsync(new RespExecuteReply(header.RequestId, reply, Math.Min(SendLimit, ReceiveLimits.MaxFrameSize)));
    }

    /// <summary>
    /// RespPublish: a PUBLISH sent at the peer, delivered to this node's subscribers, never answered (a broadcast answered
    /// by every node would double the cluster's traffic for nothing the sender acts on). A malformed one is answered
    /// BadRequest, which the sender drops (request id 0 is never pending): the link stays.
    /// </summary>
    /// <remarks>
    /// A peer that floods broadcasts cannot make this node grow: delivery runs here, on the link's read loop, so the link
    /// is read no faster than messages are queued, and each subscriber's queue is bounded (a subscriber past it is closed).
    /// </remarks>
    private ValueTask<bool> RespPublishAsync(Frame frame)
    {
        if (!RequestDecoder.TryReadRespPublish(BodyOf(frame), out var channel, out var message, out var error))
            return ReplyErrorAsync(frame.Header, error.Status, error.Message);
        _mesh.PubSub?.DeliverFromPeer(channel, message);
        return new ValueTask<bool>(true);
    }

    private ValueTask<bool> Refuse(in FrameHeader header, StatusCode status, string message, ulong epoch, ushort owner, in ReadOnlySequence<byte> request)
    {
        OnAnswered(header.Opcode, status);
        return ReplyAsync(new RespRefusalReply(header.RequestId, status, message, epoch, owner, request, Math.Min(SendLimit, ReceiveLimits.MaxFrameSize)));
    }
}
