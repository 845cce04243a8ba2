namespace FastDht.Engine.Security;

/// <summary>The command categories ACL rules name (<c>+@read</c>, <c>-@write</c>); ACL CAT lists them.</summary>
[Flags]
public enum AclCategory
{
    /// <summary>In no category.</summary>
    None = 0,

    /// <summary>Reads keys (Redis's "readonly" commands, native Get and MultiGet).</summary>
    Read = 1,

    /// <summary>Changes keys (Redis's "write" commands, native Put, PutIfAbsent, Delete, MultiPut and locks).</summary>
    Write = 2,

    /// <summary>Connection and introspection (PING, HELLO, CLUSTER, COMMAND, ...): every authenticated user may run them.</summary>
    Connection = 4,

    /// <summary>Node administration: INFO, CONFIG, FUNCTION, ACL beyond WHOAMI.</summary>
    Admin = 8,

    /// <summary>Touches every key at once (KEYS, SCAN, FLUSHALL, FLUSHDB) or administers the node: needs all keys allowed too.</summary>
    Dangerous = 16,

    /// <summary>Pub/sub.</summary>
    PubSub = 32,

    /// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH: every authenticated user may run them (the queued commands are checked).</summary>
    Transaction = 64,
}
