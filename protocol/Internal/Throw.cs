using System.Diagnostics.CodeAnalysis;

namespace FastDht.Protocol.Internal;

/// <summary>Out-of-line throw sites, so the encoding and decoding methods stay small and inlinable.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void InvalidKey(int length) =>
        throw new ArgumentOutOfRangeException("key", length, "a key must be 1 to 65535 bytes");

    [DoesNotReturn]
    public static void StringTooLong(string paramName, int byteCount) =>
        throw new ArgumentOutOfRangeException(paramName, byteCount, "a string must encode to at most 65535 UTF-8 bytes");

    [DoesNotReturn]
    public static void CountOutOfRange(string paramName, int count, int minimum) =>
        throw new ArgumentOutOfRangeException(paramName, count, $"a list must hold {minimum} to 65535 entries");

    [DoesNotReturn]
    public static void FrameTooLarge(long length) =>
        throw new ArgumentOutOfRangeException("length", length, "the frame exceeds the 1 GiB protocol cap");

    [DoesNotReturn]
    public static void ScratchTooSmall(int needed) =>
        throw new ArgumentException($"the scratch buffer must hold {needed} bytes", "scratch");

    [DoesNotReturn]
    public static void BufferWriterTooSmall(int needed) =>
        throw new InvalidOperationException($"the buffer writer returned a span smaller than the {needed} bytes requested");

    [DoesNotReturn]
    public static void NotAnErrorStatus(StatusCode status) =>
        throw new ArgumentOutOfRangeException(nameof(status), status, "an error response needs a status of 0x100 or above");

    [DoesNotReturn]
    public static void IsAnErrorStatus(StatusCode status) =>
        throw new ArgumentOutOfRangeException(nameof(status), status, "an error status needs an error body: use WriteErrorResponse");
}
