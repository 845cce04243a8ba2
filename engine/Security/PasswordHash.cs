using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FastDht.Engine.Security;

/// <summary>
/// A password as it is kept at rest: PBKDF2 over SHA-256 with a random salt, written
/// <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in base64). The password itself is never stored.
/// </summary>
/// <remarks>
/// 10,000 iterations by default: about 3 ms per check on one core of the build machine. That is the cost of every AUTH,
/// including a wrong one from an unauthenticated client, so the count balances an offline attack on a stolen users
/// file against how much CPU an anonymous client can make the node spend (one check at a time per connection). The
/// count is part of each hash, so it can be raised without invalidating existing files.
/// </remarks>
public sealed class PasswordHash
{
    /// <summary>The iteration count new hashes get.</summary>
    public const int DefaultIterations = 10_000;

    private const string Prefix = "pbkdf2-sha256$";
    private const int SaltSize = 16;
    private const int HashSize = 32;

    private readonly int _iterations;
    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        _iterations = iterations;
        _salt = salt;
        _hash = hash;
        Text = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>The stored form, <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c>.</summary>
    public string Text { get; }

    /// <summary>Hashes a password with a fresh random salt.</summary>
    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        return new PasswordHash(iterations, salt, Derive(Encoding.UTF8.GetBytes(password), salt, iterations));
    }

    /// <summary>Reads a stored hash; false when the text is not one.</summary>
    public static bool TryParse(string text, out PasswordHash? hash)
    {
        hash = null;
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var parts = text[Prefix.Length..].Split('$');
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1000 || iterations > 10_000_000)
            return false;
        try
        {
            var salt = Convert.FromBase64String(parts[1]);
            var bytes = Convert.FromBase64String(parts[2]);
            if (salt.Length < 8 || bytes.Length != HashSize)
                return false;
            hash = new PasswordHash(iterations, salt, bytes);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="password"/> (UTF-8) is this hash's password; compared in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> password)
    {
        Span<byte> derived = stackalloc byte[HashSize];
        Rfc2898DeriveBytes.Pbkdf2(password, _salt, derived, _iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(derived, _hash);
    }

    private static byte[] Derive(byte[] password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashSize);

    public override string ToString() => Text;
}
