using System.Text;

namespace FastDht.Engine.Security;

/// <summary>
/// The users a node knows and their rules (docs/security.md): a <c>default</c> user, which a connection is until it
/// authenticates, and any others. Loaded from a users file (Redis's aclfile syntax, passwords only as hashes) and/or
/// given a default password; ACL SETUSER and DELUSER change it at run time and ACL SAVE writes the file back.
/// </summary>
/// <remarks>
/// Security: a node with no <see cref="Node.NodeOptions.Users"/> lets every client do everything. With a directory,
/// a connection is authenticated as <c>default</c> from the start only while that user is on and nopass (Redis's
/// behaviour without requirepass); otherwise it must AUTH first and can do nothing else. Users are per node, like
/// Redis Cluster's: give every node the same file.
/// </remarks>
public sealed class UserDirectory
{
    /// <summary>The name of the user every connection starts as.</summary>
    public const string DefaultUserName = "default";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, AclUser> _users = new(StringComparer.Ordinal);

    /// <summary>A directory with only the default user, allowed everything with no password.</summary>
    public UserDirectory()
    {
        _users[DefaultUserName] = new AclUser(DefaultUserName, AclPermissions.Open);
    }

    /// <summary>The users file ACL SAVE writes, or null when the users live only in memory.</summary>
    public string? FilePath { get; private set; }

    /// <summary>The user a connection is before it authenticates.</summary>
    public AclUser Default
    {
        get
        {
            lock (_lock)
                return _users[DefaultUserName];
        }
    }

    /// <summary>Whether a new connection must authenticate before anything else.</summary>
    public bool RequiresAuthentication
    {
        get
        {
            var p = Default.Permissions;
            return !(p.Enabled && p.NoPass);
        }
    }

    /// <summary>A directory whose default user has this password and may do everything (Redis's requirepass).</summary>
    public static UserDirectory WithDefaultPassword(string password)
    {
        var users = new UserDirectory();
        users.SetDefaultPassword(password);
        return users;
    }

    /// <summary>Reads a users file: one <c>user NAME RULE...</c> line per user, <c>#</c> comments and blank lines ignored.</summary>
    /// <exception cref="AclException">A line cannot be applied; the message names the file and line.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static UserDirectory Load(string path)
    {
        var users = new UserDirectory { FilePath = path };
        var lineNumber = 0;
        foreach (var line in File.ReadAllLines(path))
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#')
                continue;
            var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0] != "user")
                throw new AclException($"{path}:{lineNumber}: a line is 'user NAME RULE...'");
            foreach (var rule in parts.AsSpan(2))
            {
                if (rule.StartsWith('>'))
                    throw new AclException($"{path}:{lineNumber}: passwords are stored hashed ('#pbkdf2-sha256$...', as ACL SAVE writes them), never in clear ('>...')");
            }
            try
            {
                users.SetUser(parts[1], parts.AsSpan(2).ToArray(), fromReset: true);
            }
            catch (AclException e)
            {
                throw new AclException($"{path}:{lineNumber}: {e.Message}");
            }
        }
        return users;
    }

    /// <summary>Gives the default user this password (replacing any), keeping its other rules.</summary>
    public void SetDefaultPassword(string password) => SetUser(DefaultUserName, ["on", "resetpass", ">" + password]);

    /// <summary>The user with this name, or null.</summary>
    public AclUser? Find(string name)
    {
        lock (_lock)
            return _users.GetValueOrDefault(name);
    }

    /// <summary>Every user, by name.</summary>
    public IReadOnlyList<AclUser> Users
    {
        get
        {
            lock (_lock)
            {
                var list = new List<AclUser>(_users.Values);
                list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                return list;
            }
        }
    }

    /// <summary>The user <paramref name="name"/> if it is enabled and <paramref name="password"/> (UTF-8) is one of its passwords; else null.</summary>
    /// <remarks>An unknown user costs one hash too, so the time taken does not tell whether a name exists.</remarks>
    public AclUser? Authenticate(string name, ReadOnlySpan<byte> password)
    {
        var user = Find(name);
        if (user is null)
        {
            DummyHash.Matches(password);
            return null;
        }
        var p = user.Permissions;
        return p.Accepts(password) && p.Enabled && !user.IsDeleted ? user : null;
    }

    /// <summary>Creates the user or applies rules to it (ACL SETUSER), all or nothing.</summary>
    /// <exception cref="AclException">A rule is unknown or malformed: nothing changed.</exception>
    public AclUser SetUser(string name, IReadOnlyList<string> rules, bool fromReset = false)
    {
        if (name.Length == 0 || name.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new AclException("a user name is not empty and has no spaces or control characters");
        lock (_lock)
        {
            if (_users.TryGetValue(name, out var existing) && !fromReset)
            {
                existing.Replace(existing.Permissions.Apply(rules));
                return existing;
            }
            var permissions = AclPermissions.None.Apply(rules);
            if (existing is not null)
            {
                existing.Replace(permissions);
                return existing;
            }
            var user = new AclUser(name, permissions);
            _users[name] = user;
            return user;
        }
    }

    /// <summary>Deletes users (ACL DELUSER); the default user cannot be deleted. Returns how many existed.</summary>
    /// <exception cref="AclException">One of them is the default user: nothing deleted.</exception>
    public int DeleteUsers(IReadOnlyList<string> names)
    {
        lock (_lock)
        {
            foreach (var name in names)
            {
                if (name == DefaultUserName)
                    throw new AclException("The 'default' user cannot be removed");
            }
            var deleted = 0;
            foreach (var name in names)
            {
                if (_users.Remove(name, out var user))
                {
                    user.MarkDeleted();
                    deleted++;
                }
            }
            return deleted;
        }
    }

    /// <summary>Every user as a users-file line, <c>user NAME RULES</c> (passwords as hashes), by name.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>();
        foreach (var user in Users)
            lines.Add($"user {user.Name} {user.Permissions.Describe()}");
        return lines;
    }

    /// <summary>Writes every user to <see cref="FilePath"/> (ACL SAVE): a temporary file renamed over the old one, so a crash leaves one or the other.</summary>
    /// <exception cref="AclException">No users file was configured.</exception>
    public void Save()
    {
        var path = FilePath ?? throw new AclException("This node was not started with a users file (usersFile): there is nowhere to save");
        var temp = path + ".tmp";
        var text = new StringBuilder("# FastDht users (ACL SAVE); passwords are PBKDF2-SHA256 hashes\n");
        foreach (var line in Describe())
            text.Append(line).Append('\n');
        // Owner-only: the hashes are slow to attack, not impossible.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(temp, Encoding.UTF8, options))
            file.Write(text.ToString());
        File.Move(temp, path, overwrite: true);
    }

    // Hashed for unknown users so that a name's existence is not told by timing.
    private static readonly PasswordHash DummyHash = PasswordHash.Create(Guid.NewGuid().ToString());
}
