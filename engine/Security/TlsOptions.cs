using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FastDht.Engine.Security;

/// <summary>
/// TLS for a node (docs/security.md): its certificate for every listener (native and RESP) and for the peer links it
/// dials, the authorities it trusts, and whether peers must present a certificate (mutual TLS).
/// </summary>
/// <remarks>
/// A peer's or client's certificate is accepted when it chains to <see cref="TrustedAuthorities"/> (or, when that is
/// null, to the system's roots); the host name is not checked, since members are often named by IP address and every
/// holder of a certificate from the cluster's authority is trusted as a member (peers also prove the cluster secret).
/// </remarks>
public sealed class TlsOptions
{
    /// <summary>This node's certificate, with its private key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The authorities whose certificates this node accepts from peers and clients.</summary>
    /// <remarks>Defaults to null: the system's trust store.</remarks>
    public X509Certificate2Collection? TrustedAuthorities { get; init; }

    /// <summary>Whether a node Hello is refused unless the connection presented a trusted certificate (mutual TLS between nodes).</summary>
    /// <remarks>Defaults to false: peers are authenticated by the cluster secret; with true, by their certificate too.</remarks>
    public bool RequirePeerCertificates { get; init; }

    /// <summary>Reads a certificate and its key from PEM files, and optionally the trusted authorities from a PEM bundle.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A file is not a PEM certificate or key.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static TlsOptions FromPemFiles(string certificatePath, string keyPath, string? authoritiesPath = null, bool requirePeerCertificates = false)
    {
        // Re-imported: on Linux a certificate made from PEM works for SslStream as is, on Windows its key must be persisted.
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        X509Certificate2Collection? authorities = null;
        if (authoritiesPath is not null)
        {
            authorities = [];
            authorities.ImportFromPemFile(authoritiesPath);
        }
        return new TlsOptions { Certificate = certificate, TrustedAuthorities = authorities, RequirePeerCertificates = requirePeerCertificates };
    }

    /// <summary>What every listener of the node runs: its certificate, and a request for the other side's (clients may send none).</summary>
    internal SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(Certificate, additionalCertificates: null),
        ClientCertificateRequired = RequirePeerCertificates,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificate is null || IsTrusted(certificate, errors),
    };

    /// <summary>What the node's peer dials run: its certificate presented, the peer's checked against the authorities.</summary>
    internal SslClientAuthenticationOptions ClientOptions() => new()
    {
        ClientCertificates = [Certificate],
        RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificate is not null && IsTrusted(certificate, errors),
    };

    private bool IsTrusted(X509Certificate certificate, SslPolicyErrors errors)
    {
        if (TrustedAuthorities is null)
            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(TrustedAuthorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
