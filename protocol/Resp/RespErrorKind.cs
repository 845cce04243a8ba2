namespace FastDht.Protocol.Resp;

/// <summary>Which protocol error the RESP request parser found; each maps to Redis's exact message.</summary>
public enum RespErrorKind
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>"Protocol error: invalid multibulk length": a <c>*</c> count that is not an integer or is over the limit.</summary>
    InvalidMultibulkLength,

    /// <summary>"Protocol error: invalid bulk length": a <c>$</c> length that is not an integer, negative, or over the limit.</summary>
    InvalidBulkLength,

    /// <summary>"Protocol error: expected '$', got 'X'": an argument header that does not start with <c>$</c>.</summary>
    ExpectedDollar,

    /// <summary>"Protocol error: too big inline request": an inline line over the inline limit.</summary>
    TooBigInlineRequest,

    /// <summary>"Protocol error: too big mbulk count string": no CR after <c>*</c> within the inline limit.</summary>
    TooBigMultibulkCountString,

    /// <summary>"Protocol error: too big bulk count string": no CR after <c>$</c> within the inline limit.</summary>
    TooBigBulkCountString,

    /// <summary>"Protocol error: unbalanced quotes in request": an inline line with an unterminated or misplaced quote.</summary>
    UnbalancedQuotes,
}
