using FastDht.Engine.Resp.Internal;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Security.Internal;

/// <summary>
/// Which category each RESP command is in, and which RESP command each native opcode counts as, so one set of
/// rules governs both protocols. Derived from the command specs' flags, so a command added to the RESP server is
/// categorized without being named here (only the exceptions are).
/// </summary>
internal static class AclCommandTable
{
    private static readonly AclCategory[] Categories = Build();

    /// <summary>One more than the highest command kind: the size of a permission table.</summary>
    public static int KindCount => Categories.Length;

    public static AclCategory Of(RespCommandKind kind) => (uint)kind < (uint)Categories.Length ? Categories[(int)kind] : AclCategory.None;

    /// <summary>Connection, introspection and transaction commands every authenticated user may run, whatever its rules.</summary>
    public static bool IsAlwaysAllowed(RespCommandKind kind) => (Of(kind) & (AclCategory.Connection | AclCategory.Transaction)) != 0;

    /// <summary>Commands that reach every key at once and so need <c>allkeys</c> besides the command itself.</summary>
    public static bool NeedsAllKeys(RespCommandKind kind) => kind is RespCommandKind.Keys or RespCommandKind.Scan or RespCommandKind.FlushAll or RespCommandKind.FlushDb;

    /// <summary>The RESP command a native opcode counts as for ACL rules; Unknown for opcodes every authenticated user may send.</summary>
    public static RespCommandKind NativeEquivalent(Opcode opcode) => opcode switch
    {
        Opcode.Get => RespCommandKind.Get,
        Opcode.MultiGet => RespCommandKind.MGet,
        Opcode.Put => RespCommandKind.Set,
        Opcode.PutIfAbsent => RespCommandKind.SetNx,
        Opcode.Delete => RespCommandKind.Del,
        Opcode.MultiPut => RespCommandKind.MSet,
        // Locks serve writes: a user that may SET may lock.
        Opcode.Lock or Opcode.Unlock or Opcode.RenewLease => RespCommandKind.Set,
        _ => RespCommandKind.Unknown,
    };

    /// <summary>The lower-case name of a command, as rules and ACL CAT spell it.</summary>
    public static string? NameOf(RespCommandKind kind) => RespCommandSpecs.Get(kind)?.Name ?? (kind == RespCommandKind.Acl ? "acl" : null);

    /// <summary>The command a name means, or Unknown.</summary>
    public static RespCommandKind KindOf(string name)
    {
        foreach (var spec in RespCommandSpecs.All)
        {
            if (string.Equals(spec.Name, name, StringComparison.OrdinalIgnoreCase))
                return spec.Kind;
        }
        return RespCommandKind.Unknown;
    }

    private static AclCategory[] Build()
    {
        var max = 0;
        foreach (var kind in Enum.GetValues<RespCommandKind>())
            max = Math.Max(max, (int)kind);
        var table = new AclCategory[max + 1];
        foreach (var spec in RespCommandSpecs.All)
        {
            var c = AclCategory.None;
            foreach (var flag in spec.Flags)
            {
                if (flag == "readonly")
                    c |= AclCategory.Read;
                else if (flag == "write")
                    c |= AclCategory.Write;
                else if (flag == "pubsub")
                    c |= AclCategory.PubSub;
            }
            table[(int)spec.Kind] = c;
        }
        foreach (var kind in (ReadOnlySpan<RespCommandKind>)
                 [
                     RespCommandKind.Ping, RespCommandKind.Echo, RespCommandKind.Auth, RespCommandKind.Hello, RespCommandKind.Quit,
                     RespCommandKind.Reset, RespCommandKind.Select, RespCommandKind.ReadOnly, RespCommandKind.ReadWrite,
                     RespCommandKind.Asking, RespCommandKind.Role, RespCommandKind.Time, RespCommandKind.Command,
                     RespCommandKind.Client, RespCommandKind.Cluster,
                 ])
            table[(int)kind] = AclCategory.Connection;
        foreach (var kind in (ReadOnlySpan<RespCommandKind>)
                 [RespCommandKind.Multi, RespCommandKind.Exec, RespCommandKind.Discard, RespCommandKind.Watch, RespCommandKind.Unwatch])
            table[(int)kind] |= AclCategory.Transaction;
        foreach (var kind in (ReadOnlySpan<RespCommandKind>)[RespCommandKind.Info, RespCommandKind.Config, RespCommandKind.Function, RespCommandKind.Acl])
            table[(int)kind] = AclCategory.Admin | AclCategory.Dangerous;
        foreach (var kind in (ReadOnlySpan<RespCommandKind>)[RespCommandKind.Keys, RespCommandKind.Scan, RespCommandKind.FlushAll, RespCommandKind.FlushDb])
            table[(int)kind] |= AclCategory.Dangerous;
        return table;
    }
}
