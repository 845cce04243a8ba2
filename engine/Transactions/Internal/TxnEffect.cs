using FastDht.Protocol;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>What a read-modify-write transaction does to one key it changes: store a value (with an expiry, 0 for none, and its data type tag, 0 for a string) or delete it.</summary>
internal sealed record TxnEffect(TxnWriteKind Kind, ReadOnlyMemory<byte> Value, long ExpiresAt, byte Type = 0);
