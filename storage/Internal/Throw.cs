using System.Diagnostics.CodeAnalysis;

namespace FastDht.Storage.Internal;

/// <summary>Throw sites kept out of line so the hot methods that call them stay small and inlinable.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void EntryTooLarge(long length) =>
        throw new ArgumentException($"A key and value of {length} bytes in total exceed the largest array .NET can allocate.");

    [DoesNotReturn]
    public static void SlotOutOfRange(int slot) =>
        throw new InvalidOperationException($"The store's slot function returned {slot}; a slot must lie in [0, {StoreOptions.SlotCount}).");

    [DoesNotReturn]
    public static void BadCursor(ulong cursor) =>
        throw new ArgumentOutOfRangeException(nameof(cursor), $"Cursor {cursor} was not returned by this store's enumeration.");
}
