using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// CLIENT REPLY ON|OFF|SKIP: a client that sends many commands without reading (a bulk load, a fire-and-forget
/// pipeline) turns their replies off, or skips the next one, as in Redis.
/// </summary>
/// <remarks>
/// A silenced command runs as any other; its reply goes to a reply slot marked <see cref="ReplySlot.Silent"/> (a late
/// one too, answered by an owner or a transaction), which keeps its place in the connection's ordered reply queue and
/// is dropped when its turn to be written comes. What is not a reply to the command is still sent: pub/sub messages,
/// and the confirmations of SUBSCRIBE, SSUBSCRIBE and their kin (Redis sends those as pushes whatever the reply mode).
/// </remarks>
internal sealed partial class RespSession
{
    private ReplyMode _replyMode;

    // Whether the command being run is silenced: Target() and QueueLateReply() then give it silent slots.
    private bool _silent;

    private enum ReplyMode
    {
        On,
        Off,

        /// <summary>CLIENT REPLY SKIP was the command just run: the next command is skipped.</summary>
        SkipNext,

        /// <summary>The command being run is the skipped one.</summary>
        Skip,
    }

    /// <summary>The command about to run is under OFF or SKIP: its replies go to silent slots (not for a subscription's confirmations).</summary>
    private void BeginSilentReply()
    {
        if (_command.Kind is RespCommandKind.Subscribe or RespCommandKind.PSubscribe or RespCommandKind.Unsubscribe or RespCommandKind.PUnsubscribe
            or RespCommandKind.SSubscribe or RespCommandKind.SUnsubscribe)
            return;
        _localTail = null; // a tail slot of earlier commands is not silent
        _silent = true;
    }

    /// <summary>After a command under a reply mode other than ON: the next command starts a fresh slot; SKIP lasts one command.</summary>
    private void EndReplyModeCommand()
    {
        if (_silent)
        {
            _localTail = null; // the next command's reply must not land in this silent slot
            _silent = false;
        }
        _replyMode = _replyMode switch
        {
            ReplyMode.SkipNext => ReplyMode.Skip,
            ReplyMode.Skip => ReplyMode.On,
            _ => _replyMode,
        };
    }

    /// <summary>CLIENT REPLY ON|OFF|SKIP (Redis's networking.c): ON answers OK; OFF and SKIP answer nothing.</summary>
    private void ClientReply(IBufferWriter<byte> w)
    {
        var mode = _command.GetArgument(2);
        if (Ascii.EqualsIgnoreCase(mode, "ON"u8))
        {
            _replyMode = ReplyMode.On;
            if (_silent)
            {
                // This very command was under OFF or SKIP; its OK is sent, as Redis clears the flags before replying.
                _silent = false;
                _localTail = null;
                w = Target();
            }
            RespWriter.WriteRaw(w, RespReplies.Ok);
        }
        else if (Ascii.EqualsIgnoreCase(mode, "OFF"u8))
        {
            _replyMode = ReplyMode.Off;
        }
        else if (Ascii.EqualsIgnoreCase(mode, "SKIP"u8))
        {
            // Under OFF nothing is sent anyway; Redis keeps OFF.
            if (_replyMode != ReplyMode.Off)
                _replyMode = ReplyMode.SkipNext;
        }
        else
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
        }
    }
}
