using System.Buffers;
using System.Text;

namespace FastDht.Protocol.Resp;

/// <summary>A protocol error found by the RESP request parser, rendered exactly as Redis words it.</summary>
/// <remarks>
/// Redis answers a protocol error with one <c>-ERR</c> reply and then closes the connection, because framing no
/// longer holds; a server using this parser should do the same (write <see cref="WriteTo"/>, flush, close).
/// </remarks>
public readonly struct RespError : IEquatable<RespError>
{
    internal RespError(RespErrorKind kind, byte got = 0)
    {
        Kind = kind;
        Got = got;
    }

    /// <summary>Which error; <see cref="RespErrorKind.None"/> when there is none.</summary>
    public RespErrorKind Kind { get; }

    /// <summary>For <see cref="RespErrorKind.ExpectedDollar"/>, the byte found instead of <c>$</c>.</summary>
    public byte Got { get; }

    /// <summary>Whether this value carries an error.</summary>
    public bool IsError => Kind != RespErrorKind.None;

    /// <summary>The message without the <c>-ERR </c> prefix, e.g. "Protocol error: invalid bulk length".</summary>
    /// <remarks>Allocates a string: for logs and tests, not the reply path (use <see cref="WriteTo"/>).</remarks>
    public string Message
    {
        get
        {
            if (Kind == RespErrorKind.ExpectedDollar)
            {
                // Latin-1 maps each byte to one char, so a binary byte shows as itself and never throws.
                return "Protocol error: expected '$', got '" + (char)Sanitize(Got) + "'";
            }

            return Encoding.ASCII.GetString(FixedText(Kind));
        }
    }

    /// <summary>Writes the whole reply, <c>-ERR Protocol error: ...\r\n</c>, as Redis sends it.</summary>
    /// <returns>The number of bytes written.</returns>
    public int WriteTo(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Kind == RespErrorKind.ExpectedDollar)
        {
            ReadOnlySpan<byte> head = "-ERR Protocol error: expected '$', got '"u8;
            int size = head.Length + 1 + 3; // the byte, then "'\r\n"
            Span<byte> span = writer.GetSpan(size);
            head.CopyTo(span);
            span[head.Length] = Sanitize(Got);
            "'\r\n"u8.CopyTo(span[(head.Length + 1)..]);
            writer.Advance(size);
            return size;
        }

        if (Kind == RespErrorKind.None)
        {
            return 0;
        }

        ReadOnlySpan<byte> text = FixedText(Kind);
        int total = 5 + text.Length + 2; // "-ERR " + text + CRLF
        Span<byte> dest = writer.GetSpan(total);
        "-ERR "u8.CopyTo(dest);
        text.CopyTo(dest[5..]);
        "\r\n"u8.CopyTo(dest[(5 + text.Length)..]);
        writer.Advance(total);
        return total;
    }

    public bool Equals(RespError other) => Kind == other.Kind && Got == other.Got;

    public override bool Equals(object? obj) => obj is RespError other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, Got);

    public override string ToString() => IsError ? Message : "none";

    public static bool operator ==(RespError left, RespError right) => left.Equals(right);

    public static bool operator !=(RespError left, RespError right) => !left.Equals(right);

    // Redis replaces CR and LF in a formatted error with spaces so the reply stays one line.
    private static byte Sanitize(byte b) => b is (byte)'\r' or (byte)'\n' ? (byte)' ' : b;

    private static ReadOnlySpan<byte> FixedText(RespErrorKind kind) => kind switch
    {
        RespErrorKind.InvalidMultibulkLength => "Protocol error: invalid multibulk length"u8,
        RespErrorKind.InvalidBulkLength => "Protocol error: invalid bulk length"u8,
        RespErrorKind.TooBigInlineRequest => "Protocol error: too big inline request"u8,
        RespErrorKind.TooBigMultibulkCountString => "Protocol error: too big mbulk count string"u8,
        RespErrorKind.TooBigBulkCountString => "Protocol error: too big bulk count string"u8,
        RespErrorKind.UnbalancedQuotes => "Protocol error: unbalanced quotes in request"u8,
        _ => ""u8,
    };
}
