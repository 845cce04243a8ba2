using FastDht.Protocol;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>What a read-modify-write transaction does to one key it changes: store a value (with an expiry, 0 for none) or delete it.</summary>
internal sealed record TxnEffect(TxnWriteKind Kind, ReadOnlyMemory<byte> Value, long ExpiresAt);
