namespace FastDht.Protocol.Resp.Internal;

/// <summary>Splits an inline line into arguments with the quoting rules of Redis's <c>sdssplitargs</c>.</summary>
/// <remarks>
/// Arguments are separated by spaces; <c>"..."</c> understands <c>\n \r \t \b \a \\ \"</c> and <c>\xHH</c> (any other
/// escaped byte stands for itself); <c>'...'</c> understands only <c>\'</c>. A closing quote must be followed by a
/// space or the end of the line. The line is a C string to Redis, so a NUL byte ends it.
/// </remarks>
internal static class InlineSplitter
{
    /// <summary>Unquotes <paramref name="line"/> in place, recording each argument; false on unbalanced quotes.</summary>
    public static bool Split(Span<byte> line, RespCommand command)
    {
        int end = line.IndexOf((byte)0);
        if (end < 0)
        {
            end = line.Length;
        }

        // Invariant: write <= read, since every output byte consumes at least one input byte; so writing in place
        // never overwrites a byte not yet read.
        int read = 0;
        int write = 0;
        while (true)
        {
            while (read < end && IsSpace(line[read]))
            {
                read++;
            }

            if (read >= end)
            {
                return true;
            }

            int start = write;
            bool inDouble = false;
            bool inSingle = false;
            bool done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (read >= end)
                    {
                        return false; // unterminated "..."
                    }

                    byte c = line[read];
                    if (c == (byte)'\\' && read + 3 < end && line[read + 1] == (byte)'x'
                        && IsHex(line[read + 2]) && IsHex(line[read + 3]))
                    {
                        line[write++] = (byte)((HexValue(line[read + 2]) << 4) | HexValue(line[read + 3]));
                        read += 4;
                    }
                    else if (c == (byte)'\\' && read + 1 < end)
                    {
                        line[write++] = Unescape(line[read + 1]);
                        read += 2;
                    }
                    else if (c == (byte)'"')
                    {
                        if (read + 1 < end && !IsSpace(line[read + 1]))
                        {
                            return false; // "foo"bar
                        }

                        read++;
                        done = true;
                    }
                    else
                    {
                        line[write++] = c;
                        read++;
                    }
                }
                else if (inSingle)
                {
                    if (read >= end)
                    {
                        return false; // unterminated '...'
                    }

                    byte c = line[read];
                    if (c == (byte)'\\' && read + 1 < end && line[read + 1] == (byte)'\'')
                    {
                        line[write++] = (byte)'\'';
                        read += 2;
                    }
                    else if (c == (byte)'\'')
                    {
                        if (read + 1 < end && !IsSpace(line[read + 1]))
                        {
                            return false;
                        }

                        read++;
                        done = true;
                    }
                    else
                    {
                        line[write++] = c;
                        read++;
                    }
                }
                else if (read >= end)
                {
                    done = true;
                }
                else
                {
                    byte c = line[read];
                    switch (c)
                    {
                        // Only these four end an unquoted word (sdssplitargs' switch), though \v and \f are
                        // skipped as leading space.
                        case (byte)' ':
                        case (byte)'\n':
                        case (byte)'\r':
                        case (byte)'\t':
                            read++;
                            done = true;
                            break;
                        case (byte)'"':
                            inDouble = true;
                            read++;
                            break;
                        case (byte)'\'':
                            inSingle = true;
                            read++;
                            break;
                        default:
                            line[write++] = c;
                            read++;
                            break;
                    }
                }
            }

            command.AddArgument(start, write - start);
        }
    }

    // C isspace in the "C" locale.
    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static byte Unescape(byte c) => c switch
    {
        (byte)'n' => (byte)'\n',
        (byte)'r' => (byte)'\r',
        (byte)'t' => (byte)'\t',
        (byte)'b' => (byte)'\b',
        (byte)'a' => (byte)'\a',
        _ => c,
    };
}
