namespace FastDht.Protocol.Resp;

/// <summary>Hard caps the RESP request parser enforces before it buffers or allocates anything.</summary>
/// <remarks>
/// <para>
/// Every limit is a security matter: the parser checks a declared length against these caps as soon as the
/// header is read, before it waits for the payload, so a lying header cannot make the node buffer gigabytes.
/// A node that accepts connections from untrusted clients should lower <see cref="MaxBulkLength"/> to the
/// largest value it stores (its maximum frame size), since the defaults mirror Redis and allow 512 MiB per
/// argument.
/// </para>
/// <para>Defaults: <see cref="MaxBulkLength"/> 512 MiB, <see cref="MaxArguments"/> 2,147,483,647 (Redis 7's),
/// <see cref="MaxInlineLength"/> 64 KiB.</para>
/// </remarks>
public sealed class RespLimits
{
    /// <summary>512 MiB: Redis's default <c>proto-max-bulk-len</c>.</summary>
    public const int DefaultMaxBulkLength = 512 * 1024 * 1024;

    /// <summary>2,147,483,647 (<c>INT_MAX</c>): the multibulk count Redis 7 rejects above (Redis 6 and earlier: 1024 * 1024).</summary>
    public const int DefaultMaxArguments = int.MaxValue;

    /// <summary>64 KiB: Redis's <c>PROTO_INLINE_MAX_SIZE</c>.</summary>
    public const int DefaultMaxInlineLength = 64 * 1024;

    private readonly int _maxBulkLength = DefaultMaxBulkLength;
    private readonly int _maxArguments = DefaultMaxArguments;
    private readonly int _maxInlineLength = DefaultMaxInlineLength;

    /// <summary>The limits Redis applies by default.</summary>
    public static RespLimits Default { get; } = new();

    /// <summary>The largest bulk string (one argument) a command may declare, in bytes.</summary>
    /// <remarks>
    /// Defaults to 512 MiB (<c>proto-max-bulk-len</c>). A larger declared length is rejected with
    /// "Protocol error: invalid bulk length" before any payload is awaited. Security: this bounds how much one
    /// connection can make the node buffer for a single argument; the node should set it to its value limit.
    /// </remarks>
    public int MaxBulkLength
    {
        get => _maxBulkLength;
        init => _maxBulkLength = Internal.Throw.IfNegative(value, nameof(MaxBulkLength));
    }

    /// <summary>The largest argument count a multibulk command may declare.</summary>
    /// <remarks>
    /// Defaults to 2,147,483,647 (Redis 7's limit). A larger count is rejected with "Protocol error: invalid
    /// multibulk length". Security: the argument table grows as arguments arrive (never to the declared count
    /// before they do), up to <see cref="RespCommand.BytesPerArgument"/> bytes per argument, so a node that bounds
    /// what a connection buffers should bound this too, to that bound divided by
    /// <see cref="RespCommand.BytesPerArgument"/>; a command past it is refused from its header.
    /// </remarks>
    public int MaxArguments
    {
        get => _maxArguments;
        init => _maxArguments = Internal.Throw.IfNotPositive(value, nameof(MaxArguments));
    }

    /// <summary>The longest inline command line, and the longest a count line may grow without its CR.</summary>
    /// <remarks>
    /// Defaults to 64 KiB (<c>PROTO_INLINE_MAX_SIZE</c>). An inline line longer than this, or a <c>*</c>/<c>$</c>
    /// count line with no CR within this many buffered bytes, is a protocol error. Security: bounds how much is
    /// buffered and rescanned while a line is incomplete.
    /// </remarks>
    public int MaxInlineLength
    {
        get => _maxInlineLength;
        init => _maxInlineLength = Internal.Throw.IfNotPositive(value, nameof(MaxInlineLength));
    }
}
