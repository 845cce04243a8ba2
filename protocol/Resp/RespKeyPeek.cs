namespace FastDht.Protocol.Resp;

/// <summary>Finds the first argument of each whole multibulk command at the start of a receive buffer: a hint for warming caches, never for executing.</summary>
/// <remarks>
/// Why: a pipelined read holds many commands; their keys' table slots and entries are cache misses that a lookup
/// takes one after the other. Knowing the keys ahead lets the store start all those misses at once (memory-level
/// parallelism). Argument 1 is the key of GET, SET and most keyed commands; for the others it is some other word,
/// which costs one wasted hint. Only the length headers are read (no command lookup, no validation beyond bounds);
/// anything unexpected (inline commands, a partial command, a bad length) ends the scan, and the parser proper
/// decides what it is. Never throws on any input.
/// </remarks>
public static class RespKeyPeek
{
    /// <summary>Scans whole commands from the start of <paramref name="span"/>, up to <c>keys.Length</c> of them.</summary>
    /// <param name="span">The received bytes, starting at a command's first byte.</param>
    /// <param name="keys">Filled with each scanned command's argument 1 as a range of <paramref name="span"/>; an empty range when the command has no argument 1.</param>
    /// <returns>How many whole commands were scanned (and ranges written).</returns>
    public static int Scan(ReadOnlySpan<byte> span, Span<Range> keys)
    {
        var count = 0;
        var position = 0;
        while (count < keys.Length)
        {
            if (!TryReadHeader(span, (byte)'*', ref position, out var arguments) || arguments < 1)
                return count;
            Range key = default;
            for (var a = 0; a < arguments; a++)
            {
                if (!TryReadHeader(span, (byte)'$', ref position, out var length) || span.Length - position < (long)length + 2)
                    return count;
                if (a == 1)
                    key = new Range(position, position + length);
                position += length + 2;
            }
            keys[count++] = key;
        }
        return count;
    }

    /// <summary>Reads "&lt;prefix&gt;&lt;digits&gt;\r\n" at <paramref name="position"/> (up to 9 digits, so no overflow) and moves past it.</summary>
    private static bool TryReadHeader(ReadOnlySpan<byte> span, byte prefix, ref int position, out int value)
    {
        value = 0;
        var i = position;
        if ((uint)i >= (uint)span.Length || span[i] != prefix)
            return false;
        i++;
        var start = i;
        while (i < span.Length && i - start < 9 && (uint)(span[i] - '0') <= 9)
            value = value * 10 + (span[i++] - '0');
        if (i == start || span.Length - i < 2 || span[i] != '\r' || span[i + 1] != '\n')
            return false;
        position = i + 2;
        return true;
    }
}
