using System.Buffers;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Parses <c>*N\r\n$len\r\narg\r\n...</c>, mirroring Redis's <c>processMultibulkBuffer</c> condition by condition.</summary>
/// <remarks>
/// Like Redis, a line ends at the first CR and needs one more byte after it, which is skipped unchecked, and the two
/// bytes after a bulk payload are skipped unchecked too: a client that sends something else gets what Redis gives it.
/// </remarks>
internal static class MultibulkParser
{
    public static ParseStatus Parse(
        in ReadOnlySequence<byte> buffer, RespCommand command, RespLimits limits, out long consumed, out RespError error)
    {
        consumed = 0;
        error = default;
        var reader = new SequenceReader<byte>(buffer);
        int declared;
        if (command.HasPending && command.PendingOffset <= buffer.Length)
        {
            // The same command, with more bytes behind it: continue at the first argument not yet recorded.
            declared = command.PendingDeclared;
            reader.Advance(command.PendingOffset);
        }
        else
        {
            command.BeginMultibulk();
            reader.Advance(1); // the '*'
            if (!reader.TryReadTo(out ReadOnlySequence<byte> countLine, (byte)'\r'))
            {
                if (buffer.Length > limits.MaxInlineLength)
                {
                    error = new RespError(RespErrorKind.TooBigMultibulkCountString);
                    return ParseStatus.Error;
                }

                return ParseStatus.NeedMore;
            }

            if (reader.End)
            {
                return ParseStatus.NeedMore; // the byte after CR has not arrived
            }

            reader.Advance(1);
            if (!SequenceBytes.TryParseInt64(countLine, out long count) || count > limits.MaxArguments)
            {
                error = new RespError(RespErrorKind.InvalidMultibulkLength);
                return ParseStatus.Error;
            }

            if (count <= 0)
            {
                // "*0" and "*-1" are consumed and ignored, as Redis does.
                consumed = reader.Consumed;
                command.CompleteMultibulk(buffer.Slice(0, consumed));
                return ParseStatus.Complete;
            }

            declared = (int)count;
        }

        while (command.ParsedCount < declared)
        {
            long lineStart = reader.Consumed;
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\r'))
            {
                if (reader.Remaining > limits.MaxInlineLength)
                {
                    error = new RespError(RespErrorKind.TooBigBulkCountString);
                    return ParseStatus.Error;
                }

                command.SetPending(declared, lineStart);
                return ParseStatus.NeedMore;
            }

            if (reader.End)
            {
                command.SetPending(declared, lineStart);
                return ParseStatus.NeedMore;
            }

            reader.Advance(1);

            // An empty line means the CR itself sits where '$' belongs, and Redis reports that CR.
            byte head = line.IsEmpty ? (byte)'\r' : SequenceBytes.First(line);
            if (head != (byte)'$')
            {
                error = new RespError(RespErrorKind.ExpectedDollar, head);
                return ParseStatus.Error;
            }

            if (!SequenceBytes.TryParseInt64(line.Slice(1), out long length) || length < 0 || length > limits.MaxBulkLength)
            {
                error = new RespError(RespErrorKind.InvalidBulkLength);
                return ParseStatus.Error;
            }

            // The length is checked above, before waiting for its payload; +2 for the CRLF after it.
            if (reader.Remaining < length + 2)
            {
                command.SetPending(declared, lineStart);
                return ParseStatus.NeedMore;
            }

            command.AddArgument(reader.Consumed, (int)length, declared);
            reader.Advance(length + 2);
        }

        consumed = reader.Consumed;
        command.CompleteMultibulk(buffer.Slice(0, consumed));
        return ParseStatus.Complete;
    }
}
