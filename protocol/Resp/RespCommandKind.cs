namespace FastDht.Protocol.Resp;

/// <summary>The Redis commands FastDht serves or must answer during a client's handshake, matched case-insensitively from the first argument.</summary>
public enum RespCommandKind
{
    /// <summary>Not one FastDht recognises.</summary>
    Unknown = 0,

    /// <summary><c>PING</c></summary>
    Ping,

    /// <summary><c>ECHO</c></summary>
    Echo,

    /// <summary><c>GET</c></summary>
    Get,

    /// <summary><c>SET</c></summary>
    Set,

    /// <summary><c>SETNX</c></summary>
    SetNx,

    /// <summary><c>SETEX</c></summary>
    SetEx,

    /// <summary><c>PSETEX</c></summary>
    PSetEx,

    /// <summary><c>GETSET</c></summary>
    GetSet,

    /// <summary><c>GETDEL</c></summary>
    GetDel,

    /// <summary><c>DEL</c></summary>
    Del,

    /// <summary><c>UNLINK</c></summary>
    Unlink,

    /// <summary><c>EXISTS</c></summary>
    Exists,

    /// <summary><c>MGET</c></summary>
    MGet,

    /// <summary><c>MSET</c></summary>
    MSet,

    /// <summary><c>MSETNX</c></summary>
    MSetNx,

    /// <summary><c>INCR</c></summary>
    Incr,

    /// <summary><c>INCRBY</c></summary>
    IncrBy,

    /// <summary><c>DECR</c></summary>
    Decr,

    /// <summary><c>DECRBY</c></summary>
    DecrBy,

    /// <summary><c>APPEND</c></summary>
    Append,

    /// <summary><c>STRLEN</c></summary>
    StrLen,

    /// <summary><c>TYPE</c></summary>
    Type,

    /// <summary><c>TTL</c></summary>
    Ttl,

    /// <summary><c>PTTL</c></summary>
    PTtl,

    /// <summary><c>EXPIRE</c></summary>
    Expire,

    /// <summary><c>PEXPIRE</c></summary>
    PExpire,

    /// <summary><c>PERSIST</c></summary>
    Persist,

    /// <summary><c>KEYS</c></summary>
    Keys,

    /// <summary><c>SCAN</c></summary>
    Scan,

    /// <summary><c>DBSIZE</c></summary>
    DbSize,

    /// <summary><c>FLUSHDB</c></summary>
    FlushDb,

    /// <summary><c>FLUSHALL</c></summary>
    FlushAll,

    /// <summary><c>INFO</c></summary>
    Info,

    /// <summary><c>COMMAND</c></summary>
    Command,

    /// <summary><c>CLIENT</c></summary>
    Client,

    /// <summary><c>CONFIG</c></summary>
    Config,

    /// <summary><c>SELECT</c></summary>
    Select,

    /// <summary><c>AUTH</c></summary>
    Auth,

    /// <summary><c>HELLO</c></summary>
    Hello,

    /// <summary><c>QUIT</c></summary>
    Quit,

    /// <summary><c>RESET</c></summary>
    Reset,

    /// <summary><c>ROLE</c></summary>
    Role,

    /// <summary><c>TIME</c></summary>
    Time,

    /// <summary><c>CLUSTER</c></summary>
    Cluster,

    /// <summary><c>READONLY</c></summary>
    ReadOnly,

    /// <summary><c>READWRITE</c></summary>
    ReadWrite,

    /// <summary><c>ASKING</c></summary>
    Asking,

    /// <summary><c>SUBSCRIBE</c></summary>
    Subscribe,

    /// <summary><c>UNSUBSCRIBE</c></summary>
    Unsubscribe,

    /// <summary><c>PSUBSCRIBE</c></summary>
    PSubscribe,

    /// <summary><c>PUNSUBSCRIBE</c></summary>
    PUnsubscribe,

    /// <summary><c>PUBLISH</c></summary>
    Publish,

    /// <summary><c>MULTI</c></summary>
    Multi,

    /// <summary><c>EXEC</c></summary>
    Exec,

    /// <summary><c>DISCARD</c></summary>
    Discard,

    /// <summary><c>WATCH</c></summary>
    Watch,

    /// <summary><c>UNWATCH</c></summary>
    Unwatch,

    /// <summary><c>GETRANGE</c></summary>
    GetRange,

    /// <summary><c>SETRANGE</c></summary>
    SetRange,

    /// <summary><c>SUBSTR</c></summary>
    Substr,

    /// <summary><c>INCRBYFLOAT</c></summary>
    IncrByFloat,

    /// <summary><c>SETBIT</c></summary>
    SetBit,

    /// <summary><c>GETBIT</c></summary>
    GetBit,

    /// <summary><c>BITCOUNT</c></summary>
    BitCount,

    /// <summary><c>BITPOS</c></summary>
    BitPos,

    /// <summary><c>LCS</c></summary>
    Lcs,

    /// <summary><c>TOUCH</c></summary>
    Touch,

    /// <summary><c>FUNCTION</c></summary>
    Function,

    /// <summary><c>EVAL</c></summary>
    Eval,

    /// <summary><c>EVALSHA</c></summary>
    EvalSha,

    /// <summary><c>EVAL_RO</c></summary>
    EvalRo,

    /// <summary><c>EVALSHA_RO</c></summary>
    EvalShaRo,

    /// <summary><c>SCRIPT</c></summary>
    Script,

    /// <summary><c>FCALL</c></summary>
    FCall,

    /// <summary><c>FCALL_RO</c></summary>
    FCallRo,

    /// <summary><c>SHUTDOWN</c></summary>
    Shutdown,

    /// <summary><c>SORT</c></summary>
    Sort,

    /// <summary><c>SORT_RO</c></summary>
    SortRo,

    /// <summary><c>EXPIREAT</c></summary>
    ExpireAt,

    /// <summary><c>PEXPIREAT</c></summary>
    PExpireAt,

    /// <summary><c>EXPIRETIME</c></summary>
    ExpireTime,

    /// <summary><c>PEXPIRETIME</c></summary>
    PExpireTime,

    /// <summary><c>GETEX</c></summary>
    GetEx,

    /// <summary><c>RANDOMKEY</c></summary>
    RandomKey,

    /// <summary><c>MONITOR</c></summary>
    Monitor,

    /// <summary><c>SLOWLOG</c></summary>
    SlowLog,

    /// <summary><c>MEMORY</c></summary>
    Memory,

    /// <summary><c>OBJECT</c></summary>
    Object,

    /// <summary><c>SAVE</c></summary>
    Save,

    /// <summary><c>BGSAVE</c></summary>
    BgSave,

    /// <summary><c>LASTSAVE</c></summary>
    LastSave,

    /// <summary><c>ACL</c></summary>
    Acl,

    /// <summary><c>RENAME</c></summary>
    Rename,

    /// <summary><c>RENAMENX</c></summary>
    RenameNx,

    /// <summary><c>COPY</c></summary>
    Copy,

    /// <summary><c>LPUSH</c></summary>
    LPush,

    /// <summary><c>RPUSH</c></summary>
    RPush,

    /// <summary><c>LPUSHX</c></summary>
    LPushX,

    /// <summary><c>RPUSHX</c></summary>
    RPushX,

    /// <summary><c>LPOP</c></summary>
    LPop,

    /// <summary><c>RPOP</c></summary>
    RPop,

    /// <summary><c>LLEN</c></summary>
    LLen,

    /// <summary><c>LRANGE</c></summary>
    LRange,

    /// <summary><c>LINDEX</c></summary>
    LIndex,

    /// <summary><c>LSET</c></summary>
    LSet,

    /// <summary><c>LINSERT</c></summary>
    LInsert,

    /// <summary><c>LREM</c></summary>
    LRem,

    /// <summary><c>LTRIM</c></summary>
    LTrim,

    /// <summary><c>LPOS</c></summary>
    LPos,

    /// <summary><c>LMOVE</c></summary>
    LMove,

    /// <summary><c>RPOPLPUSH</c></summary>
    RPopLPush,

    /// <summary><c>BLPOP</c></summary>
    BLPop,

    /// <summary><c>BRPOP</c></summary>
    BRPop,

    /// <summary><c>BLMOVE</c></summary>
    BLMove,

    /// <summary><c>BRPOPLPUSH</c></summary>
    BRPopLPush,

    /// <summary><c>HSET</c></summary>
    HSet,

    /// <summary><c>HSETNX</c></summary>
    HSetNx,

    /// <summary><c>HGET</c></summary>
    HGet,

    /// <summary><c>HMSET</c></summary>
    HMSet,

    /// <summary><c>HMGET</c></summary>
    HMGet,

    /// <summary><c>HGETALL</c></summary>
    HGetAll,

    /// <summary><c>HDEL</c></summary>
    HDel,

    /// <summary><c>HEXISTS</c></summary>
    HExists,

    /// <summary><c>HLEN</c></summary>
    HLen,

    /// <summary><c>HKEYS</c></summary>
    HKeys,

    /// <summary><c>HVALS</c></summary>
    HVals,

    /// <summary><c>HINCRBY</c></summary>
    HIncrBy,

    /// <summary><c>HINCRBYFLOAT</c></summary>
    HIncrByFloat,

    /// <summary><c>HSTRLEN</c></summary>
    HStrLen,

    /// <summary><c>HRANDFIELD</c></summary>
    HRandField,

    /// <summary><c>HSCAN</c></summary>
    HScan,

    /// <summary><c>SADD</c></summary>
    SAdd,

    /// <summary><c>SREM</c></summary>
    SRem,

    /// <summary><c>SMEMBERS</c></summary>
    SMembers,

    /// <summary><c>SISMEMBER</c></summary>
    SIsMember,

    /// <summary><c>SMISMEMBER</c></summary>
    SMIsMember,

    /// <summary><c>SCARD</c></summary>
    SCard,

    /// <summary><c>SPOP</c></summary>
    SPop,

    /// <summary><c>SRANDMEMBER</c></summary>
    SRandMember,

    /// <summary><c>SMOVE</c></summary>
    SMove,

    /// <summary><c>SINTER</c></summary>
    SInter,

    /// <summary><c>SINTERSTORE</c></summary>
    SInterStore,

    /// <summary><c>SUNION</c></summary>
    SUnion,

    /// <summary><c>SUNIONSTORE</c></summary>
    SUnionStore,

    /// <summary><c>SDIFF</c></summary>
    SDiff,

    /// <summary><c>SDIFFSTORE</c></summary>
    SDiffStore,

    /// <summary><c>SSCAN</c></summary>
    SScan,

    /// <summary><c>ZADD</c></summary>
    ZAdd,

    /// <summary><c>ZREM</c></summary>
    ZRem,

    /// <summary><c>ZSCORE</c></summary>
    ZScore,

    /// <summary><c>ZMSCORE</c></summary>
    ZMScore,

    /// <summary><c>ZINCRBY</c></summary>
    ZIncrBy,

    /// <summary><c>ZCARD</c></summary>
    ZCard,

    /// <summary><c>ZCOUNT</c></summary>
    ZCount,

    /// <summary><c>ZLEXCOUNT</c></summary>
    ZLexCount,

    /// <summary><c>ZRANGE</c></summary>
    ZRange,

    /// <summary><c>ZREVRANGE</c></summary>
    ZRevRange,

    /// <summary><c>ZRANGEBYSCORE</c></summary>
    ZRangeByScore,

    /// <summary><c>ZREVRANGEBYSCORE</c></summary>
    ZRevRangeByScore,

    /// <summary><c>ZRANGEBYLEX</c></summary>
    ZRangeByLex,

    /// <summary><c>ZREVRANGEBYLEX</c></summary>
    ZRevRangeByLex,

    /// <summary><c>ZRANK</c></summary>
    ZRank,

    /// <summary><c>ZREVRANK</c></summary>
    ZRevRank,

    /// <summary><c>ZPOPMIN</c></summary>
    ZPopMin,

    /// <summary><c>ZPOPMAX</c></summary>
    ZPopMax,

    /// <summary><c>ZREMRANGEBYSCORE</c></summary>
    ZRemRangeByScore,

    /// <summary><c>ZREMRANGEBYRANK</c></summary>
    ZRemRangeByRank,

    /// <summary><c>ZREMRANGEBYLEX</c></summary>
    ZRemRangeByLex,

    /// <summary><c>ZSCAN</c></summary>
    ZScan,

    /// <summary><c>LMPOP</c></summary>
    LMPop,

    /// <summary><c>BLMPOP</c></summary>
    BLMPop,

    /// <summary><c>SINTERCARD</c></summary>
    SInterCard,

    /// <summary><c>ZMPOP</c></summary>
    ZMPop,

    /// <summary><c>BZMPOP</c></summary>
    BZMPop,

    /// <summary><c>BZPOPMIN</c></summary>
    BZPopMin,

    /// <summary><c>BZPOPMAX</c></summary>
    BZPopMax,

    /// <summary><c>ZRANDMEMBER</c></summary>
    ZRandMember,

    /// <summary><c>ZUNION</c></summary>
    ZUnion,

    /// <summary><c>ZINTER</c></summary>
    ZInter,

    /// <summary><c>ZDIFF</c></summary>
    ZDiff,

    /// <summary><c>ZINTERCARD</c></summary>
    ZInterCard,

    /// <summary><c>ZUNIONSTORE</c></summary>
    ZUnionStore,

    /// <summary><c>ZINTERSTORE</c></summary>
    ZInterStore,

    /// <summary><c>ZDIFFSTORE</c></summary>
    ZDiffStore,

    /// <summary><c>ZRANGESTORE</c></summary>
    ZRangeStore,

    /// <summary><c>DUMP</c></summary>
    Dump,

    /// <summary><c>RESTORE</c></summary>
    Restore,

    /// <summary><c>MIGRATE</c></summary>
    Migrate,

    /// <summary><c>WAIT</c></summary>
    Wait,

    /// <summary><c>PUBSUB</c></summary>
    PubSub,

    /// <summary><c>SPUBLISH</c></summary>
    SPublish,

    /// <summary><c>SSUBSCRIBE</c></summary>
    SSubscribe,

    /// <summary><c>SUNSUBSCRIBE</c></summary>
    SUnsubscribe,

    /// <summary><c>BITOP</c></summary>
    BitOp,

    /// <summary><c>BITFIELD</c></summary>
    BitField,

    /// <summary><c>BITFIELD_RO</c></summary>
    BitFieldRo,

    /// <summary><c>PFADD</c></summary>
    PfAdd,

    /// <summary><c>PFCOUNT</c></summary>
    PfCount,

    /// <summary><c>PFMERGE</c></summary>
    PfMerge,

    /// <summary><c>GEOADD</c></summary>
    GeoAdd,

    /// <summary><c>GEOPOS</c></summary>
    GeoPos,

    /// <summary><c>GEODIST</c></summary>
    GeoDist,

    /// <summary><c>GEOHASH</c></summary>
    GeoHash,

    /// <summary><c>GEOSEARCH</c></summary>
    GeoSearch,

    /// <summary><c>GEOSEARCHSTORE</c></summary>
    GeoSearchStore,

    /// <summary><c>GEORADIUS_RO</c></summary>
    GeoRadiusRo,

    /// <summary><c>GEORADIUSBYMEMBER_RO</c></summary>
    GeoRadiusByMemberRo,

    /// <summary><c>LATENCY</c></summary>
    Latency,
}
