namespace FastDht.Engine.Keyspace;

/// <summary>The outcome of a one-call write (<see cref="LocalKeyspace.Put"/>, <see cref="LocalKeyspace.PutIfAbsent"/>, <see cref="LocalKeyspace.Delete"/>).</summary>
internal enum KeyWriteResult : byte
{
    /// <summary>Applied (stored, or removed).</summary>
    Ok,

    /// <summary>PutIfAbsent found the key present: nothing stored.</summary>
    Exists,

    /// <summary>Delete found no key: nothing removed.</summary>
    NotFound,

    /// <summary>Refused: a transaction holds the key.</summary>
    Locked,

    /// <summary>Refused: the fencing token is not the current exclusive grant.</summary>
    StaleFence,

    /// <summary>Refused: the write-ahead log cannot write to disk.</summary>
    LogUnavailable,

    /// <summary>The key's slot is being handed to another node (<see cref="KeyWriteRefusal.Moving"/>): nothing changed; retry.</summary>
    Moving,
}
