using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp.Internal;

namespace FastDht.Protocol.Resp;

/// <summary>One parsed Redis command: its kind and where each argument lies; one instance per connection, reused.</summary>
/// <remarks>
/// <para>
/// <see cref="RespRequestReader.TryRead"/> fills it in place. Arguments are not copied: each is a position in the
/// buffer the command was parsed from, and <see cref="GetArgument"/> returns a span straight over that memory. Only an
/// argument that straddles two buffer segments is copied, on first access, into the command's own scratch buffer;
/// inline commands (whose quoting must be undone) live in the scratch buffer too.
/// </para>
/// <para>
/// Lifetime: the spans and sequences it hands out are valid until the caller advances its pipe past the command
/// (that memory then goes back to the pipe's pool) or calls <see cref="RespRequestReader.TryRead"/> again,
/// whichever comes first. Copy what must outlive that (a stored value, say) into memory you own.
/// </para>
/// <para>Not thread-safe: it belongs to one connection's read loop. Dispose it with the connection to return its
/// scratch buffer to the pool.</para>
/// </remarks>
public sealed class RespCommand : IDisposable
{
    // 8: GET, SET with options, and the handshake commands all fit, so the common connection never grows these.
    private const int InitialCapacity = 8;

    // 1 MiB: a connection that once received a huge straddling value gives that memory back rather than pinning it.
    private const int ScratchRetainLimit = 1024 * 1024;

    // 65,536 arguments (about 2 MiB of tables): a connection that once sent a command of millions of arguments gives
    // the tables back at its next command rather than pinning them.
    private const int ArgumentsRetainLimit = 64 * 1024;

    /// <summary>The bytes the command keeps per argument at most: its offset and length, and for a command spread over several buffer segments its position, scratch place and copied mark.</summary>
    /// <remarks>8 + 4 + 16 + 4 + 1 = 33. A node bounds a command's argument count by what its connection may buffer divided by this.</remarks>
    public const int BytesPerArgument = sizeof(long) + sizeof(int) + 16 + sizeof(int) + sizeof(bool);

    private long[] _offsets = new long[InitialCapacity];
    private int[] _lengths = new int[InitialCapacity];
    private SequencePosition[] _positions = [];
    private int[] _scratchAt = [];
    private bool[] _copied = [];
    private byte[] _scratch = [];
    private int _count;
    private bool _ready;
    private bool _inline;
    private bool _singleSegment;
    private ReadOnlySequence<byte> _source;
    private ReadOnlyMemory<byte> _single;

    // Resume state of a multibulk command whose bytes have only partly arrived: the declared argument count and
    // the offset (from the command's first byte) of the first argument header not yet fully parsed. It lets a
    // slowly arriving command with many arguments be parsed in linear total time instead of from the top on every read.
    private bool _pending;
    private int _pendingDeclared;
    private long _pendingOffset;

    /// <summary>The command's kind, from its first argument; <see cref="RespCommandKind.Unknown"/> if not one FastDht knows.</summary>
    public RespCommandKind Kind { get; private set; }

    /// <summary>The number of arguments, the command name included; 0 until a command has been read.</summary>
    public int Count => _ready ? _count : 0;

    /// <summary>Whether the command came as an inline line (telnet style) rather than a multibulk array.</summary>
    public bool IsInline => _ready && _inline;

    /// <summary>The argument at <paramref name="index"/> (0 is the command name).</summary>
    public ReadOnlySpan<byte> this[int index] => GetArgument(index);

    /// <summary>The argument at <paramref name="index"/> as a span, copied only if it straddles buffer segments.</summary>
    public ReadOnlySpan<byte> GetArgument(int index)
    {
        CheckIndex(index);
        int length = _lengths[index];
        if (_inline)
        {
            return new ReadOnlySpan<byte>(_scratch, (int)_offsets[index], length);
        }

        if (_singleSegment)
        {
            return _single.Span.Slice((int)_offsets[index], length);
        }

        return GetMultiSegmentArgument(index, length);
    }

    /// <summary>The argument at <paramref name="index"/> as a sequence over the original memory: never copies.</summary>
    /// <remarks>For a large value a handler stores: it can copy the segments straight into its own memory.</remarks>
    public ReadOnlySequence<byte> GetArgumentSequence(int index)
    {
        CheckIndex(index);
        int length = _lengths[index];
        if (_inline)
        {
            return new ReadOnlySequence<byte>(_scratch, (int)_offsets[index], length);
        }

        if (_singleSegment)
        {
            return new ReadOnlySequence<byte>(_single.Slice((int)_offsets[index], length));
        }

        return _source.Slice(_positions[index], length);
    }

    /// <summary>The length in bytes of the argument at <paramref name="index"/>.</summary>
    public int GetArgumentLength(int index)
    {
        CheckIndex(index);
        return _lengths[index];
    }

    /// <summary>Whether the argument equals <paramref name="asciiText"/>, ignoring ASCII case (for sub-commands and options).</summary>
    public bool ArgumentEquals(int index, ReadOnlySpan<byte> asciiText) =>
        GetArgumentLength(index) == asciiText.Length && Ascii.EqualsIgnoreCase(GetArgument(index), asciiText);

    /// <summary>The argument as a sub-command or option token (SLOTS, SETNAME, NX, EX...), or <see cref="RespKeyword.Unknown"/>.</summary>
    public RespKeyword GetKeyword(int index) => RespKeywordTable.Identify(GetArgument(index));

    /// <summary>Parses the argument as a 64-bit integer with Redis's rules.</summary>
    /// <remarks>On false, reply with <see cref="RespReplies.NotAnInteger"/>, as Redis does.</remarks>
    public bool TryGetInt64(int index, out long value) => RespInteger.TryParseInt64(GetArgument(index), out value);

    /// <summary>Forgets the current command and any partly parsed one; call it when the command is reused for another stream.</summary>
    public void Reset()
    {
        _ready = false;
        _pending = false;
        _count = 0;
        _source = default;
        _single = default;
        Kind = RespCommandKind.Unknown;
    }

    /// <summary>Returns the scratch buffer to the pool; the command must not be used afterwards.</summary>
    public void Dispose()
    {
        Reset();
        ReturnScratch();
    }

    /// <summary>The argument names, for debugging; allocates.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < Count; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            text.Append(Encoding.Latin1.GetString(GetArgument(i)));
        }

        return text.ToString();
    }

    /// <summary>The bytes the command's argument tables and scratch buffer hold now (what a connection's memory budget counts besides its buffered input).</summary>
    public long RetainedBytes =>
        (_offsets.Length * (long)(sizeof(long) + sizeof(int))) + (_positions.Length * (long)(16 + sizeof(int) + sizeof(bool))) + _scratch.Length;

    internal bool HasPending => _pending;

    internal int PendingDeclared => _pendingDeclared;

    internal long PendingOffset => _pendingOffset;

    /// <summary>Arguments recorded so far, whether or not the command is complete.</summary>
    internal int ParsedCount => _count;

    internal void BeginMultibulk()
    {
        if (_offsets.Length > ArgumentsRetainLimit)
        {
            _offsets = new long[InitialCapacity];
            _lengths = new int[InitialCapacity];
            _positions = [];
            _scratchAt = [];
            _copied = [];
        }

        _ready = false;
        _pending = false;
        _inline = false;
        _count = 0;
        Kind = RespCommandKind.Unknown;
    }

    internal void AddArgument(long offset, int length, int declared = int.MaxValue)
    {
        if (_count == _offsets.Length)
        {
            Grow(declared);
        }

        _offsets[_count] = offset;
        _lengths[_count] = length;
        _count++;
    }

    internal void SetPending(int declared, long offset)
    {
        _pending = true;
        _pendingDeclared = declared;
        _pendingOffset = offset;
    }

    internal void ClearPending() => _pending = false;

    /// <summary>Withdraws the previous command, whose memory the caller may already have released.</summary>
    internal void ClearReady()
    {
        _ready = false;
        Kind = RespCommandKind.Unknown;
    }

    internal void CompleteMultibulk(in ReadOnlySequence<byte> source)
    {
        _pending = false;
        _source = source;
        _singleSegment = source.IsSingleSegment;
        if (_singleSegment)
        {
            _single = source.First;
        }
        else
        {
            LocateSegments(source);
        }

        _ready = true;
    }

    /// <summary>Prepares the scratch buffer to receive an inline line of <paramref name="length"/> bytes.</summary>
    internal Span<byte> BeginInline(int length)
    {
        _ready = false;
        _pending = false;
        _inline = true;
        _count = 0;
        Kind = RespCommandKind.Unknown;
        EnsureScratch(length);
        return _scratch.AsSpan(0, length);
    }

    internal void CompleteInline()
    {
        _source = default;
        _single = default;
        _ready = true;
    }

    internal void SetKind(RespCommandKind kind) => Kind = kind;

    private void CheckIndex(int index)
    {
        if (!_ready || (uint)index >= (uint)_count)
        {
            Throw.ArgumentOutOfRange(nameof(index));
        }
    }

    private ReadOnlySpan<byte> GetMultiSegmentArgument(int index, int length)
    {
        ReadOnlySequence<byte> argument = _source.Slice(_positions[index], length);
        int at = _scratchAt[index];
        if (at < 0)
        {
            if (!argument.IsSingleSegment)
            {
                Throw.InvalidOperation("The command's straddling arguments exceed one array; use GetArgumentSequence.");
            }

            return argument.FirstSpan;
        }

        Span<byte> copy = _scratch.AsSpan(at, length);
        if (!_copied[index])
        {
            argument.CopyTo(copy);
            _copied[index] = true;
        }

        return copy;
    }

    // One pass over a multi-segment command: remember where each argument starts (so access does not walk the
    // segments from the top) and reserve a distinct scratch region for each argument that straddles a boundary,
    // so spans handed out for two straddling arguments never overlap.
    private void LocateSegments(in ReadOnlySequence<byte> source)
    {
        if (_positions.Length < _offsets.Length)
        {
            _positions = new SequencePosition[_offsets.Length];
            _scratchAt = new int[_offsets.Length];
            _copied = new bool[_offsets.Length];
        }

        var reader = new SequenceReader<byte>(source);
        long scratchNeeded = 0;
        for (int i = 0; i < _count; i++)
        {
            reader.Advance(_offsets[i] - reader.Consumed);
            SequencePosition start = reader.Position;
            _positions[i] = start;
            _copied[i] = false;
            int length = _lengths[i];
            if (source.Slice(start, length).IsSingleSegment)
            {
                _scratchAt[i] = -1;
            }
            else
            {
                // Each argument is at most MaxBulkLength (an int), but their sum may not be: cap it below.
                _scratchAt[i] = (int)Math.Min(scratchNeeded, int.MaxValue);
                scratchNeeded += length;
            }
        }

        if (scratchNeeded > Array.MaxLength)
        {
            // More straddling bytes than one array holds: possible only with several arguments near 1 GiB each.
            // Such arguments stay reachable through GetArgumentSequence; the span accessor reports the misuse.
            scratchNeeded = 0;
            for (int i = 0; i < _count; i++)
            {
                _scratchAt[i] = -1;
            }
        }

        EnsureScratch((int)scratchNeeded);
    }

    private void EnsureScratch(int needed)
    {
        if (_scratch.Length >= needed && (_scratch.Length <= ScratchRetainLimit || needed > ScratchRetainLimit))
        {
            return;
        }

        ReturnScratch();
        if (needed > 0)
        {
            _scratch = ArrayPool<byte>.Shared.Rent(needed);
        }
    }

    private void ReturnScratch()
    {
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }

    // Doubles, but never past the declared count: a command of 5 million arguments holds tables for 5 million, not 8.
    private void Grow(int declared)
    {
        int size = (int)Math.Clamp(_offsets.Length * 2L, _offsets.Length + 1L, Math.Max(declared, _offsets.Length + 1L));
        Array.Resize(ref _offsets, size);
        Array.Resize(ref _lengths, size);
    }
}
