using FastDht.Protocol.Resp;

namespace FastDht.Engine.CommandTable;

/// <summary>The commands FastDht's RESP server answers, indexed by kind; a kind without a spec is an unknown command.</summary>
internal static class RespCommandSpecs
{
    private static readonly string[] Write = ["write", "denyoom"];
    private static readonly string[] WriteFast = ["write", "denyoom", "fast"];
    private static readonly string[] ReadFast = ["readonly", "fast"];
    private static readonly string[] Admin = ["loading", "stale"];
    private static readonly string[] Fast = ["fast", "loading", "stale"];
    private static readonly string[] PubSub = ["pubsub", "noscript", "loading", "stale"];
    private static readonly string[] Connection = ["noscript", "loading", "stale", "fast", "allow_busy"];
    private static readonly string[] Script = ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys", "movablekeys"];
    private static readonly string[] ScriptRo = ["noscript", "stale", "skip_monitor", "no_mandatory_keys", "readonly", "movablekeys"];

    private static readonly string[] Overwrite = ["OW", "update"];
    private static readonly string[] ScriptKeys = ["RW", "access", "update"];
    private const string ScriptKeysNotes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE";
    private const string ScriptRoKeysNotes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS";
    private static readonly string[] Remove = ["RM", "delete"];

    private static readonly RespCommandSpec?[] ByKind = Build();

    /// <summary>Every served command, for COMMAND and COMMAND COUNT.</summary>
    public static IReadOnlyList<RespCommandSpec> All { get; } = Collect();

    public static RespCommandSpec? Get(RespCommandKind kind) => (uint)kind < (uint)ByKind.Length ? ByKind[(int)kind] : null;

    /// <summary>
    /// The spec that routes and checks <paramref name="c"/>: the command's own, or for a container command its
    /// subcommand's (null when the subcommand is unknown: the caller answers Redis's unknown-subcommand error).
    /// </summary>
    public static RespCommandSpec? Resolve(RespCommandSpec spec, RespCommand c)
    {
        if (spec.Subcommands.Length == 0 || c.Count < 2)
            return spec;
        var name = c.GetArgument(1);
        foreach (var sub in spec.Subcommands)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(name, sub.ShortName))
                return sub;
        }
        return null;
    }

    /// <summary>A command or subcommand by the name COMMAND prints (<c>get</c>, <c>client|list</c>), case-insensitive.</summary>
    public static RespCommandSpec? Find(ReadOnlySpan<byte> name)
    {
        foreach (var spec in All)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(spec.NameBytes, name))
                return spec;
            foreach (var sub in spec.Subcommands)
            {
                if (System.Text.Ascii.EqualsIgnoreCase(sub.NameBytes, name))
                    return sub;
            }
        }
        return null;
    }

    private static RespCommandSpec?[] Build()
    {
        var specs = new RespCommandSpec[]
        {
            new(RespCommandKind.Ping, "ping", -1, Fast, 0, 0, 0),
            new(RespCommandKind.Echo, "echo", 2, Fast, 0, 0, 0),
            new(RespCommandKind.Get, "get", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Set, "set", -3, Write, 1, 1, 1) { KeyFlags = ["RW", "access", "update", "variable_flags"] },
            new(RespCommandKind.SetNx, "setnx", 3, WriteFast, 1, 1, 1) { KeyFlags = ["OW", "insert"] },
            new(RespCommandKind.SetEx, "setex", 4, Write, 1, 1, 1) { KeyFlags = Overwrite },
            new(RespCommandKind.PSetEx, "psetex", 4, Write, 1, 1, 1) { KeyFlags = Overwrite },
            new(RespCommandKind.GetSet, "getset", 3, WriteFast, 1, 1, 1) { KeyFlags = ["RW", "access", "update"] },
            new(RespCommandKind.Del, "del", -2, ["write"], 1, -1, 1) { KeyFlags = Remove },
            new(RespCommandKind.Unlink, "unlink", -2, ["write", "fast"], 1, -1, 1) { KeyFlags = Remove },
            new(RespCommandKind.Exists, "exists", -2, ReadFast, 1, -1, 1),
            new(RespCommandKind.Touch, "touch", -2, ReadFast, 1, -1, 1),
            new(RespCommandKind.MGet, "mget", -2, ReadFast, 1, -1, 1),
            new(RespCommandKind.MSet, "mset", -3, Write, 1, -1, 2) { KeyFlags = Overwrite },
            new(RespCommandKind.MSetNx, "msetnx", -3, Write, 1, -1, 2) { KeyFlags = ["OW", "insert"] },
            new(RespCommandKind.Incr, "incr", 2, WriteFast, 1, 1, 1),
            new(RespCommandKind.IncrBy, "incrby", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.Decr, "decr", 2, WriteFast, 1, 1, 1),
            new(RespCommandKind.DecrBy, "decrby", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.Append, "append", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.StrLen, "strlen", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Type, "type", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Ttl, "ttl", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.PTtl, "pttl", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.GetDel, "getdel", 2, WriteFast, 1, 1, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.GetEx, "getex", -2, WriteFast, 1, 1, 1),
            new(RespCommandKind.Expire, "expire", -3, WriteFast, 1, 1, 1),
            new(RespCommandKind.PExpire, "pexpire", -3, WriteFast, 1, 1, 1),
            new(RespCommandKind.ExpireAt, "expireat", -3, WriteFast, 1, 1, 1),
            new(RespCommandKind.PExpireAt, "pexpireat", -3, WriteFast, 1, 1, 1),
            new(RespCommandKind.ExpireTime, "expiretime", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.PExpireTime, "pexpiretime", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Persist, "persist", 2, WriteFast, 1, 1, 1),
            new(RespCommandKind.GetRange, "getrange", 4, ["readonly"], 1, 1, 1),
            new(RespCommandKind.Substr, "substr", 4, ["readonly"], 1, 1, 1),
            new(RespCommandKind.SetRange, "setrange", 4, Write, 1, 1, 1),
            new(RespCommandKind.IncrByFloat, "incrbyfloat", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.SetBit, "setbit", 4, Write, 1, 1, 1),
            new(RespCommandKind.GetBit, "getbit", 3, ReadFast, 1, 1, 1),
            new(RespCommandKind.BitCount, "bitcount", -2, ["readonly"], 1, 1, 1),
            new(RespCommandKind.BitPos, "bitpos", -3, ["readonly"], 1, 1, 1),
            new(RespCommandKind.Lcs, "lcs", -3, ["readonly"], 1, 2, 1),
            new(RespCommandKind.BitOp, "bitop", -4, Write, 3, -1, 1) { DestinationIndex = 2, KeyFlags = ["RO", "access"] },
            new(RespCommandKind.BitField, "bitfield", -2, Write, 1, 1, 1)
            {
                KeyFlags = ["RW", "access", "update", "variable_flags"], KeySpecNotes = "This command allows both access and modification of the key",
            },
            new(RespCommandKind.BitFieldRo, "bitfield_ro", -2, ReadFast, 1, 1, 1),
            new(RespCommandKind.PfAdd, "pfadd", -2, WriteFast, 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.PfCount, "pfcount", -2, ["readonly"], 1, -1, 1)
            {
                KeyFlags = ["RW", "access"], KeySpecNotes = "RW because it may change the internal representation of the key, and propagate to replicas",
            },
            new(RespCommandKind.GeoAdd, "geoadd", -5, Write, 1, 1, 1),
            new(RespCommandKind.GeoPos, "geopos", -2, ["readonly"], 1, 1, 1),
            new(RespCommandKind.GeoDist, "geodist", -4, ["readonly"], 1, 1, 1),
            new(RespCommandKind.GeoHash, "geohash", -2, ["readonly"], 1, 1, 1),
            new(RespCommandKind.GeoSearch, "geosearch", -7, ["readonly"], 1, 1, 1),
            new(RespCommandKind.GeoSearchStore, "geosearchstore", -8, Write, 2, 2, 1) { DestinationIndex = 1, KeyFlags = ["RO", "access"] },
            new(RespCommandKind.GeoRadiusRo, "georadius_ro", -6, ["readonly"], 1, 1, 1),
            new(RespCommandKind.GeoRadiusByMemberRo, "georadiusbymember_ro", -5, ["readonly"], 1, 1, 1),
            new(RespCommandKind.PfMerge, "pfmerge", -2, Write, 2, -1, 1)
            {
                DestinationIndex = 1, DestinationKeyFlags = ["RW", "access", "insert"], KeyFlags = ["RO", "access"],
            },
            new(RespCommandKind.DbSize, "dbsize", 1, ReadFast, 0, 0, 0),
            new(RespCommandKind.Keys, "keys", 2, ["readonly"], 0, 0, 0) { Tips = ["nondeterministic_output_order"] },
            new(RespCommandKind.Scan, "scan", -2, ["readonly"], 0, 0, 0) { Tips = ["nondeterministic_output"] },
            new(RespCommandKind.RandomKey, "randomkey", 1, ["readonly"], 0, 0, 0) { Tips = ["nondeterministic_output"] },
            new(RespCommandKind.FlushAll, "flushall", -1, ["write"], 0, 0, 0),
            new(RespCommandKind.FlushDb, "flushdb", -1, ["write"], 0, 0, 0),
            Container(RespCommandKind.Function, "function", Admin,
                Sub("flush", -2, ["write", "noscript"]),
                Sub("list", -2, ["noscript"]),
                Sub("delete", 3, ["write", "noscript"]),
                Sub("help", 2, Admin)),
            // A script's keys are reported as Redis 7 reports them (RW for EVAL: "we cannot tell how the keys will be used").
            new(RespCommandKind.Eval, "eval", -3, Script, 0, 0, 0) { KeyCountIndex = 2, KeyFlags = ScriptKeys, KeySpecNotes = ScriptKeysNotes },
            new(RespCommandKind.EvalSha, "evalsha", -3, Script, 0, 0, 0) { KeyCountIndex = 2, KeyFlags = ScriptKeys },
            new(RespCommandKind.EvalRo, "eval_ro", -3, ScriptRo, 0, 0, 0) { KeyCountIndex = 2, KeyFlags = ["RO", "access"], KeySpecNotes = ScriptRoKeysNotes },
            new(RespCommandKind.EvalShaRo, "evalsha_ro", -3, ScriptRo, 0, 0, 0) { KeyCountIndex = 2, KeyFlags = ["RO", "access"] },
            Container(RespCommandKind.Script, "script", ["noscript"],
                Sub("load", 3, ["noscript", "stale"]),
                Sub("exists", -3, ["noscript"]),
                Sub("flush", -2, ["noscript"]),
                Sub("kill", 2, ["noscript", "allow_busy"]),
                Sub("help", 2, ["loading", "stale"])),
            new(RespCommandKind.Info, "info", -1, Admin, 0, 0, 0) { Tips = ["nondeterministic_output"] },
            Container(RespCommandKind.Command, "command", -1, Admin,
                Sub("count", 2, Admin),
                Sub("docs", -2, Admin),
                Sub("getkeys", -3, Admin),
                Sub("getkeysandflags", -3, Admin),
                Sub("info", -2, Admin),
                Sub("list", -2, Admin),
                Sub("help", 2, Admin)),
            Container(RespCommandKind.Client, "client", Admin,
                Sub("id", 2, Admin),
                Sub("info", 2, Admin),
                Sub("list", -2, Admin),
                Sub("reply", 3, ["noscript", "loading", "stale"]),
                Sub("kill", -3, ["admin", "noscript", "loading", "stale"]),
                Sub("setname", 3, Admin),
                Sub("getname", 2, Admin),
                Sub("setinfo", -4, Admin),
                Sub("no-evict", 3, ["admin", "noscript", "loading", "stale"]),
                Sub("no-touch", 3, Admin),
                Sub("unblock", -3, ["admin", "noscript", "loading", "stale"]),
                Sub("tracking", -3, ["noscript", "loading", "stale"]),
                Sub("caching", 3, ["noscript", "loading", "stale"]),
                Sub("getredir", 2, ["noscript", "loading", "stale"]),
                Sub("trackinginfo", 2, ["noscript", "loading", "stale"]),
                Sub("help", 2, Admin)),
            Container(RespCommandKind.Config, "config", Admin,
                Sub("get", -3, ["admin", "noscript", "loading", "stale"]),
                Sub("set", -4, ["admin", "noscript", "loading", "stale"]),
                Sub("resetstat", 2, ["admin", "noscript", "loading", "stale"]),
                Sub("help", 2, Admin)),
            Container(RespCommandKind.Latency, "latency", Admin,
                Sub("doctor", 2, ["admin", "noscript", "loading", "stale"]),
                Sub("graph", 3, ["admin", "noscript", "loading", "stale"]),
                Sub("histogram", -2, ["admin", "noscript", "loading", "stale"]),
                Sub("history", 3, ["admin", "noscript", "loading", "stale"]),
                Sub("latest", 2, ["admin", "noscript", "loading", "stale"]),
                Sub("reset", -2, ["admin", "noscript", "loading", "stale"]),
                Sub("help", 2, Admin)),
            Container(RespCommandKind.SlowLog, "slowlog", Admin,
                Sub("get", -2, ["admin", "loading", "stale"]),
                Sub("len", 2, ["admin", "loading", "stale"]),
                Sub("reset", 2, ["admin", "loading", "stale"]),
                Sub("help", 2, Admin)),
            Container(RespCommandKind.Memory, "memory", Admin,
                new(RespCommandKind.Memory, "memory|usage", -3, ["readonly"], 2, 2, 1),
                Sub("help", 2, Admin)),
            Container(RespCommandKind.Object, "object", Admin,
                new(RespCommandKind.Object, "object|encoding", 3, ["readonly"], 2, 2, 1),
                new(RespCommandKind.Object, "object|freq", 3, ["readonly"], 2, 2, 1),
                new(RespCommandKind.Object, "object|idletime", 3, ["readonly"], 2, 2, 1),
                new(RespCommandKind.Object, "object|refcount", 3, ["readonly"], 2, 2, 1),
                Sub("help", 2, Admin)),
            new(RespCommandKind.Monitor, "monitor", 1, ["admin", "noscript", "loading", "stale"], 0, 0, 0),
            new(RespCommandKind.Select, "select", 2, Fast, 0, 0, 0),
            new(RespCommandKind.Auth, "auth", -2, Connection, 0, 0, 0),
            Container(RespCommandKind.Acl, "acl", Admin,
                Sub("whoami", 2, Admin),
                Sub("list", 2, Admin),
                Sub("users", 2, Admin),
                Sub("cat", -2, Admin),
                Sub("setuser", -3, Admin),
                Sub("deluser", -3, Admin),
                Sub("save", 2, Admin)),
            new(RespCommandKind.Hello, "hello", -1, Connection, 0, 0, 0),
            new(RespCommandKind.Quit, "quit", -1, Connection, 0, 0, 0),
            new(RespCommandKind.Reset, "reset", 1, Connection, 0, 0, 0),
            new(RespCommandKind.Role, "role", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Time, "time", 1, Fast, 0, 0, 0),
            Container(RespCommandKind.Cluster, "cluster", Admin,
                Sub("slots", 2, Admin),
                Sub("shards", 2, Admin),
                Sub("nodes", 2, Admin),
                Sub("info", 2, Admin),
                Sub("keyslot", 3, Admin),
                Sub("myid", 2, Admin),
                Sub("countkeysinslot", 3, Admin),
                Sub("getkeysinslot", 4, Admin),
                Sub("meet", -4, Admin),
                Sub("forget", 3, Admin),
                Sub("setslot", -4, Admin),
                Sub("reset", -2, Admin),
                Sub("replicate", 3, Admin),
                Sub("addslots", -3, Admin),
                Sub("delslots", -3, Admin),
                Sub("addslotsrange", -4, Admin),
                Sub("delslotsrange", -4, Admin),
                Sub("failover", -2, Admin),
                Sub("help", 2, Admin)),
            // Redis's tips: a cluster client asks every primary and takes the fewest (each node answers for its connection).
            new(RespCommandKind.Wait, "wait", 3, ["noscript"], 0, 0, 0) { Tips = ["request_policy:all_shards", "response_policy:agg_min"] },
            new(RespCommandKind.ReadOnly, "readonly", 1, Fast, 0, 0, 0),
            new(RespCommandKind.ReadWrite, "readwrite", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Asking, "asking", 1, Fast, 0, 0, 0),
            // Keyless here: MIGRATE runs at the node it is sent to (the keys' old owner), never routed by its keys. COMMAND
            // INFO and GETKEYS still report its keys as Redis does (RespCommandReplies), for clients that route by them.
            new(RespCommandKind.Migrate, "migrate", -6, ["write", "movablekeys"], 0, 0, 0) { KeyFlags = ["RW", "access", "delete"], Tips = ["nondeterministic_output"] },
            new(RespCommandKind.Subscribe, "subscribe", -2, PubSub, 0, 0, 0),
            new(RespCommandKind.Unsubscribe, "unsubscribe", -1, PubSub, 0, 0, 0),
            new(RespCommandKind.PSubscribe, "psubscribe", -2, PubSub, 0, 0, 0),
            new(RespCommandKind.PUnsubscribe, "punsubscribe", -1, PubSub, 0, 0, 0),
            new(RespCommandKind.Publish, "publish", 3, ["pubsub", "loading", "stale", "fast"], 0, 0, 0),
            new(RespCommandKind.SPublish, "spublish", 3, ["pubsub", "loading", "stale", "fast"], 1, 1, 1) { KeyFlags = ["not_key"], NamesChannels = true },
            new(RespCommandKind.SSubscribe, "ssubscribe", -2, PubSub, 1, -1, 1) { KeyFlags = ["not_key"], NamesChannels = true },
            new(RespCommandKind.SUnsubscribe, "sunsubscribe", -1, PubSub, 1, -1, 1) { KeyFlags = ["not_key"], NamesChannels = true },
            Container(RespCommandKind.PubSub, "pubsub", [],
                Sub("channels", -2, ["pubsub", "loading", "stale"]),
                Sub("numsub", -2, ["pubsub", "loading", "stale"]),
                Sub("numpat", 2, ["pubsub", "loading", "stale"]),
                Sub("shardchannels", -2, ["pubsub", "loading", "stale"]),
                Sub("shardnumsub", -2, ["pubsub", "loading", "stale"]),
                Sub("help", 2, ["loading", "stale"])),
            new(RespCommandKind.Save, "save", 1, ["admin", "noscript", "no_multi"], 0, 0, 0),
            new(RespCommandKind.Shutdown, "shutdown", -1, ["admin", "noscript", "loading", "stale", "no_multi", "sentinel", "allow_busy"], 0, 0, 0),
            new(RespCommandKind.BgSave, "bgsave", -1, ["admin", "noscript"], 0, 0, 0),
            new(RespCommandKind.LastSave, "lastsave", 1, ["loading", "stale", "fast"], 0, 0, 0),
            new(RespCommandKind.Multi, "multi", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], 0, 0, 0),
            new(RespCommandKind.Exec, "exec", 1, ["noscript", "loading", "stale", "skip_slowlog"], 0, 0, 0),
            new(RespCommandKind.Discard, "discard", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], 0, 0, 0),
            new(RespCommandKind.Watch, "watch", -2, ["noscript", "loading", "stale", "fast", "allow_busy"], 1, -1, 1),
            new(RespCommandKind.Unwatch, "unwatch", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], 0, 0, 0),
            new(RespCommandKind.Rename, "rename", 3, ["write"], 1, 2, 1),
            new(RespCommandKind.RenameNx, "renamenx", 3, WriteFast, 1, 2, 1),
            new(RespCommandKind.Copy, "copy", -3, Write, 1, 2, 1),
            new(RespCommandKind.LPush, "lpush", -3, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.RPush, "rpush", -3, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.LPushX, "lpushx", -3, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.RPushX, "rpushx", -3, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.LPop, "lpop", -2, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.RPop, "rpop", -2, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.LLen, "llen", 2, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.LRange, "lrange", 4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.LIndex, "lindex", 3, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.LSet, "lset", 4, ["write", "denyoom"], 1, 1, 1) { KeyFlags = ["RW", "update"] },
            new(RespCommandKind.LInsert, "linsert", 5, ["write", "denyoom"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.LRem, "lrem", 4, ["write"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.LTrim, "ltrim", 4, ["write"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.LPos, "lpos", -3, ["readonly"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.LMove, "lmove", 5, ["write", "denyoom"], 1, 2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.RPopLPush, "rpoplpush", 3, ["write", "denyoom"], 1, 2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.BLPop, "blpop", -3, ["write", "noscript", "blocking"], 1, -2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.BRPop, "brpop", -3, ["write", "noscript", "blocking"], 1, -2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.BLMove, "blmove", 6, ["write", "denyoom", "noscript", "blocking"], 1, 2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.BRPopLPush, "brpoplpush", 4, ["write", "denyoom", "noscript", "blocking"], 1, 2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.HSet, "hset", -4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "update"] },
            new(RespCommandKind.HSetNx, "hsetnx", 4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.HGet, "hget", 3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.HMSet, "hmset", -4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "update"] },
            new(RespCommandKind.HMGet, "hmget", -3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.HGetAll, "hgetall", 2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.HDel, "hdel", -3, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.HExists, "hexists", 3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.HLen, "hlen", 2, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.HKeys, "hkeys", 2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.HVals, "hvals", 2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.HIncrBy, "hincrby", 4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "update"] },
            new(RespCommandKind.HIncrByFloat, "hincrbyfloat", 4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "update"] },
            new(RespCommandKind.HStrLen, "hstrlen", 3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.HRandField, "hrandfield", -2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.HScan, "hscan", -3, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SAdd, "sadd", -3, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "insert"] },
            new(RespCommandKind.SRem, "srem", -3, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.SMembers, "smembers", 2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SIsMember, "sismember", 3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.SMIsMember, "smismember", -3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.SCard, "scard", 2, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.SPop, "spop", -2, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.SRandMember, "srandmember", -2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SMove, "smove", 4, ["write", "fast"], 1, 2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.SInter, "sinter", -2, ["readonly"], 1, -1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.Dump, "dump", 2, ["readonly"], 1, 1, 1) { Tips = ["nondeterministic_output"] },
            new(RespCommandKind.Restore, "restore", -4, ["write", "denyoom"], 1, 1, 1) { KeyFlags = ["OW", "update"] },
            // SORT's STORE destination is a second, movable key (RespSortCommand.StoreKeyIndex); its patterns name keys no spec can.
            new(RespCommandKind.Sort, "sort", -2, ["write", "denyoom", "movablekeys"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SortRo, "sort_ro", -2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SInterStore, "sinterstore", -3, ["write", "denyoom"], 2, -1, 1) { DestinationIndex = 1, DestinationKeyFlags = ["RW", "update"], KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SUnion, "sunion", -2, ["readonly"], 1, -1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SUnionStore, "sunionstore", -3, ["write", "denyoom"], 2, -1, 1) { DestinationIndex = 1, DestinationKeyFlags = ["OW", "update"], KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SDiff, "sdiff", -2, ["readonly"], 1, -1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SDiffStore, "sdiffstore", -3, ["write", "denyoom"], 2, -1, 1) { DestinationIndex = 1, DestinationKeyFlags = ["OW", "update"], KeyFlags = ["RO", "access"] },
            new(RespCommandKind.SScan, "sscan", -3, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZAdd, "zadd", -4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "update"] },
            new(RespCommandKind.ZRem, "zrem", -3, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.ZScore, "zscore", 3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZMScore, "zmscore", -3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZIncrBy, "zincrby", 4, ["write", "denyoom", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "update"] },
            new(RespCommandKind.ZCard, "zcard", 2, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.ZCount, "zcount", 4, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZLexCount, "zlexcount", 4, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRange, "zrange", -4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRevRange, "zrevrange", -4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRangeByScore, "zrangebyscore", -4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRevRangeByScore, "zrevrangebyscore", -4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRangeByLex, "zrangebylex", -4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRevRangeByLex, "zrevrangebylex", -4, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZRank, "zrank", -3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.ZRevRank, "zrevrank", -3, ["readonly", "fast"], 1, 1, 1) { KeyFlags = ["RO"] },
            new(RespCommandKind.ZPopMin, "zpopmin", -2, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.ZPopMax, "zpopmax", -2, ["write", "fast"], 1, 1, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.ZRemRangeByScore, "zremrangebyscore", 4, ["write"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.ZRemRangeByRank, "zremrangebyrank", 4, ["write"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.ZRemRangeByLex, "zremrangebylex", 4, ["write"], 1, 1, 1) { KeyFlags = ["RW", "delete"] },
            new(RespCommandKind.ZScan, "zscan", -3, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZMPop, "zmpop", -4, ["write", "movablekeys"], 2, 2, 1) { KeyFlags = ["RW", "access", "delete"], NumKeysIndex = 1 },
            new(RespCommandKind.BZMPop, "bzmpop", -5, ["write", "blocking", "movablekeys"], 3, 3, 1) { KeyFlags = ["RW", "access", "delete"], NumKeysIndex = 2 },
            new(RespCommandKind.BZPopMin, "bzpopmin", -3, ["write", "noscript", "blocking", "fast"], 1, -2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.BZPopMax, "bzpopmax", -3, ["write", "noscript", "blocking", "fast"], 1, -2, 1) { KeyFlags = ["RW", "access", "delete"] },
            new(RespCommandKind.ZRandMember, "zrandmember", -2, ["readonly"], 1, 1, 1) { KeyFlags = ["RO", "access"] },
            new(RespCommandKind.ZUnion, "zunion", -3, ["readonly", "movablekeys"], 2, 2, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 1 },
            new(RespCommandKind.ZInter, "zinter", -3, ["readonly", "movablekeys"], 2, 2, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 1 },
            new(RespCommandKind.ZDiff, "zdiff", -3, ["readonly", "movablekeys"], 2, 2, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 1 },
            new(RespCommandKind.ZUnionStore, "zunionstore", -4, ["write", "denyoom", "movablekeys"], 3, 3, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 2, DestinationIndex = 1 },
            new(RespCommandKind.ZInterStore, "zinterstore", -4, ["write", "denyoom", "movablekeys"], 3, 3, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 2, DestinationIndex = 1 },
            new(RespCommandKind.ZDiffStore, "zdiffstore", -4, ["write", "denyoom", "movablekeys"], 3, 3, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 2, DestinationIndex = 1 },
            new(RespCommandKind.ZRangeStore, "zrangestore", -5, ["write", "denyoom"], 1, 2, 1),
            new(RespCommandKind.ZInterCard, "zintercard", -3, ["readonly", "movablekeys"], 2, 2, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 1 },
            new(RespCommandKind.LMPop, "lmpop", -4, ["write", "movablekeys"], 2, 2, 1) { KeyFlags = ["RW", "access", "delete"], NumKeysIndex = 1 },
            new(RespCommandKind.BLMPop, "blmpop", -5, ["write", "blocking", "movablekeys"], 3, 3, 1) { KeyFlags = ["RW", "access", "delete"], NumKeysIndex = 2 },
            new(RespCommandKind.SInterCard, "sintercard", -3, ["readonly", "movablekeys"], 2, 2, 1) { KeyFlags = ["RO", "access"], NumKeysIndex = 1 },
        };
        var max = 0;
        foreach (var s in specs)
            max = Math.Max(max, (int)s.Kind);
        var byKind = new RespCommandSpec?[max + 1];
        foreach (var s in specs)
            byKind[(int)s.Kind] = s;
        return byKind;
    }

    /// <summary>A container command (arity -2: a subcommand is required, unless said otherwise) and its subcommands.</summary>
    private static RespCommandSpec Container(RespCommandKind kind, string name, string[] flags, params RespCommandSpec[] subcommands) =>
        Container(kind, name, -2, flags, subcommands);

    private static RespCommandSpec Container(RespCommandKind kind, string name, int arity, string[] flags, params RespCommandSpec[] subcommands)
    {
        var named = new RespCommandSpec[subcommands.Length];
        for (var i = 0; i < subcommands.Length; i++)
        {
            var sub = subcommands[i];
            named[i] = sub.Kind == kind
                ? sub
                : new RespCommandSpec(kind, name + "|" + sub.Name, sub.Arity, sub.Flags, 0, 0, 0);
        }
        return new RespCommandSpec(kind, name, arity, flags, 0, 0, 0) { Subcommands = named };
    }

    /// <summary>A keyless subcommand; the container gives it its parent's kind and full name.</summary>
    private static RespCommandSpec Sub(string name, int arity, string[] flags) =>
        new(RespCommandKind.Unknown, name, arity, flags, 0, 0, 0);

    private static RespCommandSpec[] Collect()
    {
        var list = new List<RespCommandSpec>();
        foreach (var s in ByKind)
        {
            if (s is not null)
                list.Add(s);
        }
        return list.ToArray();
    }
}
