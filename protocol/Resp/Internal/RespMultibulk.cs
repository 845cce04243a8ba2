using System.Buffers.Text;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Sizes and header lines of a command re-encoded as a RESP multibulk (for carrying it to another node).</summary>
internal static class RespMultibulk
{
    /// <summary>The longest header line: a marker, up to 11 digits of an int, CR LF.</summary>
    public const int MaxLineLength = 1 + 11 + 2;

    /// <summary>Bytes of <c>*N\r\n</c> followed by <c>$len\r\n arg \r\n</c> for every argument.</summary>
    public static long Size(RespCommand command)
    {
        long size = LineLength(command.Count);
        for (int i = 0; i < command.Count; i++)
        {
            int length = command.GetArgumentLength(i);
            size += LineLength(length) + length + 2;
        }

        return size;
    }

    /// <summary>Writes <c>{marker}{value}\r\n</c>; returns its length.</summary>
    public static int FormatLine(Span<byte> destination, byte marker, int value)
    {
        destination[0] = marker;
        Utf8Formatter.TryFormat(value, destination[1..], out int digits);
        destination[1 + digits] = (byte)'\r';
        destination[2 + digits] = (byte)'\n';
        return digits + 3;
    }

    private static int LineLength(int value) => 3 + Digits(value);

    private static int Digits(int value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
