using System.Security.Cryptography;
using System.Text;

namespace FastDht.Engine.Security;

/// <summary>
/// The secret every node of a cluster shares, proved to each other with an HMAC challenge-response when a peer link
/// opens (docs/security.md); it never crosses the wire.
/// </summary>
/// <remarks>
/// Security: at least 16 bytes, and best 32 random ones (<c>openssl rand -base64 32</c>). Read it from a file or the
/// environment, never from the command line, where every user of the machine can read it in the process list.
/// </remarks>
public sealed class ClusterSecret
{
    /// <summary>The shortest secret accepted: 16 bytes, 128 bits.</summary>
    public const int MinimumLength = 16;

    private readonly byte[] _key;

    /// <summary>A secret of these bytes (copied).</summary>
    /// <exception cref="ArgumentException">Shorter than <see cref="MinimumLength"/>.</exception>
    public ClusterSecret(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinimumLength)
            throw new ArgumentException($"a cluster secret is at least {MinimumLength} bytes (it is {key.Length})", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>A secret from its text (a file's contents or an environment variable), surrounding white space removed.</summary>
    /// <exception cref="ArgumentException">Shorter than <see cref="MinimumLength"/> bytes once trimmed.</exception>
    public static ClusterSecret FromText(string text) => new(Encoding.UTF8.GetBytes(text.Trim()));

    /// <summary>A fresh random 32-byte secret (tests and in-process clusters).</summary>
    public static ClusterSecret CreateRandom() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>HMAC-SHA256 of <paramref name="message"/> under the secret.</summary>
    internal void Sign(ReadOnlySpan<byte> message, Span<byte> proof) => HMACSHA256.HashData(_key, message, proof);

    /// <summary>Never the secret itself.</summary>
    public override string ToString() => "ClusterSecret(hidden)";
}
