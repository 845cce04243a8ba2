using System.Diagnostics.CodeAnalysis;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Out-of-line throw sites, so the hot methods that check arguments stay small and inlinable.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName) => throw new ArgumentOutOfRangeException(paramName);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    public static int IfNegative(int value, string paramName)
    {
        if (value < 0)
        {
            ArgumentOutOfRange(paramName);
        }

        return value;
    }

    public static int IfNotPositive(int value, string paramName)
    {
        if (value <= 0)
        {
            ArgumentOutOfRange(paramName);
        }

        return value;
    }
}
