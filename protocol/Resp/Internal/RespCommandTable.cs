using System.Text;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Maps a command name to its <see cref="RespCommandKind"/>.</summary>
internal static class RespCommandTable
{
    // A switch on length first, so a name is compared against at most a handful of candidates, each with
    // a vectorised ASCII case-insensitive compare: no allocation, no upper-casing copy.
    public static RespCommandKind Identify(ReadOnlySpan<byte> name)
    {
        switch (name.Length)
        {
            case 3:
                if (Ascii.EqualsIgnoreCase(name, "GET"u8)) return RespCommandKind.Get;
                if (Ascii.EqualsIgnoreCase(name, "SET"u8)) return RespCommandKind.Set;
                if (Ascii.EqualsIgnoreCase(name, "DEL"u8)) return RespCommandKind.Del;
                if (Ascii.EqualsIgnoreCase(name, "TTL"u8)) return RespCommandKind.Ttl;
                if (Ascii.EqualsIgnoreCase(name, "LCS"u8)) return RespCommandKind.Lcs;
                if (Ascii.EqualsIgnoreCase(name, "ACL"u8)) return RespCommandKind.Acl;
                break;
            case 4:
                if (Ascii.EqualsIgnoreCase(name, "PING"u8)) return RespCommandKind.Ping;
                if (Ascii.EqualsIgnoreCase(name, "ECHO"u8)) return RespCommandKind.Echo;
                if (Ascii.EqualsIgnoreCase(name, "MGET"u8)) return RespCommandKind.MGet;
                if (Ascii.EqualsIgnoreCase(name, "MSET"u8)) return RespCommandKind.MSet;
                if (Ascii.EqualsIgnoreCase(name, "INCR"u8)) return RespCommandKind.Incr;
                if (Ascii.EqualsIgnoreCase(name, "DECR"u8)) return RespCommandKind.Decr;
                if (Ascii.EqualsIgnoreCase(name, "TYPE"u8)) return RespCommandKind.Type;
                if (Ascii.EqualsIgnoreCase(name, "PTTL"u8)) return RespCommandKind.PTtl;
                if (Ascii.EqualsIgnoreCase(name, "KEYS"u8)) return RespCommandKind.Keys;
                if (Ascii.EqualsIgnoreCase(name, "SCAN"u8)) return RespCommandKind.Scan;
                if (Ascii.EqualsIgnoreCase(name, "INFO"u8)) return RespCommandKind.Info;
                if (Ascii.EqualsIgnoreCase(name, "AUTH"u8)) return RespCommandKind.Auth;
                if (Ascii.EqualsIgnoreCase(name, "QUIT"u8)) return RespCommandKind.Quit;
                if (Ascii.EqualsIgnoreCase(name, "ROLE"u8)) return RespCommandKind.Role;
                if (Ascii.EqualsIgnoreCase(name, "TIME"u8)) return RespCommandKind.Time;
                if (Ascii.EqualsIgnoreCase(name, "EXEC"u8)) return RespCommandKind.Exec;
                if (Ascii.EqualsIgnoreCase(name, "SAVE"u8)) return RespCommandKind.Save;
                if (Ascii.EqualsIgnoreCase(name, "COPY"u8)) return RespCommandKind.Copy;
                if (Ascii.EqualsIgnoreCase(name, "DUMP"u8)) return RespCommandKind.Dump;
                if (Ascii.EqualsIgnoreCase(name, "EVAL"u8)) return RespCommandKind.Eval;
                if (Ascii.EqualsIgnoreCase(name, "SORT"u8)) return RespCommandKind.Sort;
                if (Ascii.EqualsIgnoreCase(name, "LPOP"u8)) return RespCommandKind.LPop;
                if (Ascii.EqualsIgnoreCase(name, "RPOP"u8)) return RespCommandKind.RPop;
                if (Ascii.EqualsIgnoreCase(name, "LLEN"u8)) return RespCommandKind.LLen;
                if (Ascii.EqualsIgnoreCase(name, "LSET"u8)) return RespCommandKind.LSet;
                if (Ascii.EqualsIgnoreCase(name, "LREM"u8)) return RespCommandKind.LRem;
                if (Ascii.EqualsIgnoreCase(name, "LPOS"u8)) return RespCommandKind.LPos;
                if (Ascii.EqualsIgnoreCase(name, "HSET"u8)) return RespCommandKind.HSet;
                if (Ascii.EqualsIgnoreCase(name, "HGET"u8)) return RespCommandKind.HGet;
                if (Ascii.EqualsIgnoreCase(name, "HDEL"u8)) return RespCommandKind.HDel;
                if (Ascii.EqualsIgnoreCase(name, "HLEN"u8)) return RespCommandKind.HLen;
                if (Ascii.EqualsIgnoreCase(name, "SADD"u8)) return RespCommandKind.SAdd;
                if (Ascii.EqualsIgnoreCase(name, "SREM"u8)) return RespCommandKind.SRem;
                if (Ascii.EqualsIgnoreCase(name, "SPOP"u8)) return RespCommandKind.SPop;
                if (Ascii.EqualsIgnoreCase(name, "ZADD"u8)) return RespCommandKind.ZAdd;
                if (Ascii.EqualsIgnoreCase(name, "ZREM"u8)) return RespCommandKind.ZRem;
                if (Ascii.EqualsIgnoreCase(name, "WAIT"u8)) return RespCommandKind.Wait;
                break;
            case 5:
                if (Ascii.EqualsIgnoreCase(name, "SETNX"u8)) return RespCommandKind.SetNx;
                if (Ascii.EqualsIgnoreCase(name, "SETEX"u8)) return RespCommandKind.SetEx;
                if (Ascii.EqualsIgnoreCase(name, "HELLO"u8)) return RespCommandKind.Hello;
                if (Ascii.EqualsIgnoreCase(name, "RESET"u8)) return RespCommandKind.Reset;
                if (Ascii.EqualsIgnoreCase(name, "MULTI"u8)) return RespCommandKind.Multi;
                if (Ascii.EqualsIgnoreCase(name, "WATCH"u8)) return RespCommandKind.Watch;
                if (Ascii.EqualsIgnoreCase(name, "TOUCH"u8)) return RespCommandKind.Touch;
                if (Ascii.EqualsIgnoreCase(name, "GETEX"u8)) return RespCommandKind.GetEx;
                if (Ascii.EqualsIgnoreCase(name, "FCALL"u8)) return RespCommandKind.FCall;
                if (Ascii.EqualsIgnoreCase(name, "LPUSH"u8)) return RespCommandKind.LPush;
                if (Ascii.EqualsIgnoreCase(name, "RPUSH"u8)) return RespCommandKind.RPush;
                if (Ascii.EqualsIgnoreCase(name, "LTRIM"u8)) return RespCommandKind.LTrim;
                if (Ascii.EqualsIgnoreCase(name, "LMOVE"u8)) return RespCommandKind.LMove;
                if (Ascii.EqualsIgnoreCase(name, "BLPOP"u8)) return RespCommandKind.BLPop;
                if (Ascii.EqualsIgnoreCase(name, "BRPOP"u8)) return RespCommandKind.BRPop;
                if (Ascii.EqualsIgnoreCase(name, "HMSET"u8)) return RespCommandKind.HMSet;
                if (Ascii.EqualsIgnoreCase(name, "HMGET"u8)) return RespCommandKind.HMGet;
                if (Ascii.EqualsIgnoreCase(name, "HKEYS"u8)) return RespCommandKind.HKeys;
                if (Ascii.EqualsIgnoreCase(name, "HVALS"u8)) return RespCommandKind.HVals;
                if (Ascii.EqualsIgnoreCase(name, "HSCAN"u8)) return RespCommandKind.HScan;
                if (Ascii.EqualsIgnoreCase(name, "SCARD"u8)) return RespCommandKind.SCard;
                if (Ascii.EqualsIgnoreCase(name, "SMOVE"u8)) return RespCommandKind.SMove;
                if (Ascii.EqualsIgnoreCase(name, "SDIFF"u8)) return RespCommandKind.SDiff;
                if (Ascii.EqualsIgnoreCase(name, "SSCAN"u8)) return RespCommandKind.SScan;
                if (Ascii.EqualsIgnoreCase(name, "ZCARD"u8)) return RespCommandKind.ZCard;
                if (Ascii.EqualsIgnoreCase(name, "ZRANK"u8)) return RespCommandKind.ZRank;
                if (Ascii.EqualsIgnoreCase(name, "ZSCAN"u8)) return RespCommandKind.ZScan;
                if (Ascii.EqualsIgnoreCase(name, "LMPOP"u8)) return RespCommandKind.LMPop;
                if (Ascii.EqualsIgnoreCase(name, "ZMPOP"u8)) return RespCommandKind.ZMPop;
                if (Ascii.EqualsIgnoreCase(name, "ZDIFF"u8)) return RespCommandKind.ZDiff;
                if (Ascii.EqualsIgnoreCase(name, "BITOP"u8)) return RespCommandKind.BitOp;
                if (Ascii.EqualsIgnoreCase(name, "PFADD"u8)) return RespCommandKind.PfAdd;
                break;
            case 6:
                if (Ascii.EqualsIgnoreCase(name, "SUBSTR"u8)) return RespCommandKind.Substr;
                if (Ascii.EqualsIgnoreCase(name, "PUBSUB"u8)) return RespCommandKind.PubSub;
                if (Ascii.EqualsIgnoreCase(name, "MEMORY"u8)) return RespCommandKind.Memory;
                if (Ascii.EqualsIgnoreCase(name, "OBJECT"u8)) return RespCommandKind.Object;
                if (Ascii.EqualsIgnoreCase(name, "SETBIT"u8)) return RespCommandKind.SetBit;
                if (Ascii.EqualsIgnoreCase(name, "GETBIT"u8)) return RespCommandKind.GetBit;
                if (Ascii.EqualsIgnoreCase(name, "BITPOS"u8)) return RespCommandKind.BitPos;
                if (Ascii.EqualsIgnoreCase(name, "PSETEX"u8)) return RespCommandKind.PSetEx;
                if (Ascii.EqualsIgnoreCase(name, "GETSET"u8)) return RespCommandKind.GetSet;
                if (Ascii.EqualsIgnoreCase(name, "GETDEL"u8)) return RespCommandKind.GetDel;
                if (Ascii.EqualsIgnoreCase(name, "UNLINK"u8)) return RespCommandKind.Unlink;
                if (Ascii.EqualsIgnoreCase(name, "EXISTS"u8)) return RespCommandKind.Exists;
                if (Ascii.EqualsIgnoreCase(name, "MSETNX"u8)) return RespCommandKind.MSetNx;
                if (Ascii.EqualsIgnoreCase(name, "INCRBY"u8)) return RespCommandKind.IncrBy;
                if (Ascii.EqualsIgnoreCase(name, "DECRBY"u8)) return RespCommandKind.DecrBy;
                if (Ascii.EqualsIgnoreCase(name, "APPEND"u8)) return RespCommandKind.Append;
                if (Ascii.EqualsIgnoreCase(name, "STRLEN"u8)) return RespCommandKind.StrLen;
                if (Ascii.EqualsIgnoreCase(name, "EXPIRE"u8)) return RespCommandKind.Expire;
                if (Ascii.EqualsIgnoreCase(name, "DBSIZE"u8)) return RespCommandKind.DbSize;
                if (Ascii.EqualsIgnoreCase(name, "CLIENT"u8)) return RespCommandKind.Client;
                if (Ascii.EqualsIgnoreCase(name, "CONFIG"u8)) return RespCommandKind.Config;
                if (Ascii.EqualsIgnoreCase(name, "SELECT"u8)) return RespCommandKind.Select;
                if (Ascii.EqualsIgnoreCase(name, "ASKING"u8)) return RespCommandKind.Asking;
                if (Ascii.EqualsIgnoreCase(name, "BGSAVE"u8)) return RespCommandKind.BgSave;
                if (Ascii.EqualsIgnoreCase(name, "RENAME"u8)) return RespCommandKind.Rename;
                if (Ascii.EqualsIgnoreCase(name, "SCRIPT"u8)) return RespCommandKind.Script;
                if (Ascii.EqualsIgnoreCase(name, "LPUSHX"u8)) return RespCommandKind.LPushX;
                if (Ascii.EqualsIgnoreCase(name, "RPUSHX"u8)) return RespCommandKind.RPushX;
                if (Ascii.EqualsIgnoreCase(name, "LRANGE"u8)) return RespCommandKind.LRange;
                if (Ascii.EqualsIgnoreCase(name, "LINDEX"u8)) return RespCommandKind.LIndex;
                if (Ascii.EqualsIgnoreCase(name, "BLMOVE"u8)) return RespCommandKind.BLMove;
                if (Ascii.EqualsIgnoreCase(name, "HSETNX"u8)) return RespCommandKind.HSetNx;
                if (Ascii.EqualsIgnoreCase(name, "SINTER"u8)) return RespCommandKind.SInter;
                if (Ascii.EqualsIgnoreCase(name, "SUNION"u8)) return RespCommandKind.SUnion;
                if (Ascii.EqualsIgnoreCase(name, "ZSCORE"u8)) return RespCommandKind.ZScore;
                if (Ascii.EqualsIgnoreCase(name, "ZCOUNT"u8)) return RespCommandKind.ZCount;
                if (Ascii.EqualsIgnoreCase(name, "ZRANGE"u8)) return RespCommandKind.ZRange;
                if (Ascii.EqualsIgnoreCase(name, "BLMPOP"u8)) return RespCommandKind.BLMPop;
                if (Ascii.EqualsIgnoreCase(name, "BZMPOP"u8)) return RespCommandKind.BZMPop;
                if (Ascii.EqualsIgnoreCase(name, "ZUNION"u8)) return RespCommandKind.ZUnion;
                if (Ascii.EqualsIgnoreCase(name, "ZINTER"u8)) return RespCommandKind.ZInter;
                if (Ascii.EqualsIgnoreCase(name, "GEOADD"u8)) return RespCommandKind.GeoAdd;
                if (Ascii.EqualsIgnoreCase(name, "GEOPOS"u8)) return RespCommandKind.GeoPos;
                break;
            case 7:
                if (Ascii.EqualsIgnoreCase(name, "RESTORE"u8)) return RespCommandKind.Restore;
                if (Ascii.EqualsIgnoreCase(name, "PEXPIRE"u8)) return RespCommandKind.PExpire;
                if (Ascii.EqualsIgnoreCase(name, "MONITOR"u8)) return RespCommandKind.Monitor;
                if (Ascii.EqualsIgnoreCase(name, "SLOWLOG"u8)) return RespCommandKind.SlowLog;
                if (Ascii.EqualsIgnoreCase(name, "LATENCY"u8)) return RespCommandKind.Latency;
                if (Ascii.EqualsIgnoreCase(name, "PERSIST"u8)) return RespCommandKind.Persist;
                if (Ascii.EqualsIgnoreCase(name, "FLUSHDB"u8)) return RespCommandKind.FlushDb;
                if (Ascii.EqualsIgnoreCase(name, "COMMAND"u8)) return RespCommandKind.Command;
                if (Ascii.EqualsIgnoreCase(name, "CLUSTER"u8)) return RespCommandKind.Cluster;
                if (Ascii.EqualsIgnoreCase(name, "MIGRATE"u8)) return RespCommandKind.Migrate;
                if (Ascii.EqualsIgnoreCase(name, "PUBLISH"u8)) return RespCommandKind.Publish;
                if (Ascii.EqualsIgnoreCase(name, "DISCARD"u8)) return RespCommandKind.Discard;
                if (Ascii.EqualsIgnoreCase(name, "UNWATCH"u8)) return RespCommandKind.Unwatch;
                if (Ascii.EqualsIgnoreCase(name, "EVALSHA"u8)) return RespCommandKind.EvalSha;
                if (Ascii.EqualsIgnoreCase(name, "EVAL_RO"u8)) return RespCommandKind.EvalRo;
                if (Ascii.EqualsIgnoreCase(name, "SORT_RO"u8)) return RespCommandKind.SortRo;
                if (Ascii.EqualsIgnoreCase(name, "LINSERT"u8)) return RespCommandKind.LInsert;
                if (Ascii.EqualsIgnoreCase(name, "HGETALL"u8)) return RespCommandKind.HGetAll;
                if (Ascii.EqualsIgnoreCase(name, "HEXISTS"u8)) return RespCommandKind.HExists;
                if (Ascii.EqualsIgnoreCase(name, "HINCRBY"u8)) return RespCommandKind.HIncrBy;
                if (Ascii.EqualsIgnoreCase(name, "HSTRLEN"u8)) return RespCommandKind.HStrLen;
                if (Ascii.EqualsIgnoreCase(name, "ZMSCORE"u8)) return RespCommandKind.ZMScore;
                if (Ascii.EqualsIgnoreCase(name, "ZINCRBY"u8)) return RespCommandKind.ZIncrBy;
                if (Ascii.EqualsIgnoreCase(name, "ZPOPMIN"u8)) return RespCommandKind.ZPopMin;
                if (Ascii.EqualsIgnoreCase(name, "ZPOPMAX"u8)) return RespCommandKind.ZPopMax;
                if (Ascii.EqualsIgnoreCase(name, "PFCOUNT"u8)) return RespCommandKind.PfCount;
                if (Ascii.EqualsIgnoreCase(name, "PFMERGE"u8)) return RespCommandKind.PfMerge;
                if (Ascii.EqualsIgnoreCase(name, "GEODIST"u8)) return RespCommandKind.GeoDist;
                if (Ascii.EqualsIgnoreCase(name, "GEOHASH"u8)) return RespCommandKind.GeoHash;
                break;
            case 8:
                if (Ascii.EqualsIgnoreCase(name, "GETRANGE"u8)) return RespCommandKind.GetRange;
                if (Ascii.EqualsIgnoreCase(name, "SPUBLISH"u8)) return RespCommandKind.SPublish;
                if (Ascii.EqualsIgnoreCase(name, "SETRANGE"u8)) return RespCommandKind.SetRange;
                if (Ascii.EqualsIgnoreCase(name, "BITCOUNT"u8)) return RespCommandKind.BitCount;
                if (Ascii.EqualsIgnoreCase(name, "FLUSHALL"u8)) return RespCommandKind.FlushAll;
                if (Ascii.EqualsIgnoreCase(name, "READONLY"u8)) return RespCommandKind.ReadOnly;
                if (Ascii.EqualsIgnoreCase(name, "FUNCTION"u8)) return RespCommandKind.Function;
                if (Ascii.EqualsIgnoreCase(name, "EXPIREAT"u8)) return RespCommandKind.ExpireAt;
                if (Ascii.EqualsIgnoreCase(name, "LASTSAVE"u8)) return RespCommandKind.LastSave;
                if (Ascii.EqualsIgnoreCase(name, "RENAMENX"u8)) return RespCommandKind.RenameNx;
                if (Ascii.EqualsIgnoreCase(name, "SHUTDOWN"u8)) return RespCommandKind.Shutdown;
                if (Ascii.EqualsIgnoreCase(name, "FCALL_RO"u8)) return RespCommandKind.FCallRo;
                if (Ascii.EqualsIgnoreCase(name, "SMEMBERS"u8)) return RespCommandKind.SMembers;
                if (Ascii.EqualsIgnoreCase(name, "ZREVRANK"u8)) return RespCommandKind.ZRevRank;
                if (Ascii.EqualsIgnoreCase(name, "BZPOPMIN"u8)) return RespCommandKind.BZPopMin;
                if (Ascii.EqualsIgnoreCase(name, "BZPOPMAX"u8)) return RespCommandKind.BZPopMax;
                if (Ascii.EqualsIgnoreCase(name, "BITFIELD"u8)) return RespCommandKind.BitField;
                break;
            case 9:
                if (Ascii.EqualsIgnoreCase(name, "READWRITE"u8)) return RespCommandKind.ReadWrite;
                if (Ascii.EqualsIgnoreCase(name, "SUBSCRIBE"u8)) return RespCommandKind.Subscribe;
                if (Ascii.EqualsIgnoreCase(name, "PEXPIREAT"u8)) return RespCommandKind.PExpireAt;
                if (Ascii.EqualsIgnoreCase(name, "RANDOMKEY"u8)) return RespCommandKind.RandomKey;
                if (Ascii.EqualsIgnoreCase(name, "RPOPLPUSH"u8)) return RespCommandKind.RPopLPush;
                if (Ascii.EqualsIgnoreCase(name, "SISMEMBER"u8)) return RespCommandKind.SIsMember;
                if (Ascii.EqualsIgnoreCase(name, "ZLEXCOUNT"u8)) return RespCommandKind.ZLexCount;
                if (Ascii.EqualsIgnoreCase(name, "ZREVRANGE"u8)) return RespCommandKind.ZRevRange;
                if (Ascii.EqualsIgnoreCase(name, "GEOSEARCH"u8)) return RespCommandKind.GeoSearch;
                break;
            case 10:
                if (Ascii.EqualsIgnoreCase(name, "PSUBSCRIBE"u8)) return RespCommandKind.PSubscribe;
                if (Ascii.EqualsIgnoreCase(name, "SSUBSCRIBE"u8)) return RespCommandKind.SSubscribe;
                if (Ascii.EqualsIgnoreCase(name, "EXPIRETIME"u8)) return RespCommandKind.ExpireTime;
                if (Ascii.EqualsIgnoreCase(name, "EVALSHA_RO"u8)) return RespCommandKind.EvalShaRo;
                if (Ascii.EqualsIgnoreCase(name, "BRPOPLPUSH"u8)) return RespCommandKind.BRPopLPush;
                if (Ascii.EqualsIgnoreCase(name, "HRANDFIELD"u8)) return RespCommandKind.HRandField;
                if (Ascii.EqualsIgnoreCase(name, "SMISMEMBER"u8)) return RespCommandKind.SMIsMember;
                if (Ascii.EqualsIgnoreCase(name, "SDIFFSTORE"u8)) return RespCommandKind.SDiffStore;
                if (Ascii.EqualsIgnoreCase(name, "SINTERCARD"u8)) return RespCommandKind.SInterCard;
                if (Ascii.EqualsIgnoreCase(name, "ZINTERCARD"u8)) return RespCommandKind.ZInterCard;
                if (Ascii.EqualsIgnoreCase(name, "ZDIFFSTORE"u8)) return RespCommandKind.ZDiffStore;
                break;
            case 11:
                if (Ascii.EqualsIgnoreCase(name, "INCRBYFLOAT"u8)) return RespCommandKind.IncrByFloat;
                if (Ascii.EqualsIgnoreCase(name, "UNSUBSCRIBE"u8)) return RespCommandKind.Unsubscribe;
                if (Ascii.EqualsIgnoreCase(name, "PEXPIRETIME"u8)) return RespCommandKind.PExpireTime;
                if (Ascii.EqualsIgnoreCase(name, "SRANDMEMBER"u8)) return RespCommandKind.SRandMember;
                if (Ascii.EqualsIgnoreCase(name, "SINTERSTORE"u8)) return RespCommandKind.SInterStore;
                if (Ascii.EqualsIgnoreCase(name, "SUNIONSTORE"u8)) return RespCommandKind.SUnionStore;
                if (Ascii.EqualsIgnoreCase(name, "ZRANGEBYLEX"u8)) return RespCommandKind.ZRangeByLex;
                if (Ascii.EqualsIgnoreCase(name, "ZRANDMEMBER"u8)) return RespCommandKind.ZRandMember;
                if (Ascii.EqualsIgnoreCase(name, "ZUNIONSTORE"u8)) return RespCommandKind.ZUnionStore;
                if (Ascii.EqualsIgnoreCase(name, "ZINTERSTORE"u8)) return RespCommandKind.ZInterStore;
                if (Ascii.EqualsIgnoreCase(name, "ZRANGESTORE"u8)) return RespCommandKind.ZRangeStore;
                if (Ascii.EqualsIgnoreCase(name, "BITFIELD_RO"u8)) return RespCommandKind.BitFieldRo;
                break;
            case 12:
                if (Ascii.EqualsIgnoreCase(name, "PUNSUBSCRIBE"u8)) return RespCommandKind.PUnsubscribe;
                if (Ascii.EqualsIgnoreCase(name, "SUNSUBSCRIBE"u8)) return RespCommandKind.SUnsubscribe;
                if (Ascii.EqualsIgnoreCase(name, "HINCRBYFLOAT"u8)) return RespCommandKind.HIncrByFloat;
                if (Ascii.EqualsIgnoreCase(name, "GEORADIUS_RO"u8)) return RespCommandKind.GeoRadiusRo;
                break;
            case 13:
                if (Ascii.EqualsIgnoreCase(name, "ZRANGEBYSCORE"u8)) return RespCommandKind.ZRangeByScore;
                break;
            case 14:
                if (Ascii.EqualsIgnoreCase(name, "ZREVRANGEBYLEX"u8)) return RespCommandKind.ZRevRangeByLex;
                if (Ascii.EqualsIgnoreCase(name, "ZREMRANGEBYLEX"u8)) return RespCommandKind.ZRemRangeByLex;
                if (Ascii.EqualsIgnoreCase(name, "GEOSEARCHSTORE"u8)) return RespCommandKind.GeoSearchStore;
                break;
            case 15:
                if (Ascii.EqualsIgnoreCase(name, "ZREMRANGEBYRANK"u8)) return RespCommandKind.ZRemRangeByRank;
                break;
            case 16:
                if (Ascii.EqualsIgnoreCase(name, "ZREVRANGEBYSCORE"u8)) return RespCommandKind.ZRevRangeByScore;
                if (Ascii.EqualsIgnoreCase(name, "ZREMRANGEBYSCORE"u8)) return RespCommandKind.ZRemRangeByScore;
                break;
            case 20:
                if (Ascii.EqualsIgnoreCase(name, "GEORADIUSBYMEMBER_RO"u8)) return RespCommandKind.GeoRadiusByMemberRo;
                break;
        }

        return RespCommandKind.Unknown;
    }
}
