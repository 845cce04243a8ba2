namespace FastDht.Locking;

/// <summary>A test on a key's bytes (which keys a query is about, such as the keys of the slots a node is moving away).</summary>
public delegate bool KeyPredicate(ReadOnlySpan<byte> key);
