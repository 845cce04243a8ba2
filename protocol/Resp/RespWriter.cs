using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using FastDht.Protocol.Resp.Internal;

namespace FastDht.Protocol.Resp;

/// <summary>Writes Redis replies (RESP2, and the RESP3 types HELLO 3 needs) into an <see cref="IBufferWriter{T}"/>.</summary>
/// <remarks>
/// Each reply's size is computed first, then one <c>GetSpan(size)</c>, one write, one <c>Advance(size)</c>. The exception
/// is a bulk payload over 4 KiB (the default pipe segment, a <c>MemoryPool</c> block): asking a pipe for one span
/// that large forces a one-off oversized segment, so the payload is copied through the spans the writer offers.
/// Simple strings and errors are one line by definition: a CR or LF in their text is written as a space, as Redis does.
/// </remarks>
public static class RespWriter
{
    private const int SingleSpanLimit = 4096;

    // "-9223372036854775808" is 20 bytes.
    private const int MaxInt64Length = 20;

    /// <summary>Copies a precomputed reply (see <see cref="RespReplies"/>) as is.</summary>
    public static void WriteRaw(IBufferWriter<byte> writer, ReadOnlySpan<byte> reply)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (reply.Length <= SingleSpanLimit)
        {
            Span<byte> span = writer.GetSpan(reply.Length);
            reply.CopyTo(span);
            writer.Advance(reply.Length);
            return;
        }

        CopyChunked(writer, reply);
    }

    /// <summary><c>+text\r\n</c>.</summary>
    public static void WriteSimpleString(IBufferWriter<byte> writer, ReadOnlySpan<byte> text) =>
        WriteLine(writer, (byte)'+', text);

    /// <summary><c>-ERR message\r\n</c>.</summary>
    public static void WriteError(IBufferWriter<byte> writer, ReadOnlySpan<byte> message) =>
        WriteError(writer, RespErrorCodes.Err, message);

    /// <summary><c>-CODE message\r\n</c>, e.g. <c>-WRONGTYPE ...</c> (codes in <see cref="RespErrorCodes"/>).</summary>
    public static void WriteError(IBufferWriter<byte> writer, ReadOnlySpan<byte> code, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int size = 1 + code.Length + 1 + message.Length + 2;
        Span<byte> span = writer.GetSpan(size);
        span[0] = (byte)'-';
        code.CopyTo(span[1..]);
        span[1 + code.Length] = (byte)' ';
        Span<byte> text = span.Slice(2 + code.Length, message.Length);
        message.CopyTo(text);
        text.Replace((byte)'\r', (byte)' ');
        text.Replace((byte)'\n', (byte)' ');
        "\r\n"u8.CopyTo(span[(size - 2)..]);
        writer.Advance(size);
    }

    /// <summary><c>-MOVED slot endpoint\r\n</c>: the slot is served by <paramref name="endpoint"/> (<c>host:port</c>).</summary>
    public static void WriteMoved(IBufferWriter<byte> writer, int slot, ReadOnlySpan<byte> endpoint) =>
        WriteRedirect(writer, RespErrorCodes.Moved, slot, endpoint);

    /// <summary><c>-ASK slot endpoint\r\n</c>: ask <paramref name="endpoint"/> once, for a migrating slot.</summary>
    public static void WriteAsk(IBufferWriter<byte> writer, int slot, ReadOnlySpan<byte> endpoint) =>
        WriteRedirect(writer, RespErrorCodes.Ask, slot, endpoint);

    /// <summary><c>:value\r\n</c>.</summary>
    public static void WriteInteger(IBufferWriter<byte> writer, long value) => WriteNumberLine(writer, (byte)':', value);

    /// <summary><c>$len\r\nvalue\r\n</c>.</summary>
    public static void WriteBulkString(IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> digits = stackalloc byte[MaxInt64Length];
        int digitCount = FormatInt64(value.Length, digits);
        int headerSize = 1 + digitCount + 2;
        int size = headerSize + value.Length + 2;
        if (size <= SingleSpanLimit)
        {
            Span<byte> span = writer.GetSpan(size);
            WriteHeader(span, (byte)'$', digits[..digitCount]);
            value.CopyTo(span[headerSize..]);
            "\r\n"u8.CopyTo(span[(size - 2)..]);
            writer.Advance(size);
            return;
        }

        Span<byte> head = writer.GetSpan(headerSize);
        WriteHeader(head, (byte)'$', digits[..digitCount]);
        writer.Advance(headerSize);
        CopyChunked(writer, value);
        WriteCrlf(writer);
    }

    /// <summary><c>$len\r\nvalue\r\n</c> from a possibly multi-segment value (one stored in pieces, say).</summary>
    public static void WriteBulkString(IBufferWriter<byte> writer, in ReadOnlySequence<byte> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value.IsSingleSegment)
        {
            WriteBulkString(writer, value.FirstSpan);
            return;
        }

        WriteNumberLine(writer, (byte)'$', value.Length);
        foreach (ReadOnlyMemory<byte> segment in value)
        {
            CopyChunked(writer, segment.Span);
        }

        WriteCrlf(writer);
    }

    /// <summary><c>$-1\r\n</c>, the RESP2 null (a missing key). Under RESP3 write <see cref="WriteNull"/> instead.</summary>
    public static void WriteNullBulk(IBufferWriter<byte> writer) => WriteRaw(writer, RespReplies.NullBulk);

    /// <summary><c>*count\r\n</c>, followed by <paramref name="count"/> replies.</summary>
    public static void WriteArrayHeader(IBufferWriter<byte> writer, int count) => WriteAggregateHeader(writer, (byte)'*', count);

    /// <summary><c>*-1\r\n</c>, the RESP2 null array.</summary>
    public static void WriteNullArray(IBufferWriter<byte> writer) => WriteRaw(writer, RespReplies.NullArray);

    /// <summary>RESP3 <c>_\r\n</c>.</summary>
    public static void WriteNull(IBufferWriter<byte> writer) => WriteRaw(writer, RespReplies.Null3);

    /// <summary>RESP3 <c>%pairs\r\n</c>, followed by 2 * <paramref name="pairs"/> replies (key, value, ...).</summary>
    public static void WriteMapHeader(IBufferWriter<byte> writer, int pairs) => WriteAggregateHeader(writer, (byte)'%', pairs);

    /// <summary>RESP3 <c>~count\r\n</c>, followed by <paramref name="count"/> replies.</summary>
    public static void WriteSetHeader(IBufferWriter<byte> writer, int count) => WriteAggregateHeader(writer, (byte)'~', count);

    /// <summary>RESP3 <c>&gt;count\r\n</c>, an out-of-band push (pub/sub message), followed by <paramref name="count"/> replies.</summary>
    public static void WritePushHeader(IBufferWriter<byte> writer, int count) => WriteAggregateHeader(writer, (byte)'>', count);

    /// <summary>RESP3 <c>#t\r\n</c> or <c>#f\r\n</c>.</summary>
    public static void WriteBoolean(IBufferWriter<byte> writer, bool value) =>
        WriteRaw(writer, value ? RespReplies.True : RespReplies.False);

    /// <summary>RESP3 <c>,value\r\n</c>: shortest round-trip form, <c>inf</c>, <c>-inf</c> or <c>nan</c>.</summary>
    public static void WriteDouble(IBufferWriter<byte> writer, double value)
    {
        ArgumentNullException.ThrowIfNull(writer);

        // 32 bytes: the longest "R" form, like "-1.2345678901234567E-308", is 24.
        Span<byte> text = stackalloc byte[32];
        int length;
        if (double.IsNaN(value))
        {
            "nan"u8.CopyTo(text);
            length = 3;
        }
        else if (double.IsPositiveInfinity(value))
        {
            "inf"u8.CopyTo(text);
            length = 3;
        }
        else if (double.IsNegativeInfinity(value))
        {
            "-inf"u8.CopyTo(text);
            length = 4;
        }
        else if (!value.TryFormat(text, out length, "R", CultureInfo.InvariantCulture))
        {
            Throw.InvalidOperation("A double did not fit its 32-byte buffer.");
        }

        WriteLine(writer, (byte)',', text[..length]);
    }

    /// <summary>RESP3 <c>=len\r\nfmt:text\r\n</c>; <paramref name="format"/> is three bytes, <c>txt</c> or <c>mkd</c>.</summary>
    public static void WriteVerbatimString(IBufferWriter<byte> writer, ReadOnlySpan<byte> format, ReadOnlySpan<byte> text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (format.Length != 3)
        {
            Throw.ArgumentOutOfRange(nameof(format));
        }

        int payload = 4 + text.Length; // "txt:" then the text
        Span<byte> digits = stackalloc byte[MaxInt64Length];
        int digitCount = FormatInt64(payload, digits);
        int headerSize = 1 + digitCount + 2;
        Span<byte> head = writer.GetSpan(headerSize + 4);
        WriteHeader(head, (byte)'=', digits[..digitCount]);
        format.CopyTo(head[headerSize..]);
        head[headerSize + 3] = (byte)':';
        writer.Advance(headerSize + 4);
        CopyChunked(writer, text);
        WriteCrlf(writer);
    }

    private static void WriteRedirect(IBufferWriter<byte> writer, ReadOnlySpan<byte> code, int slot, ReadOnlySpan<byte> endpoint)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> digits = stackalloc byte[MaxInt64Length];
        int digitCount = FormatInt64(slot, digits);
        int size = 1 + code.Length + 1 + digitCount + 1 + endpoint.Length + 2;
        Span<byte> span = writer.GetSpan(size);
        int at = 0;
        span[at++] = (byte)'-';
        code.CopyTo(span[at..]);
        at += code.Length;
        span[at++] = (byte)' ';
        digits[..digitCount].CopyTo(span[at..]);
        at += digitCount;
        span[at++] = (byte)' ';
        endpoint.CopyTo(span[at..]);
        at += endpoint.Length;
        "\r\n"u8.CopyTo(span[at..]);
        writer.Advance(size);
    }

    private static void WriteAggregateHeader(IBufferWriter<byte> writer, byte prefix, int count)
    {
        if (count < 0)
        {
            Throw.ArgumentOutOfRange(nameof(count)); // a null aggregate has its own method
        }

        WriteNumberLine(writer, prefix, count);
    }

    private static void WriteNumberLine(IBufferWriter<byte> writer, byte prefix, long value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> digits = stackalloc byte[MaxInt64Length];
        int digitCount = FormatInt64(value, digits);
        int size = 1 + digitCount + 2;
        WriteHeader(writer.GetSpan(size), prefix, digits[..digitCount]);
        writer.Advance(size);
    }

    private static void WriteLine(IBufferWriter<byte> writer, byte prefix, ReadOnlySpan<byte> text)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int size = 1 + text.Length + 2;
        Span<byte> span = writer.GetSpan(size);
        span[0] = prefix;
        Span<byte> body = span.Slice(1, text.Length);
        text.CopyTo(body);
        body.Replace((byte)'\r', (byte)' ');
        body.Replace((byte)'\n', (byte)' ');
        "\r\n"u8.CopyTo(span[(size - 2)..]);
        writer.Advance(size);
    }

    private static void WriteHeader(Span<byte> span, byte prefix, ReadOnlySpan<byte> digits)
    {
        span[0] = prefix;
        digits.CopyTo(span[1..]);
        "\r\n"u8.CopyTo(span[(1 + digits.Length)..]);
    }

    private static void WriteCrlf(IBufferWriter<byte> writer)
    {
        Span<byte> span = writer.GetSpan(2);
        "\r\n"u8.CopyTo(span);
        writer.Advance(2);
    }

    private static int FormatInt64(long value, Span<byte> destination)
    {
        // Utf8Formatter is culture-free and writes plain decimal digits, the only form RESP accepts.
        if (!Utf8Formatter.TryFormat(value, destination, out int written))
        {
            Throw.InvalidOperation("A 64-bit integer did not fit 20 bytes.");
        }

        return written;
    }

    private static void CopyChunked(IBufferWriter<byte> writer, ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            Span<byte> span = writer.GetSpan(1);
            int count = Math.Min(span.Length, source.Length);
            source[..count].CopyTo(span);
            writer.Advance(count);
            source = source[count..];
        }
    }
}
