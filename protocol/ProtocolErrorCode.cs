namespace FastDht.Protocol;

/// <summary>What was wrong with received bytes; see <see cref="ProtocolError"/> for the status and whether framing still holds.</summary>
public enum ProtocolErrorCode : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>Header: the length field is below 8, so the frame cannot even hold its header. Fatal.</summary>
    LengthTooSmall,

    /// <summary>Header: the length field exceeds MaxFrameSize. Fatal.</summary>
    FrameTooLarge,

    /// <summary>Header: a reserved flag bit is set. Fatal.</summary>
    ReservedFlags,

    /// <summary>Header: a request with the RESPONSE flag or a non-zero status.</summary>
    NotARequest,

    /// <summary>Header: the opcode is not defined in this protocol version.</summary>
    UnknownOpcode,

    /// <summary>Header: FENCED set on an opcode that takes no fencing token.</summary>
    FenceNotAllowed,

    /// <summary>Body: it ended inside a field, or a length or count claims more bytes than remain.</summary>
    Truncated,

    /// <summary>Body: bytes remain after the last field.</summary>
    TrailingBytes,

    /// <summary>Body: a key is empty or longer than MaxKeySize.</summary>
    InvalidKey,

    /// <summary>Body: a list count is zero where at least one entry is required.</summary>
    EmptyList,

    /// <summary>Body: a string is not valid UTF-8.</summary>
    InvalidString,

    /// <summary>Body: a field holds a value outside its defined range (an enumerated byte, a slot number).</summary>
    OutOfRange,

    /// <summary>Body: a reserved field is not zero.</summary>
    ReservedField,

    /// <summary>Header: ROUTED set on an opcode other than Get, Put, PutIfAbsent and Delete.</summary>
    RoutedNotAllowed,

    /// <summary>Header: EXPIRES set on an opcode other than Put and PutIfAbsent.</summary>
    ExpiresNotAllowed,
}
