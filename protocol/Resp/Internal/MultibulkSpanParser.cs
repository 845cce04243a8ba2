using System.Buffers;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>The fast path of <see cref="MultibulkParser"/>: the same rules over the buffer's first segment as a span.</summary>
/// <remarks>
/// Most commands lie whole in the first segment of the receive buffer (a pipe segment is at least 4 KiB), where span
/// searches are vectorised and no <see cref="SequenceReader{T}"/> bookkeeping is needed. When the span is only the first
/// segment of a longer buffer, anything this path cannot decide from the span alone (a line or payload that runs past
/// it, a "too big" check that depends on the whole buffer) is handed to <see cref="MultibulkParser"/>, which resumes
/// from the pending state recorded here: offsets are from the command's first byte either way.
/// </remarks>
internal static class MultibulkSpanParser
{
    public static ParseStatus Parse(
        ReadOnlySpan<byte> span, bool wholeBuffer, RespCommand command, RespLimits limits, out int consumed, out RespError error)
    {
        consumed = 0;
        error = default;
        int declared;
        int position;
        if (command.HasPending && command.PendingOffset <= span.Length)
        {
            declared = command.PendingDeclared;
            position = (int)command.PendingOffset;
        }
        else if (command.HasPending && !wholeBuffer)
        {
            return ParseStatus.NeedMore; // resumes beyond this segment: the sequence parser continues
        }
        else
        {
            command.BeginMultibulk();
            int cr = span[1..].IndexOf((byte)'\r');
            if (cr < 0)
            {
                if (wholeBuffer && span.Length > limits.MaxInlineLength)
                {
                    error = new RespError(RespErrorKind.TooBigMultibulkCountString);
                    return ParseStatus.Error;
                }

                return ParseStatus.NeedMore;
            }

            cr++; // index in span
            if (cr + 1 >= span.Length)
            {
                return ParseStatus.NeedMore; // the byte after CR has not arrived (or lies in the next segment)
            }

            if (!RespInteger.TryParseInt64(span[1..cr], out long count) || count > limits.MaxArguments)
            {
                error = new RespError(RespErrorKind.InvalidMultibulkLength);
                return ParseStatus.Error;
            }

            position = cr + 2;
            if (count <= 0)
            {
                consumed = position;
                return ParseStatus.Complete; // "*0" and "*-1" are ignored
            }

            declared = (int)count;
        }

        while (command.ParsedCount < declared)
        {
            int lineStart = position;
            ReadOnlySpan<byte> rest = span[lineStart..];
            int cr = rest.IndexOf((byte)'\r');
            if (cr < 0)
            {
                if (wholeBuffer && rest.Length > limits.MaxInlineLength)
                {
                    error = new RespError(RespErrorKind.TooBigBulkCountString);
                    return ParseStatus.Error;
                }

                command.SetPending(declared, lineStart);
                return ParseStatus.NeedMore;
            }

            if (cr + 1 >= rest.Length)
            {
                command.SetPending(declared, lineStart);
                return ParseStatus.NeedMore;
            }

            // cr == 0 means the CR itself sits where '$' belongs, and Redis reports that CR.
            byte head = rest[0];
            if (head != (byte)'$')
            {
                error = new RespError(RespErrorKind.ExpectedDollar, head);
                return ParseStatus.Error;
            }

            if (!RespInteger.TryParseInt64(rest[1..cr], out long length) || length < 0 || length > limits.MaxBulkLength)
            {
                error = new RespError(RespErrorKind.InvalidBulkLength);
                return ParseStatus.Error;
            }

            int payload = lineStart + cr + 2;

            // Checked above before waiting for the payload; +2 for the CRLF after it. In long: length may be near 2^31.
            if (span.Length - payload < length + 2)
            {
                command.SetPending(declared, lineStart);
                return ParseStatus.NeedMore;
            }

            command.AddArgument(payload, (int)length, declared);
            position = payload + (int)length + 2;
        }

        consumed = position;
        return ParseStatus.Complete;
    }
}
