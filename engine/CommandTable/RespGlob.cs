namespace FastDht.Engine.CommandTable;

/// <summary>Redis's glob patterns (KEYS, SCAN MATCH): <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[^a-z]</c> and <c>\</c> escapes, byte for byte.</summary>
/// <remarks>The same rules as Redis's stringmatchlen, so a pattern selects the same keys here as there.</remarks>
internal static class RespGlob
{
    /// <summary>Whether <paramref name="text"/> matches <paramref name="pattern"/> (case-sensitive).</summary>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text)
    {
        // Backtracking only to the last '*': linear for the patterns people write, and bounded by
        // pattern length x text length in the worst case (Redis limits nesting the same way).
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                while (p < pattern.Length && pattern[p] == '*')
                    p++;
                if (p == pattern.Length)
                    return true;
                starP = p;
                starT = t;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, text[t]))
            {
                t++;
                continue;
            }
            if (starP < 0)
                return false;
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }

    /// <summary>Matches one pattern element at <paramref name="p"/> against <paramref name="c"/>, advancing past the element on success.</summary>
    private static bool MatchOne(ReadOnlySpan<byte> pattern, ref int p, byte c)
    {
        switch (pattern[p])
        {
            case (byte)'?':
                p++;
                return true;
            case (byte)'[':
            {
                var i = p + 1;
                var not = i < pattern.Length && pattern[i] == '^';
                if (not)
                    i++;
                var match = false;
                while (i < pattern.Length && pattern[i] != ']')
                {
                    if (pattern[i] == '\\' && i + 1 < pattern.Length)
                    {
                        i++;
                        match |= pattern[i] == c;
                        i++;
                    }
                    else if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
                    {
                        var lo = pattern[i];
                        var hi = pattern[i + 2];
                        if (lo > hi)
                            (lo, hi) = (hi, lo);
                        match |= c >= lo && c <= hi;
                        i += 3;
                    }
                    else
                    {
                        match |= pattern[i] == c;
                        i++;
                    }
                }
                // An unclosed '[' runs to the end of the pattern, as in Redis.
                if (not)
                    match = !match;
                if (!match)
                    return false;
                p = i < pattern.Length ? i + 1 : i;
                return true;
            }
            case (byte)'\\' when p + 1 < pattern.Length:
                if (pattern[p + 1] != c)
                    return false;
                p += 2;
                return true;
            default:
                if (pattern[p] != c)
                    return false;
                p++;
                return true;
        }
    }
}
