using System.Buffers;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Parses an inline command (a text line, as telnet sends), mirroring Redis's <c>processInlineBuffer</c>.</summary>
/// <remarks>
/// One deliberate tightening: Redis rejects a line only while its newline has not arrived and more than 64 KiB are
/// buffered, so whether a long line passes depends on how the bytes were split. Here a line whose content (without
/// its CR LF) exceeds <see cref="RespLimits.MaxInlineLength"/> is always rejected, however it arrives.
/// </remarks>
internal static class InlineParser
{
    public static ParseStatus Parse(
        in ReadOnlySequence<byte> buffer, RespCommand command, RespLimits limits, out long consumed, out RespError error)
    {
        consumed = 0;
        error = default;

        // Search no further than the longest acceptable line plus its CR LF: a line with no LF by then is too big,
        // and the search over an incomplete line stays bounded however the bytes trickle in.
        long window = Math.Min(buffer.Length, (long)limits.MaxInlineLength + 2);
        var reader = new SequenceReader<byte>(buffer.Slice(0, window));
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            if (window == (long)limits.MaxInlineLength + 2)
            {
                error = new RespError(RespErrorKind.TooBigInlineRequest);
                return ParseStatus.Error;
            }

            return ParseStatus.NeedMore;
        }

        if (!line.IsEmpty && SequenceBytes.Last(line) == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        if (line.Length > limits.MaxInlineLength)
        {
            error = new RespError(RespErrorKind.TooBigInlineRequest);
            return ParseStatus.Error;
        }

        // Unquoting only ever shrinks the text, so the line is copied once and split in place.
        Span<byte> text = command.BeginInline((int)line.Length);
        line.CopyTo(text);
        if (!InlineSplitter.Split(text, command))
        {
            error = new RespError(RespErrorKind.UnbalancedQuotes);
            return ParseStatus.Error;
        }

        command.CompleteInline();
        consumed = reader.Consumed;
        return ParseStatus.Complete;
    }
}
