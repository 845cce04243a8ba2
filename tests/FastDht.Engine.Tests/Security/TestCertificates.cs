using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastDht.Engine.Security;

namespace FastDht.Engine.Tests.Security;

/// <summary>Throwaway certificates made in-process: an authority and leaves it signs for 127.0.0.1 and localhost.</summary>
internal sealed class TestCertificates
{
    private TestCertificates(X509Certificate2 authority) => Authority = authority;

    public X509Certificate2 Authority { get; }

    public static TestCertificates Create(string name = "FastDht test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddDays(2));
        return new TestCertificates(authority);
    }

    /// <summary>A certificate for 127.0.0.1 and localhost, for servers and clients, signed by <see cref="Authority"/>.</summary>
    public X509Certificate2 Issue(string name = "fastdht-node")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Node TLS with a fresh leaf of this authority, trusting only it.</summary>
    public TlsOptions NodeTls(bool requirePeerCertificates = false) =>
        new() { Certificate = Issue(), TrustedAuthorities = [Authority], RequirePeerCertificates = requirePeerCertificates };

    /// <summary>Whether a presented certificate chains to <see cref="Authority"/> (for clients' validation callbacks).</summary>
    public bool Trusts(X509Certificate? certificate)
    {
        if (certificate is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    /// <summary>Writes the authority as PEM (for redis-cli --cacert) and returns the path.</summary>
    public string WriteAuthorityPem(string directory)
    {
        var path = Path.Combine(directory, "ca.pem");
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }
}
