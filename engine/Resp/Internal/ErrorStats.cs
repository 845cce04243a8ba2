using System.Text;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Error replies a node sent, by their first word (INFO errorstats) and in all (INFO stats' total_error_replies).</summary>
/// <remarks>
/// Counted as Redis 7's afterErrorReply counts them: the prefix is the word between the leading '-' and the first
/// space within the first 32 bytes of the error, and "ERR" when there is no space there. Errors are rare next to
/// commands, so one lock guards the table; the per-command path never takes it. A client can make up prefixes at will
/// (a script's redis.error_reply), so at most <see cref="MaxPrefixes"/> distinct ones are kept: a new one past that
/// empties the table, which then shows only <c>ERRORSTATS_DISABLED</c> until CONFIG RESETSTAT (as Redis 7.2.5 on).
/// </remarks>
internal sealed class ErrorStats
{
    /// <summary>How many distinct prefixes are kept before the table stops taking new ones.</summary>
    public const int MaxPrefixes = 128;

    // Redis looks for the space within the first 32 bytes of the error (the '-' included).
    private const int PrefixWindow = 32;

    private readonly Lock _sync = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _total;
    private bool _disabled;

    /// <summary>Error replies since start or the last CONFIG RESETSTAT.</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Counts one error reply; <paramref name="reply"/> starts at its '-' (only its first 32 bytes are read).</summary>
    public void Count(ReadOnlySpan<byte> reply)
    {
        var window = reply[..Math.Min(reply.Length, PrefixWindow)];
        var space = window.IndexOf((byte)' ');
        var line = window.IndexOfAny((byte)'\r', (byte)'\n');
        // No space before the end of the line (or the window): Redis falls back to ERR.
        var prefix = space > 1 && (line < 0 || space < line) ? window[1..space] : "ERR"u8;
        Span<char> chars = stackalloc char[PrefixWindow];
        var length = Encoding.Latin1.GetChars(prefix, chars);
        var name = chars[..length];
        lock (_sync)
        {
            _total++;
            if (_disabled)
                return;
            var lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(name, out var count))
            {
                lookup[name] = count + 1;
                return;
            }
            if (_counts.Count >= MaxPrefixes)
            {
                _counts.Clear();
                _counts["ERRORSTATS_DISABLED"] = 1;
                _disabled = true;
                return;
            }
            lookup[name] = 1;
        }
    }

    /// <summary>CONFIG RESETSTAT: forgets every count and takes new prefixes again.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            _counts.Clear();
            _total = 0;
            _disabled = false;
        }
    }

    /// <summary>The errorstats section's lines, <c>errorstat_PREFIX:count=N</c>, in prefix order as Redis's radix tree gives them.</summary>
    public void WriteTo(StringBuilder text)
    {
        KeyValuePair<string, long>[] rows;
        lock (_sync)
            rows = [.. _counts];
        Array.Sort(rows, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (prefix, count) in rows)
            // A client's made-up prefix may hold ':', which would break the line's field: replaced as Redis's getSafeInfoString does.
            text.Append("errorstat_").Append(prefix.Replace(':', '_')).Append(":count=").Append(count).Append("\r\n");
    }
}
