using System.Text;

namespace FastDht.Protocol.Internal;

/// <summary>Encoded sizes of body fields, checking each against the wire format's bounds (encoders are called by our own code).</summary>
internal static class WireSize
{
    /// <summary>u16 length + bytes; a key must be 1..65535 bytes.</summary>
    public static int Key(ReadOnlySpan<byte> key)
    {
        if (key.Length == 0 || key.Length > ProtocolConstants.MaxWireKeySize)
        {
            Throw.InvalidKey(key.Length);
        }

        return sizeof(ushort) + key.Length;
    }

    /// <summary>u32 length + bytes.</summary>
    public static long Value(ReadOnlySpan<byte> value) => sizeof(uint) + (long)value.Length;

    /// <summary>UTF-8 byte count of a string field's text, at most 65535.</summary>
    public static int StringBytes(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            Throw.StringTooLong(paramName, count);
        }

        return count;
    }

    /// <summary>Checks a list count fits the u16 count field and meets the minimum.</summary>
    public static void Count(int count, int minimum, string paramName)
    {
        if (count < minimum || count > ProtocolConstants.MaxCount)
        {
            Throw.CountOutOfRange(paramName, count, minimum);
        }
    }
}
