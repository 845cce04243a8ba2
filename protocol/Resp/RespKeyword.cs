namespace FastDht.Protocol.Resp;

/// <summary>Sub-commands and option tokens (CLUSTER SLOTS, CLIENT SETNAME, SET ... NX EX), matched case-insensitively from any argument.</summary>
public enum RespKeyword
{
    /// <summary>Not one FastDht recognises.</summary>
    Unknown = 0,

    /// <summary><c>NX</c></summary>
    Nx,

    /// <summary><c>XX</c></summary>
    Xx,

    /// <summary><c>GET</c></summary>
    Get,

    /// <summary><c>SET</c></summary>
    Set,

    /// <summary><c>EX</c></summary>
    Ex,

    /// <summary><c>PX</c></summary>
    Px,

    /// <summary><c>EXAT</c></summary>
    ExAt,

    /// <summary><c>PXAT</c></summary>
    PxAt,

    /// <summary><c>KEEPTTL</c></summary>
    KeepTtl,

    /// <summary><c>SLOTS</c></summary>
    Slots,

    /// <summary><c>SHARDS</c></summary>
    Shards,

    /// <summary><c>NODES</c></summary>
    Nodes,

    /// <summary><c>INFO</c></summary>
    Info,

    /// <summary><c>KEYSLOT</c></summary>
    KeySlot,

    /// <summary><c>MYID</c></summary>
    MyId,

    /// <summary><c>COUNTKEYSINSLOT</c></summary>
    CountKeysInSlot,

    /// <summary><c>GETKEYSINSLOT</c></summary>
    GetKeysInSlot,

    /// <summary><c>SETNAME</c></summary>
    SetName,

    /// <summary><c>GETNAME</c></summary>
    GetName,

    /// <summary><c>SETINFO</c></summary>
    SetInfo,

    /// <summary><c>LIB-NAME</c></summary>
    LibName,

    /// <summary><c>LIB-VER</c></summary>
    LibVer,

    /// <summary><c>ID</c></summary>
    Id,

    /// <summary><c>LIST</c></summary>
    List,

    /// <summary><c>KILL</c></summary>
    Kill,

    /// <summary><c>TRACKING</c></summary>
    Tracking,

    /// <summary><c>NO-EVICT</c></summary>
    NoEvict,

    /// <summary><c>NO-TOUCH</c></summary>
    NoTouch,

    /// <summary><c>REPLY</c></summary>
    Reply,

    /// <summary><c>ON</c></summary>
    On,

    /// <summary><c>OFF</c></summary>
    Off,

    /// <summary><c>SKIP</c></summary>
    Skip,

    /// <summary><c>DOCS</c></summary>
    Docs,

    /// <summary><c>COUNT</c></summary>
    Count,

    /// <summary><c>HELP</c></summary>
    Help,

    /// <summary><c>RESETSTAT</c></summary>
    ResetStat,

    /// <summary><c>REWRITE</c></summary>
    Rewrite,

    /// <summary><c>AUTH</c></summary>
    Auth,

    /// <summary><c>MATCH</c></summary>
    Match,

    /// <summary><c>TYPE</c></summary>
    Type,

    /// <summary><c>ASYNC</c></summary>
    Async,

    /// <summary><c>SYNC</c></summary>
    Sync,
}
