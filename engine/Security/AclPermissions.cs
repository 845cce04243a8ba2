using FastDht.Engine.CommandTable;
using System.Text;

using FastDht.Engine.Security.Internal;

namespace FastDht.Engine.Security;

/// <summary>
/// One user's rules, immutable: whether it is enabled, its password hashes, the keys and the commands it may use.
/// A change (ACL SETUSER) builds a new instance and swaps it in, so a session reads one consistent set per request.
/// </summary>
public sealed class AclPermissions
{
    private readonly byte[][] _keyPatterns;

    private AclPermissions(bool enabled, bool noPass, PasswordHash[] passwords, bool allKeys, byte[][] keyPatterns, string[] commandRules)
    {
        Enabled = enabled;
        NoPass = noPass;
        Passwords = passwords;
        AllKeys = allKeys;
        _keyPatterns = keyPatterns;
        CommandRules = commandRules;
        // Compacted: every rule before the last +@all/-@all was dropped, so "+@all" alone means everything.
        AllCommands = commandRules.Length == 1 && commandRules[0] == "+@all";
        AllowsEverything = enabled && AllCommands && allKeys;
    }

    /// <summary>A new user's rules in Redis: off, no password, no keys, no commands.</summary>
    public static AclPermissions None { get; } = new(false, false, [], false, [], ["-@all"]);

    /// <summary>Everything allowed without a password: the default user of a node with no users file and no password.</summary>
    public static AclPermissions Open { get; } = new(true, true, [], true, [], ["+@all"]);

    public bool Enabled { get; }

    /// <summary>Any password (or none) is accepted.</summary>
    public bool NoPass { get; }

    public IReadOnlyList<PasswordHash> Passwords { get; }

    /// <summary>Every key is allowed (<c>allkeys</c> or <c>~*</c>).</summary>
    public bool AllKeys { get; }

    /// <summary>Every command is allowed (<c>+@all</c> with nothing taken away).</summary>
    public bool AllCommands { get; }

    /// <summary>Enabled, every command and every key: sessions skip the per-command checks.</summary>
    public bool AllowsEverything { get; }

    /// <summary>The command rules in the order they apply, for ACL LIST and the users file.</summary>
    public IReadOnlyList<string> CommandRules { get; }

    /// <summary>
    /// Whether the user may run <paramref name="name"/> (a command, or <c>container|subcommand</c>): the last rule
    /// that names it, its container or one of its categories decides; connection commands are always allowed.
    /// </summary>
    public bool Allows(string name)
    {
        if (AclCommandTable.IsAlwaysAllowed(name))
            return true;
        if (AclCommandTable.NeedsAllKeys(name) && !AllKeys)
            return false;
        var categories = AclCommandTable.CategoriesOf(name);
        var bar = name.IndexOf('|', StringComparison.Ordinal);
        var container = bar < 0 ? null : name[..bar];
        for (var i = CommandRules.Count - 1; i >= 0; i--)
        {
            var rule = CommandRules[i];
            var target = rule.AsSpan(1);
            var matches = target.SequenceEqual("@all")
                || target.SequenceEqual(name)
                || (container is not null && target.SequenceEqual(container))
                || (target.Length > 1 && target[0] == '@' && Array.IndexOf(categories, target[1..].ToString()) >= 0);
            if (matches)
                return rule[0] == '+';
        }
        return false;
    }

    /// <summary>Whether the user may read or write <paramref name="key"/>.</summary>
    public bool AllowsKey(ReadOnlySpan<byte> key)
    {
        if (AllKeys)
            return true;
        foreach (var pattern in _keyPatterns)
        {
            if (RespGlob.IsMatch(pattern, key))
                return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="password"/> (UTF-8) is one of the user's; true for any password when nopass.</summary>
    public bool Accepts(ReadOnlySpan<byte> password)
    {
        if (NoPass)
            return true;
        var matched = false;
        // Every hash is tried, so how long a check takes does not say which one matched.
        foreach (var hash in Passwords)
            matched |= hash.Matches(password);
        return matched;
    }

    /// <summary>Applies rules in order (Redis's ACL SETUSER syntax, the subset in docs/security.md) and returns the result.</summary>
    /// <exception cref="AclException">A rule is unknown or malformed: nothing is applied.</exception>
    public AclPermissions Apply(IEnumerable<string> rules)
    {
        var enabled = Enabled;
        var noPass = NoPass;
        var passwords = new List<PasswordHash>(Passwords);
        var allKeys = AllKeys;
        var patterns = new List<byte[]>(_keyPatterns);
        var commands = new List<string>(CommandRules);
        foreach (var raw in rules)
        {
            var rule = raw.Trim();
            if (rule.Length == 0)
                continue;
            switch (rule.ToLowerInvariant())
            {
                case "on": enabled = true; continue;
                case "off": enabled = false; continue;
                case "nopass": noPass = true; passwords.Clear(); continue;
                case "resetpass": noPass = false; passwords.Clear(); continue;
                case "allkeys": allKeys = true; patterns.Clear(); continue;
                case "resetkeys": allKeys = false; patterns.Clear(); continue;
                case "allcommands": commands.Clear(); commands.Add("+@all"); continue;
                case "nocommands": commands.Clear(); commands.Add("-@all"); continue;
                case "allchannels" or "resetchannels": continue; // channel rules are not checked: every user may use every channel (docs/security.md)
                case "reset":
                    enabled = false; noPass = false; passwords.Clear(); allKeys = false; patterns.Clear();
                    commands.Clear(); commands.Add("-@all");
                    continue;
            }
            switch (rule[0])
            {
                case '>':
                    passwords.Add(PasswordHash.Create(rule[1..]));
                    noPass = false;
                    break;
                case '<':
                {
                    var password = Encoding.UTF8.GetBytes(rule[1..]);
                    if (passwords.RemoveAll(h => h.Matches(password)) == 0)
                        throw new AclException($"Error in ACL SETUSER modifier '<...>': no such password");
                    break;
                }
                case '#':
                    if (!PasswordHash.TryParse(rule[1..], out var hash))
                        throw new AclException($"Error in ACL SETUSER modifier '#...': a stored password is pbkdf2-sha256$ITERATIONS$SALT$HASH");
                    passwords.Add(hash!);
                    noPass = false;
                    break;
                case '!':
                    if (passwords.RemoveAll(h => h.Text == rule[1..]) == 0)
                        throw new AclException("Error in ACL SETUSER modifier '!...': no such password hash");
                    break;
                case '~':
                    if (rule == "~*")
                    {
                        allKeys = true;
                        patterns.Clear();
                    }
                    else if (!allKeys)
                    {
                        patterns.Add(Encoding.UTF8.GetBytes(rule[1..]));
                    }
                    break;
                case '&':
                    break; // channels: see allchannels
                case '+' or '-':
                    CheckCommandRule(rule);
                    commands.Add(rule.ToLowerInvariant());
                    break;
                default:
                    throw new AclException($"Error in ACL SETUSER modifier '{rule}': Syntax error");
            }
        }
        return new AclPermissions(enabled, noPass, passwords.ToArray(), allKeys, patterns.ToArray(), Compact(commands));
    }

    /// <summary>The rules that rebuild this user from <see cref="None"/>, as ACL LIST and the users file write them.</summary>
    public string Describe()
    {
        var b = new StringBuilder(Enabled ? "on" : "off");
        if (NoPass)
            b.Append(" nopass");
        foreach (var hash in Passwords)
            b.Append(" #").Append(hash.Text);
        if (AllKeys)
            b.Append(" ~*");
        else
        {
            b.Append(" resetkeys");
            foreach (var pattern in _keyPatterns)
                b.Append(" ~").Append(Encoding.UTF8.GetString(pattern));
        }
        b.Append(" resetchannels");
        foreach (var rule in CommandRules)
            b.Append(' ').Append(rule);
        return b.ToString();
    }

    private static void CheckCommandRule(string rule)
    {
        var name = rule[1..].ToLowerInvariant();
        var known = name.StartsWith('@')
            ? name == "@all" || AclCommandTable.Categories.Contains(name[1..])
            : AclCommandTable.IsCommandName(name);
        if (!known)
            throw new AclException($"Error in ACL SETUSER modifier '{rule}': Unknown command or category name in ACL");
    }

    /// <summary>Drops every rule before the last +@all or -@all: they no longer change anything.</summary>
    private static string[] Compact(List<string> commands)
    {
        var start = 0;
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i] is "+@all" or "-@all")
                start = i;
        }
        var result = commands.GetRange(start, commands.Count - start);
        if (result.Count == 0 || result[0] is not ("+@all" or "-@all"))
            result.Insert(0, "-@all");
        return result.ToArray();
    }
}
