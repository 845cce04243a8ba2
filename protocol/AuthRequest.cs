using System.Text;

namespace FastDht.Protocol;

/// <summary>A decoded Auth request; the spans are slices of the body.</summary>
public readonly ref struct AuthRequest
{
    public AuthRequest(AuthMechanism mechanism, ReadOnlySpan<byte> user, ReadOnlySpan<byte> secret)
    {
        Mechanism = mechanism;
        User = user;
        Secret = secret;
    }

    public AuthMechanism Mechanism { get; }

    /// <summary>(Password) the user name, UTF-8; empty means the default user.</summary>
    public ReadOnlySpan<byte> User { get; }

    /// <summary>The password (UTF-8), the dialer's nonce or the dialer's proof, by <see cref="Mechanism"/>.</summary>
    public ReadOnlySpan<byte> Secret { get; }

    public string GetUser() => User.IsEmpty ? "default" : Encoding.UTF8.GetString(User);
}
