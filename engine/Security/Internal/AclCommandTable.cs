using FastDht.Engine.CommandTable;
using System.Text;

using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Security.Internal;

/// <summary>
/// The names and Redis ACL categories ACL rules work with: each command (or container subcommand, <c>client|kill</c>)
/// has the categories COMMAND INFO reports for it (<see cref="RespCommandDocs"/>), so <c>+@read</c> means here what it
/// means in Redis. Native opcodes count as their RESP equivalents, so one set of rules governs both protocols.
/// </summary>
internal static class AclCommandTable
{
    private static readonly string[] ConnectionGroups = ["connection", "cluster", "transactions"];

    /// <summary>Every category some command is in, sorted, for ACL CAT and for checking rules.</summary>
    public static IReadOnlyList<string> Categories { get; } = CollectCategories();

    /// <summary>The categories of a command or subcommand name.</summary>
    public static string[] CategoriesOf(string name) => RespCommandDocs.For(name).Categories;

    /// <summary>
    /// Connection, cluster-introspection and transaction commands that read, write and administer nothing (PING, HELLO,
    /// AUTH, SELECT, CLIENT ID, CLUSTER SLOTS, COMMAND, MULTI, ...): every authenticated user may run them whatever its
    /// rules, so that cluster-aware clients can connect. The queued commands of a MULTI are checked as they are queued.
    /// </summary>
    public static bool IsAlwaysAllowed(string name)
    {
        var doc = RespCommandDocs.For(name);
        foreach (var category in doc.Categories)
        {
            if (category is "admin" or "dangerous" or "read" or "write" or "keyspace")
                return false;
        }
        return Array.IndexOf(ConnectionGroups, doc.Group) >= 0 || name is "command" or "time" || name.StartsWith("command|", StringComparison.Ordinal);
    }

    /// <summary>Commands that reach every key at once and so need <c>allkeys</c> besides the command itself.</summary>
    public static bool NeedsAllKeys(string name) => name is "keys" or "scan" or "randomkey" or "flushall" or "flushdb";

    /// <summary>The name a command is checked under: the command, or <c>container|subcommand</c> when the command has subcommands.</summary>
    public static string NameOf(RespCommandSpec spec, RespCommand command)
    {
        if (spec.Subcommands.Length == 0 || command.Count < 2)
            return spec.Name;
        var sub = Encoding.UTF8.GetString(command.GetArgument(1)).ToLowerInvariant();
        foreach (var s in spec.Subcommands)
        {
            if (s.ShortName == sub)
                return s.Name;
        }
        return spec.Name;
    }

    /// <summary>The RESP command a native opcode counts as for ACL rules; null for opcodes every authenticated user may send.</summary>
    public static string? NativeEquivalent(Opcode opcode) => opcode switch
    {
        Opcode.Get => "get",
        Opcode.MultiGet => "mget",
        Opcode.Put => "set",
        Opcode.PutIfAbsent => "setnx",
        Opcode.Delete => "del",
        Opcode.MultiPut => "mset",
        // Locks serve writes: a user that may SET may lock.
        Opcode.Lock or Opcode.Unlock or Opcode.RenewLease => "set",
        // An administrative request, as Redis's SAVE/BGSAVE (@admin @dangerous): only users allowed those may ask.
        Opcode.Snapshot => "bgsave",
        // Moving slots changes the cluster: an administrative request, as Redis's CLUSTER SETSLOT (@admin @dangerous).
        Opcode.MoveSlots or Opcode.RemoveNode => "cluster",
        _ => null,
    };

    /// <summary>Whether a rule may name <paramref name="name"/> (<c>get</c>, <c>client|kill</c>).</summary>
    public static bool IsCommandName(string name)
    {
        foreach (var spec in RespCommandSpecs.All)
        {
            if (spec.Name == name)
                return true;
            foreach (var sub in spec.Subcommands)
            {
                if (sub.Name == name)
                    return true;
            }
        }
        return false;
    }

    /// <summary>The commands and subcommands in a category, for ACL CAT.</summary>
    public static List<string> CommandsIn(string category)
    {
        var names = new List<string>();
        foreach (var spec in RespCommandSpecs.All)
        {
            if (Array.IndexOf(CategoriesOf(spec.Name), category) >= 0)
                names.Add(spec.Name);
            foreach (var sub in spec.Subcommands)
            {
                if (Array.IndexOf(CategoriesOf(sub.Name), category) >= 0)
                    names.Add(sub.Name);
            }
        }
        return names;
    }

    private static List<string> CollectCategories()
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var spec in RespCommandSpecs.All)
        {
            set.UnionWith(CategoriesOf(spec.Name));
            foreach (var sub in spec.Subcommands)
                set.UnionWith(CategoriesOf(sub.Name));
        }
        return [.. set];
    }
}
