using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Text;
using FastDht.Engine.Security;
using FastDht.Engine.Security.Internal;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Who the RESP client is (docs/security.md): AUTH, HELLO AUTH, the check every command passes when the node has
/// users, and the ACL subset (WHOAMI, LIST, USERS, SETUSER, DELUSER, CAT, SAVE).
/// </summary>
internal sealed partial class RespSession
{
    private static ReadOnlySpan<byte> NoAuth => "-NOAUTH Authentication required.\r\n"u8;
    private static ReadOnlySpan<byte> WrongPass => "-WRONGPASS invalid username-password pair or user is disabled.\r\n"u8;

    // Null when the node has no users: no command is ever checked.
    private readonly UserDirectory? _users;

    // With users: who the connection is; null until it authenticates (or after RESET) when the default user needs a password.
    private AclUser? _user;

    /// <summary>What the commands of this connection's scripts must pass: null when the node has no users.</summary>
    private AclPermissions? ScriptPermissions => _users is null ? null : _user?.Permissions;

    /// <summary>The user a new (or RESET) connection is: the default user unless it needs a password.</summary>
    private AclUser? InitialUser => _users is { RequiresAuthentication: false } users ? users.Default : null;

    /// <summary>
    /// Whether the current command is refused for who the connection is; the refusal is written. Only called when the
    /// node has users, so a node without them pays one null test per command.
    /// </summary>
    private bool IsRefused()
    {
        var c = _command;
        var kind = c.Kind;
        var user = _user;
        if (user is null || user.IsDeleted || !user.Permissions.Enabled)
        {
            // Before authentication: AUTH, HELLO (which says itself what it needs) and QUIT; nothing else, not even an error about the command.
            if (kind is RespCommandKind.Auth or RespCommandKind.Hello or RespCommandKind.Quit)
                return false;
            RespWriter.WriteRaw(Target(), NoAuth);
            return true;
        }
        var p = user.Permissions;
        if (p.AllowsEverything || RespCommandSpecs.Get(kind) is not { } spec)
            return false; // unknown commands get their own error
        var name = AclCommandTable.NameOf(spec, c);
        if (name is "acl|whoami" || p.Allows(name))
        {
            if (p.AllKeys || !spec.HasKeys)
                return false;
            var last = Math.Min(spec.LastKeyIndex(c), c.Count - 1);
            for (var i = spec.KeyWalkStart; i <= last; i = spec.NextKeyIndex(i))
            {
                if (!p.AllowsKey(c.GetArgument(i)))
                {
                    RespWriter.WriteError(Target(), "NOPERM"u8, "No permissions to access a key"u8);
                    return true;
                }
            }
            return false;
        }
        RespWriter.WriteError(Target(), "NOPERM"u8, Encoding.UTF8.GetBytes($"User {user.Name} has no permissions to run the '{name}' command"));
        return true;
    }

    /// <summary>Checks a user and password; the connection becomes that user when they are right. False (nothing changed) otherwise.</summary>
    private bool TryAuthenticate(ReadOnlySpan<byte> name, ReadOnlySpan<byte> password)
    {
        if (_users is null)
        {
            // No users: only "default" exists and, like Redis's nopass, accepts any password.
            return name.SequenceEqual("default"u8);
        }
        if (_users.Authenticate(Encoding.UTF8.GetString(name), password) is not { } user)
            return false;
        _user = user;
        return true;
    }

    private void Auth(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count == 2)
        {
            if (_users is null || !_users.RequiresAuthentication && _users.Default.Permissions.NoPass)
            {
                RespWriter.WriteError(w, "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"u8);
                return;
            }
            RespWriter.WriteRaw(w, TryAuthenticate("default"u8, c.GetArgument(1)) ? RespReplies.Ok : WrongPass);
            return;
        }
        if (c.Count == 3)
        {
            RespWriter.WriteRaw(w, TryAuthenticate(c.GetArgument(1), c.GetArgument(2)) ? RespReplies.Ok : WrongPass);
            return;
        }
        RespWriter.WriteRaw(w, RespReplies.SyntaxError);
    }

    private void Acl(IBufferWriter<byte> w)
    {
        var c = _command;
        var sub = c.GetArgument(1);
        if (Ascii.EqualsIgnoreCase(sub, "WHOAMI"u8) && c.Count == 2)
        {
            RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(_user?.Name ?? UserDirectory.DefaultUserName));
            return;
        }
        if (Ascii.EqualsIgnoreCase(sub, "USERS"u8) && c.Count == 2)
        {
            var users = _users?.Users;
            RespWriter.WriteArrayHeader(w, users?.Count ?? 1);
            if (users is null)
                RespWriter.WriteBulkString(w, "default"u8);
            else
            {
                foreach (var user in users)
                    RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(user.Name));
            }
            return;
        }
        if (Ascii.EqualsIgnoreCase(sub, "LIST"u8) && c.Count == 2)
        {
            var lines = _users?.Describe() ?? ["user default " + AclPermissions.Open.Describe()];
            RespWriter.WriteArrayHeader(w, lines.Count);
            foreach (var line in lines)
                RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(line));
            return;
        }
        if (Ascii.EqualsIgnoreCase(sub, "CAT"u8) && c.Count <= 3)
        {
            AclCat(w);
            return;
        }
        if (Ascii.EqualsIgnoreCase(sub, "SETUSER"u8) || Ascii.EqualsIgnoreCase(sub, "DELUSER"u8) || Ascii.EqualsIgnoreCase(sub, "SAVE"u8))
        {
            AclChange(w, sub);
            return;
        }
        if (Ascii.EqualsIgnoreCase(sub, "WHOAMI"u8) || Ascii.EqualsIgnoreCase(sub, "USERS"u8) || Ascii.EqualsIgnoreCase(sub, "LIST"u8) || Ascii.EqualsIgnoreCase(sub, "CAT"u8))
        {
            RespErrors.WriteWrongArity(w, Encoding.ASCII.GetBytes("acl|" + Encoding.ASCII.GetString(sub).ToLowerInvariant()));
            return;
        }
        RespErrors.WriteUnknownSubcommand(w, sub, "ACL");
    }

    private void AclChange(IBufferWriter<byte> w, ReadOnlySpan<byte> sub)
    {
        var c = _command;
        if (_users is null)
        {
            RespWriter.WriteError(w, "this node was started without users (usersFile or requirePass, docs/security.md): its users cannot be changed"u8);
            return;
        }
        try
        {
            if (Ascii.EqualsIgnoreCase(sub, "SAVE"u8) && c.Count == 2)
            {
                _users.Save();
                RespWriter.WriteRaw(w, RespReplies.Ok);
            }
            else if (Ascii.EqualsIgnoreCase(sub, "SETUSER"u8) && c.Count >= 3)
            {
                var rules = new List<string>();
                for (var i = 3; i < c.Count; i++)
                    rules.Add(Encoding.UTF8.GetString(c.GetArgument(i)));
                _users.SetUser(Encoding.UTF8.GetString(c.GetArgument(2)), rules);
                RespWriter.WriteRaw(w, RespReplies.Ok);
            }
            else if (Ascii.EqualsIgnoreCase(sub, "DELUSER"u8) && c.Count >= 3)
            {
                var names = new List<string>();
                for (var i = 2; i < c.Count; i++)
                    names.Add(Encoding.UTF8.GetString(c.GetArgument(i)));
                RespWriter.WriteInteger(w, _users.DeleteUsers(names));
            }
            else
            {
                RespErrors.WriteWrongArity(w, Encoding.ASCII.GetBytes("acl|" + Encoding.ASCII.GetString(sub).ToLowerInvariant()));
            }
        }
        catch (Exception e) when (e is AclException or IOException or UnauthorizedAccessException)
        {
            RespWriter.WriteError(w, Encoding.UTF8.GetBytes(e.Message.ReplaceLineEndings(" ")));
        }
    }

    /// <summary>ACL CAT: the categories, or the commands (and subcommands) in one.</summary>
    private void AclCat(IBufferWriter<byte> w)
    {
        var c = _command;
        if (c.Count == 2)
        {
            RespWriter.WriteArrayHeader(w, AclCommandTable.Categories.Count);
            foreach (var name in AclCommandTable.Categories)
                RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(name));
            return;
        }
        var category = Encoding.UTF8.GetString(c.GetArgument(2)).ToLowerInvariant();
        if (!AclCommandTable.Categories.Contains(category))
        {
            RespWriter.WriteError(w, Encoding.UTF8.GetBytes($"Unknown category '{category}'"));
            return;
        }
        var commands = AclCommandTable.CommandsIn(category);
        RespWriter.WriteArrayHeader(w, commands.Count);
        foreach (var name in commands)
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(name));
    }
}
