namespace FastDht.Storage;

/// <summary>The Redis data type of a stored value: a tag kept in the entry's metadata, never read by the store itself.</summary>
/// <remarks>
/// The store keeps values as opaque bytes; a collection's bytes are its encoding (the engine's <c>Collections</c>
/// folder reads and writes it). The tag travels with the value everywhere the value goes (the log, snapshots, the
/// replication stream, slot moves, transactions), so every copy of a key knows what its bytes are. The numbers are
/// part of the log and wire formats: never renumber them.
/// </remarks>
public enum EntryType : byte
{
    /// <summary>A plain string (the default: no tag is stored).</summary>
    String = 0,

    /// <summary>A list (Redis LPUSH/RPUSH...).</summary>
    List = 1,

    /// <summary>A hash of fields to values (HSET...).</summary>
    Hash = 2,

    /// <summary>A set of members (SADD...).</summary>
    Set = 3,

    /// <summary>A sorted set of members with scores (ZADD...).</summary>
    SortedSet = 4,

    /// <summary>A stream (XADD...), reserved for the stream commands.</summary>
    Stream = 5,
}
