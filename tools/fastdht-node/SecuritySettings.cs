using FastDht.Engine.Cluster;
using FastDht.Engine.Security;

namespace FastDht.NodeHost;

/// <summary>
/// The node's secrets: the cluster secret and the users (docs/security.md). A secret comes from a file or the
/// environment, never from the command line, where every user of the machine can read it in the process list.
/// </summary>
internal static class SecuritySettings
{
    public const string ClusterSecretKey = "clusterSecret";
    public const string ClusterSecretFileKey = "clusterSecretFile";
    public const string UsersFileKey = "usersFile";
    public const string RequirePassKey = "requirePass";
    public const string TlsCertFileKey = "tlsCertFile";
    public const string TlsKeyFileKey = "tlsKeyFile";
    public const string TlsCaFileKey = "tlsCaFile";
    public const string TlsPeerCertificatesKey = "tlsPeerCertificates";

    /// <summary>TLS from PEM files (<c>tlsCertFile</c>, <c>tlsKeyFile</c>, optional <c>tlsCaFile</c>, <c>tlsPeerCertificates</c>); null when no certificate is given.</summary>
    /// <exception cref="ClusterConfigurationException">Only one of certificate and key is given, or a file is unusable.</exception>
    public static TlsOptions? ResolveTls(NodeConfiguration config)
    {
        var cert = config.Find(TlsCertFileKey);
        var key = config.Find(TlsKeyFileKey);
        var ca = config.Find(TlsCaFileKey);
        var peers = config.Find(TlsPeerCertificatesKey);
        if (cert is null && key is null)
        {
            if (ca is not null || peers is not null)
                throw new ClusterConfigurationException($"{(ca ?? peers)!.Value.Source}: TLS needs a certificate and its key (tlsCertFile, tlsKeyFile)");
            return null;
        }
        if (cert is not var (certPath, certSource) || key is not var (keyPath, _))
            throw new ClusterConfigurationException($"{(cert ?? key)!.Value.Source}: TLS needs both a certificate (--tls-cert-file) and its key (--tls-key-file)");
        var requirePeers = false;
        if (peers is var (text, source) && !bool.TryParse(text, out requirePeers))
            throw new ClusterConfigurationException($"{source}: expected true or false, not '{text}'");
        try
        {
            return TlsOptions.FromPemFiles(certPath, keyPath, ca?.Value, requirePeers);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ClusterConfigurationException($"{certSource}: cannot load the TLS certificate, key or authorities: {e.Message}", e);
        }
    }

    /// <summary>The cluster secret from <c>clusterSecretFile</c> or <c>clusterSecret</c> (config file or environment); null when neither is given.</summary>
    /// <exception cref="ClusterConfigurationException">Given on the command line, both given, unreadable or too short.</exception>
    public static ClusterSecret? ResolveClusterSecret(NodeConfiguration config, NodeArguments args)
    {
        RefuseOnCommandLine(args, ClusterSecretKey, "--cluster-secret-file FILE or FASTDHT_NODE_CLUSTERSECRET");
        var file = config.Find(ClusterSecretFileKey);
        var inline = config.Find(ClusterSecretKey);
        if (file is not null && inline is not null)
            throw new ClusterConfigurationException($"give the cluster secret once: {file.Value.Source} and {inline.Value.Source} both set it");
        if (file is var (path, pathSource))
            return Parse(ReadSecretFile(path, pathSource), pathSource);
        if (inline is var (text, source))
            return Parse(text, source);
        return null;
    }

    /// <summary>The users from <c>usersFile</c> and/or a default password from <c>requirePass</c>; null when neither is given.</summary>
    /// <exception cref="ClusterConfigurationException">The password is on the command line, or the users file is unusable.</exception>
    public static UserDirectory? ResolveUsers(NodeConfiguration config, NodeArguments args)
    {
        RefuseOnCommandLine(args, RequirePassKey, "FASTDHT_NODE_REQUIREPASS or \"requirePass\" in the config file");
        UserDirectory? users = null;
        if (config.Find(UsersFileKey) is var (path, source))
        {
            try
            {
                users = File.Exists(path) ? UserDirectory.Load(path) : throw new ClusterConfigurationException($"{source}: no users file at {path}");
            }
            catch (Exception e) when (e is AclException or IOException or UnauthorizedAccessException)
            {
                throw new ClusterConfigurationException($"{source}: {e.Message}", e);
            }
        }
        if (config.Find(RequirePassKey) is var (password, passwordSource))
        {
            if (password.Length == 0)
                throw new ClusterConfigurationException($"{passwordSource}: the password is empty");
            users ??= new UserDirectory();
            users.SetDefaultPassword(password);
        }
        return users;
    }

    private static void RefuseOnCommandLine(NodeArguments args, string key, string instead)
    {
        if (args.Options.TryGetValue(key, out var given))
            throw new ClusterConfigurationException($"{given.Option} is refused: a secret on the command line is visible to every user of the machine; give it with {instead}");
    }

    private static string ReadSecretFile(string path, string source)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClusterConfigurationException($"{source}: cannot read the cluster secret file {path}: {e.Message}", e);
        }
    }

    private static ClusterSecret Parse(string text, string source)
    {
        try
        {
            return ClusterSecret.FromText(text);
        }
        catch (ArgumentException)
        {
            throw new ClusterConfigurationException($"{source}: the cluster secret is shorter than {ClusterSecret.MinimumLength} bytes (make one with: openssl rand -base64 32)");
        }
    }
}
