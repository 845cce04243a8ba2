namespace FastDht.Protocol.Resp;

/// <summary>Precomputed whole replies, written with one copy: the answers most commands give.</summary>
/// <remarks>Each is a constant in the assembly's data section, so taking one allocates nothing.</remarks>
public static class RespReplies
{
    /// <summary><c>+OK</c>.</summary>
    public static ReadOnlySpan<byte> Ok => "+OK\r\n"u8;

    /// <summary><c>+PONG</c>.</summary>
    public static ReadOnlySpan<byte> Pong => "+PONG\r\n"u8;

    /// <summary><c>+QUEUED</c>.</summary>
    public static ReadOnlySpan<byte> Queued => "+QUEUED\r\n"u8;

    /// <summary><c>:0</c>.</summary>
    public static ReadOnlySpan<byte> Zero => ":0\r\n"u8;

    /// <summary><c>:1</c>.</summary>
    public static ReadOnlySpan<byte> One => ":1\r\n"u8;

    /// <summary><c>:-1</c> (TTL of a key with no expiry).</summary>
    public static ReadOnlySpan<byte> MinusOne => ":-1\r\n"u8;

    /// <summary><c>:-2</c> (TTL of a missing key).</summary>
    public static ReadOnlySpan<byte> MinusTwo => ":-2\r\n"u8;

    /// <summary>RESP2 null bulk string, <c>$-1</c>: GET of a missing key.</summary>
    public static ReadOnlySpan<byte> NullBulk => "$-1\r\n"u8;

    /// <summary>RESP2 null array, <c>*-1</c>.</summary>
    public static ReadOnlySpan<byte> NullArray => "*-1\r\n"u8;

    /// <summary>An empty bulk string, <c>$0</c>.</summary>
    public static ReadOnlySpan<byte> EmptyBulk => "$0\r\n\r\n"u8;

    /// <summary>An empty array, <c>*0</c>.</summary>
    public static ReadOnlySpan<byte> EmptyArray => "*0\r\n"u8;

    /// <summary>RESP3 null, <c>_</c>.</summary>
    public static ReadOnlySpan<byte> Null3 => "_\r\n"u8;

    /// <summary>RESP3 true, <c>#t</c>.</summary>
    public static ReadOnlySpan<byte> True => "#t\r\n"u8;

    /// <summary>RESP3 false, <c>#f</c>.</summary>
    public static ReadOnlySpan<byte> False => "#f\r\n"u8;

    /// <summary>Redis's reply when an argument is not a valid 64-bit integer.</summary>
    public static ReadOnlySpan<byte> NotAnInteger => "-ERR value is not an integer or out of range\r\n"u8;

    /// <summary>Redis's reply to bad option syntax.</summary>
    public static ReadOnlySpan<byte> SyntaxError => "-ERR syntax error\r\n"u8;

    /// <summary>Redis's reply when an INCR-family result would overflow.</summary>
    public static ReadOnlySpan<byte> IncrementOverflow => "-ERR increment or decrement would overflow\r\n"u8;

    /// <summary>Redis's reply to an operation on a key of another type.</summary>
    public static ReadOnlySpan<byte> WrongType =>
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"u8;

    /// <summary>Redis's reply to a multi-key command whose keys hash to different slots.</summary>
    public static ReadOnlySpan<byte> CrossSlot => "-CROSSSLOT Keys in request don't hash to the same slot\r\n"u8;

    /// <summary>Redis Cluster's reply to SELECT with a database other than 0.</summary>
    public static ReadOnlySpan<byte> SelectNotAllowed => "-ERR SELECT is not allowed in cluster mode\r\n"u8;

    /// <summary>Redis's reply to HELLO with a protocol version it does not speak.</summary>
    public static ReadOnlySpan<byte> NoProto => "-NOPROTO unsupported protocol version\r\n"u8;
}
