using System.Diagnostics.CodeAnalysis;

namespace FastDht.Locking.Internal;

/// <summary>Out-of-line throw sites, so the methods that call them stay small and inlinable.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void DestinationTooSmall(int needed) =>
        throw new ArgumentException($"The destination needs at least {needed} bytes.", "destination");

    [DoesNotReturn]
    public static void SourceTooSmall(int needed) =>
        throw new ArgumentException($"The source needs at least {needed} bytes.", "source");

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void EmptyKey() =>
        throw new ArgumentException("A lock key must not be empty.", "key");

    [DoesNotReturn]
    public static void EmptyTxn() =>
        throw new ArgumentException("The transaction id must not be empty (default).", "txn");

    [DoesNotReturn]
    public static void ConcurrentWait(TxnId txn) =>
        throw new InvalidOperationException(
            $"Transaction {txn} already waits for a lock in this table; a transaction acquires its keys at a participant one at a time.");

    [DoesNotReturn]
    public static void UnknownStrategy(string name, string known) =>
        throw new ArgumentException($"Unknown lock strategy '{name}'. Known strategies: {known}.", nameof(name));

    [DoesNotReturn]
    public static void DuplicateStrategy(string name) =>
        throw new ArgumentException($"A lock strategy named '{name}' is already registered.", nameof(name));

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);
}
