namespace FastDht.Protocol;

/// <summary>A typed decoding error: what was wrong, the status to answer with, and whether to close the connection.</summary>
/// <remarks>
/// Creating one allocates nothing: it holds the code, the byte offset and up to two numbers, and the
/// message is formatted only when <see cref="Message"/> is read (on the error path).
/// </remarks>
public readonly struct ProtocolError
{
    private readonly long _actual;
    private readonly long _limit;

    internal ProtocolError(ProtocolErrorCode code, int offset, long actual = 0, long limit = 0)
    {
        Code = code;
        Offset = offset;
        _actual = actual;
        _limit = limit;
    }

    /// <summary>What went wrong; <see cref="ProtocolErrorCode.None"/> when there is no error.</summary>
    public ProtocolErrorCode Code { get; }

    /// <summary>Byte offset of the offending field, from the start of the body (or of the frame for header errors).</summary>
    public int Offset { get; }

    /// <summary>True when there is no error (a false TryRead then means "need more bytes").</summary>
    public bool IsNone => Code == ProtocolErrorCode.None;

    /// <summary>
    /// True when framing no longer holds (bad length, reserved flags, oversized frame): answer if
    /// possible, then close the connection. Otherwise answer and keep the connection.
    /// </summary>
    public bool IsFatal => Code is ProtocolErrorCode.LengthTooSmall or ProtocolErrorCode.FrameTooLarge or ProtocolErrorCode.ReservedFlags;

    /// <summary>The status code a node answers this error with.</summary>
    public StatusCode Status => Code switch
    {
        ProtocolErrorCode.None => StatusCode.Ok,
        ProtocolErrorCode.FrameTooLarge => StatusCode.FrameTooLarge,
        ProtocolErrorCode.UnknownOpcode => StatusCode.UnknownOpcode,
        ProtocolErrorCode.InvalidKey => StatusCode.InvalidKey,
        _ => StatusCode.BadRequest,
    };

    /// <summary>A one-line description for the error body and the log; formatted on each read.</summary>
    public string Message => Code switch
    {
        ProtocolErrorCode.None => "no error",
        ProtocolErrorCode.LengthTooSmall => $"frame length {_actual} is below the minimum of 8",
        ProtocolErrorCode.FrameTooLarge => $"frame length {_actual} exceeds the maximum frame size {_limit}",
        ProtocolErrorCode.ReservedFlags => $"reserved flag bits set in flags 0x{_actual:X2}",
        ProtocolErrorCode.NotARequest => "a request must have the RESPONSE flag clear and status 0",
        ProtocolErrorCode.UnknownOpcode => $"unknown opcode 0x{_actual:X2}",
        ProtocolErrorCode.FenceNotAllowed => $"the FENCED flag is not allowed on opcode 0x{_actual:X2}",
        ProtocolErrorCode.RoutedNotAllowed => $"the ROUTED flag is not allowed on opcode 0x{_actual:X2} (single-key requests only)",
        ProtocolErrorCode.ExpiresNotAllowed => $"the EXPIRES flag is not allowed on opcode 0x{_actual:X2} (Put and PutIfAbsent only)",
        ProtocolErrorCode.Truncated => $"body truncated at offset {Offset}: field needs {_actual} bytes, {_limit} remain",
        ProtocolErrorCode.TrailingBytes => $"{_actual} unexpected bytes after the body at offset {Offset}",
        ProtocolErrorCode.InvalidKey => _actual == 0
            ? $"empty key at offset {Offset}"
            : $"key of {_actual} bytes at offset {Offset} exceeds the maximum key size {_limit}",
        ProtocolErrorCode.EmptyList => $"count at offset {Offset} is 0; at least 1 entry is required",
        ProtocolErrorCode.InvalidString => $"string at offset {Offset} is not valid UTF-8",
        ProtocolErrorCode.OutOfRange => $"value {_actual} at offset {Offset} is out of range (max {_limit})",
        ProtocolErrorCode.ReservedField => $"reserved field at offset {Offset} is {_actual}, must be 0",
        _ => $"protocol error {Code}",
    };

    public override string ToString() => IsNone ? "None" : $"{Code}: {Message}";

    internal static ProtocolError LengthTooSmall(uint length) => new(ProtocolErrorCode.LengthTooSmall, 0, length);

    internal static ProtocolError FrameTooLarge(uint length, int max) => new(ProtocolErrorCode.FrameTooLarge, 0, length, max);

    internal static ProtocolError ReservedFlags(byte flags) => new(ProtocolErrorCode.ReservedFlags, 9, flags);

    internal static ProtocolError NotARequest() => new(ProtocolErrorCode.NotARequest, 9);

    internal static ProtocolError UnknownOpcode(byte opcode) => new(ProtocolErrorCode.UnknownOpcode, 8, opcode);

    internal static ProtocolError FenceNotAllowed(byte opcode) => new(ProtocolErrorCode.FenceNotAllowed, 9, opcode);

    internal static ProtocolError RoutedNotAllowed(byte opcode) => new(ProtocolErrorCode.RoutedNotAllowed, 9, opcode);

    internal static ProtocolError ExpiresNotAllowed(byte opcode) => new(ProtocolErrorCode.ExpiresNotAllowed, 9, opcode);

    internal static ProtocolError Truncated(int offset, long needed, int remaining) =>
        new(ProtocolErrorCode.Truncated, offset, needed, remaining);

    internal static ProtocolError TrailingBytes(int offset, int count) => new(ProtocolErrorCode.TrailingBytes, offset, count);

    internal static ProtocolError InvalidKey(int offset, int length, int max) => new(ProtocolErrorCode.InvalidKey, offset, length, max);

    internal static ProtocolError EmptyList(int offset) => new(ProtocolErrorCode.EmptyList, offset);

    internal static ProtocolError InvalidString(int offset) => new(ProtocolErrorCode.InvalidString, offset);

    internal static ProtocolError OutOfRange(int offset, long value, long max) => new(ProtocolErrorCode.OutOfRange, offset, value, max);

    internal static ProtocolError ReservedField(int offset, int value) => new(ProtocolErrorCode.ReservedField, offset, value);
}
