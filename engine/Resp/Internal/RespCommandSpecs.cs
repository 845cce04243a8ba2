using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>The commands FastDht's RESP server answers, indexed by kind; a kind without a spec is an unknown command.</summary>
internal static class RespCommandSpecs
{
    private static readonly string[] Write = ["write", "denyoom"];
    private static readonly string[] WriteFast = ["write", "denyoom", "fast"];
    private static readonly string[] ReadFast = ["readonly", "fast"];
    private static readonly string[] Admin = ["loading", "stale"];
    private static readonly string[] Fast = ["fast", "loading", "stale"];
    private static readonly string[] PubSub = ["pubsub", "noscript", "loading", "stale"];

    private static readonly RespCommandSpec?[] ByKind = Build();

    /// <summary>Every served command, for COMMAND and COMMAND COUNT.</summary>
    public static IReadOnlyList<RespCommandSpec> All { get; } = Collect();

    public static RespCommandSpec? Get(RespCommandKind kind) => (uint)kind < (uint)ByKind.Length ? ByKind[(int)kind] : null;

    private static RespCommandSpec?[] Build()
    {
        var specs = new RespCommandSpec[]
        {
            new(RespCommandKind.Ping, "ping", -1, Fast, 0, 0, 0),
            new(RespCommandKind.Echo, "echo", 2, Fast, 0, 0, 0),
            new(RespCommandKind.Get, "get", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Set, "set", -3, Write, 1, 1, 1),
            new(RespCommandKind.SetNx, "setnx", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.SetEx, "setex", 4, Write, 1, 1, 1),
            new(RespCommandKind.PSetEx, "psetex", 4, Write, 1, 1, 1),
            new(RespCommandKind.GetSet, "getset", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.Del, "del", -2, ["write"], 1, -1, 1),
            new(RespCommandKind.Unlink, "unlink", -2, ["write", "fast"], 1, -1, 1),
            new(RespCommandKind.Exists, "exists", -2, ReadFast, 1, -1, 1),
            new(RespCommandKind.Touch, "touch", -2, ReadFast, 1, -1, 1),
            new(RespCommandKind.MGet, "mget", -2, ReadFast, 1, -1, 1),
            new(RespCommandKind.MSet, "mset", -3, Write, 1, -1, 2),
            new(RespCommandKind.MSetNx, "msetnx", -3, Write, 1, -1, 2),
            new(RespCommandKind.Incr, "incr", 2, WriteFast, 1, 1, 1),
            new(RespCommandKind.IncrBy, "incrby", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.Decr, "decr", 2, WriteFast, 1, 1, 1),
            new(RespCommandKind.DecrBy, "decrby", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.Append, "append", 3, WriteFast, 1, 1, 1),
            new(RespCommandKind.StrLen, "strlen", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Type, "type", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.Ttl, "ttl", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.PTtl, "pttl", 2, ReadFast, 1, 1, 1),
            new(RespCommandKind.GetDel, "getdel", 2, WriteFast, 1, 1, 1),
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
            new(RespCommandKind.DbSize, "dbsize", 1, ReadFast, 0, 0, 0),
            new(RespCommandKind.Keys, "keys", 2, ["readonly"], 0, 0, 0),
            new(RespCommandKind.FlushAll, "flushall", -1, ["write"], 0, 0, 0),
            new(RespCommandKind.FlushDb, "flushdb", -1, ["write"], 0, 0, 0),
            new(RespCommandKind.Function, "function", -2, Admin, 0, 0, 0),
            new(RespCommandKind.Info, "info", -1, Admin, 0, 0, 0),
            new(RespCommandKind.Command, "command", -1, Admin, 0, 0, 0),
            new(RespCommandKind.Client, "client", -2, Admin, 0, 0, 0),
            new(RespCommandKind.Config, "config", -2, Admin, 0, 0, 0),
            new(RespCommandKind.Select, "select", 2, Fast, 0, 0, 0),
            new(RespCommandKind.Auth, "auth", -2, Fast, 0, 0, 0),
            new(RespCommandKind.Hello, "hello", -1, Fast, 0, 0, 0),
            new(RespCommandKind.Quit, "quit", -1, Fast, 0, 0, 0),
            new(RespCommandKind.Reset, "reset", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Role, "role", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Time, "time", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Cluster, "cluster", -2, Admin, 0, 0, 0),
            new(RespCommandKind.ReadOnly, "readonly", 1, Fast, 0, 0, 0),
            new(RespCommandKind.ReadWrite, "readwrite", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Asking, "asking", 1, Fast, 0, 0, 0),
            new(RespCommandKind.Subscribe, "subscribe", -2, PubSub, 0, 0, 0),
            new(RespCommandKind.Unsubscribe, "unsubscribe", -1, PubSub, 0, 0, 0),
            new(RespCommandKind.PSubscribe, "psubscribe", -2, PubSub, 0, 0, 0),
            new(RespCommandKind.PUnsubscribe, "punsubscribe", -1, PubSub, 0, 0, 0),
            new(RespCommandKind.Publish, "publish", 3, PubSub, 0, 0, 0),
        };
        var max = 0;
        foreach (var s in specs)
            max = Math.Max(max, (int)s.Kind);
        var byKind = new RespCommandSpec?[max + 1];
        foreach (var s in specs)
            byKind[(int)s.Kind] = s;
        return byKind;
    }

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
