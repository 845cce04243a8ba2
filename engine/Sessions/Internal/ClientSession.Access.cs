using FastDht.Engine.Connections;
using FastDht.Engine.Security;
using FastDht.Engine.Security.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>
/// Who the client is: the user it authenticated as (or the default user), whose rules each request is checked
/// against unless they allow everything, and Auth after the handshake to become another user.
/// </summary>
internal sealed partial class ClientSession
{
    // Null when the node has no users (everyone may do everything); never null once a node has them.
    private AclUser? _user;

    /// <summary>Why the user may not send this request (AuthRequired, NoPermission), or null when it may.</summary>
    /// <remarks>Off the fast path: only users with restrictions get here, and may pay a decode of the keys.</remarks>
    private ErrorReply? Refusal(in Frame frame, AclUser user)
    {
        var header = frame.Header;
        var p = user.Permissions;
        if (!p.Enabled || user.IsDeleted)
            return new ErrorReply(header.RequestId, header.Opcode, StatusCode.AuthRequired, $"NOAUTH user '{user.Name}' was disabled or deleted: authenticate again");
        var name = AclCommandTable.NativeEquivalent(header.Opcode);
        if (name is null)
            return null;
        if (!p.Allows(name))
            return new ErrorReply(header.RequestId, header.Opcode, StatusCode.NoPermission, $"NOPERM user '{user.Name}' has no permissions to run {header.Opcode} (the '{name}' command)");
        if (p.AllKeys)
            return null;
        var body = BodyOf(frame);
        var limits = ReceiveLimits;
        var allowed = true;
        switch (header.Opcode)
        {
            case Opcode.Get:
            case Opcode.Put:
            case Opcode.PutIfAbsent:
            case Opcode.Delete:
            {
                var reader = new BodyReader(body);
                // A body without a key is refused by the request itself, with the precise error.
                allowed = !reader.TryReadKey(limits.MaxKeySize, out var key) || p.AllowsKey(key);
                break;
            }
            case Opcode.MultiPut:
                if (RequestDecoder.TryReadMultiPut(body, limits, out var entries, out _))
                {
                    foreach (var e in entries)
                        allowed &= p.AllowsKey(e.Key);
                }
                break;
            case Opcode.MultiGet:
                if (RequestDecoder.TryReadMultiGet(body, limits, out var keys, out _))
                    allowed = AllAllowed(p, keys);
                break;
            case Opcode.Lock:
                if (RequestDecoder.TryReadLock(body, limits, out _, out _, out _, out var locked, out _))
                    allowed = AllAllowed(p, locked);
                break;
        }
        return allowed
            ? null
            : new ErrorReply(header.RequestId, header.Opcode, StatusCode.NoPermission, $"NOPERM user '{user.Name}' has no permissions to access one of the keys used as arguments");
    }

    private static bool AllAllowed(AclPermissions p, KeyList keys)
    {
        foreach (var key in keys)
        {
            if (!p.AllowsKey(key))
                return false;
        }
        return true;
    }

    /// <summary>Auth on an open session: becomes the named user when the password is right; otherwise nothing changes.</summary>
    private ValueTask<bool> ReauthenticateAsync(in Frame frame)
    {
        var header = frame.Header;
        if (_host.Users is not { } users)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "this node has no users: there is nothing to authenticate to");
        if (!AuthFrames.TryReadRequest(BodyOf(frame), out var auth, out var error))
            return ReplyErrorAsync(header, error.Status, error.Message);
        if (auth.Mechanism != AuthMechanism.Password)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "a client authenticates with a user and password (mechanism 1)");
        if (users.Authenticate(auth.GetUser(), auth.Secret) is not { } user)
            return ReplyErrorAsync(header, StatusCode.AuthFailed, "WRONGPASS invalid username-password pair or user is disabled");
        _user = user;
        OnAnswered(Opcode.Auth, StatusCode.Ok);
        return ReplyAsync(new AuthOkReply(header.RequestId));
    }
}
