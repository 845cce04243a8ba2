namespace FastDht.Protocol.Resp;

/// <summary>Integer parsing with Redis's <c>string2ll</c> rules, shared by the framing and by command arguments.</summary>
public static class RespInteger
{
    /// <summary>21: <c>LONG_STR_SIZE</c>; "-9223372036854775808" is 20 bytes, so a longer string cannot be an integer.</summary>
    internal const int MaxLength = 20;

    /// <summary>
    /// Parses a signed 64-bit decimal exactly as Redis does: optional '-', no '+', no spaces, no leading zeros
    /// ("0" alone is fine, "-0" and "007" are not), every byte a digit, and the value in range.
    /// </summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > MaxLength)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        int i = 0;
        bool negative = false;
        if (text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
            if (text.Length == 1)
            {
                return false;
            }
        }

        uint first = (uint)(text[i] - '1');
        if (first > 8)
        {
            return false; // the first digit must be 1-9, so no leading zero and no "-0"
        }

        ulong v = first + 1;
        for (i++; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            // At most 20 bytes, so at most 20 digits: v < 10^19 before the multiply checks fit in ulong.
            if (v > ulong.MaxValue / 10)
            {
                return false;
            }

            v *= 10;
            if (v > ulong.MaxValue - digit)
            {
                return false;
            }

            v += digit;
        }

        if (negative)
        {
            // |long.MinValue| = long.MaxValue + 1.
            if (v > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = (long)(0 - v);
            return true;
        }

        if (v > long.MaxValue)
        {
            return false;
        }

        value = (long)v;
        return true;
    }
}
