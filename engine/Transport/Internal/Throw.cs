using System.Diagnostics.CodeAnalysis;

namespace FastDht.Engine.Transport.Internal;

/// <summary>Out-of-line throw sites, so the hot methods that call them stay small and inlinable.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static T InvalidOperation<T>(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void NotSupported(string message) => throw new NotSupportedException(message);

    [DoesNotReturn]
    public static void ObjectDisposed(string name) => throw new ObjectDisposedException(name);

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string name, string message) => throw new ArgumentOutOfRangeException(name, message);

    [DoesNotReturn]
    public static void SynchronizationLock(string message) => throw new SynchronizationLockException(message);
}
