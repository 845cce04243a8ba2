using System.Buffers;
using FastDht.Protocol.Resp.Internal;

namespace FastDht.Protocol.Resp;

/// <summary>Reads Redis commands (multibulk and inline) in place from a receive buffer, allocating nothing per command.</summary>
public static class RespRequestReader
{
    /// <summary>Parses the next command at the start of <paramref name="buffer"/> into <paramref name="command"/>.</summary>
    /// <param name="buffer">The received bytes; on success, sliced past the command.</param>
    /// <param name="command">The connection's reused command, filled on success.</param>
    /// <param name="limits">The caps to enforce; <see cref="RespLimits.Default"/> mirrors Redis.</param>
    /// <param name="error">On a protocol error, which one; <c>default</c> otherwise.</param>
    /// <returns>
    /// True with a command. False with no error when more bytes are needed: <paramref name="buffer"/> is then
    /// advanced only past ignored input (empty lines, <c>*0</c>), and the caller should report <c>examined = buffer.End</c>
    /// and call again with the same bytes plus the new ones (the command remembers how far it got, so a slow command
    /// is not rescanned from the top). False with <paramref name="error"/> set on malformed input: reply with
    /// <see cref="RespError.WriteTo"/> and close the connection, as Redis does.
    /// </returns>
    /// <remarks>Never throws on any input bytes.</remarks>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, RespCommand command, RespLimits limits, out RespError error)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(limits);
        command.ClearReady();
        while (true)
        {
            if (buffer.IsEmpty)
            {
                command.Reset();
                error = default;
                return false;
            }

            long consumed;
            ParseStatus status;
            if (SequenceBytes.First(buffer) == (byte)'*')
            {
                status = ParseMultibulk(buffer, command, limits, out consumed, out error);
            }
            else
            {
                command.ClearPending(); // a partial multibulk never continues as an inline line
                status = InlineParser.Parse(buffer, command, limits, out consumed, out error);
            }

            if (status == ParseStatus.NeedMore)
            {
                return false;
            }

            if (status == ParseStatus.Error)
            {
                command.Reset();
                return false;
            }

            buffer = buffer.Slice(consumed);
            if (command.Count == 0)
            {
                continue; // an empty line or an empty multibulk: Redis ignores both
            }

            command.SetKind(RespCommandTable.Identify(command.GetArgument(0)));
            return true;
        }
    }

    private static ParseStatus ParseMultibulk(
        in ReadOnlySequence<byte> buffer, RespCommand command, RespLimits limits, out long consumed, out RespError error)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        bool whole = buffer.IsSingleSegment;
        if (first.Length > 0)
        {
            ParseStatus status = MultibulkSpanParser.Parse(first, whole, command, limits, out int spanConsumed, out error);
            if (status == ParseStatus.Complete)
            {
                consumed = spanConsumed;
                command.CompleteMultibulk(new ReadOnlySequence<byte>(buffer.First[..spanConsumed]));
                return status;
            }

            if (whole || status == ParseStatus.Error)
            {
                consumed = 0;
                return status;
            }
        }

        // The command runs past the first segment: the sequence parser continues where the span parser stopped.
        return MultibulkParser.Parse(buffer, command, limits, out consumed, out error);
    }
}
