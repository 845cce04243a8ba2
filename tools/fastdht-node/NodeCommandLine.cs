using System.CommandLine;

namespace FastDht.NodeHost;

/// <summary>
/// The fastdht-node command line: the host's own options, then one option per bound <see cref="Engine.Node.NodeOptions"/>
/// property (<see cref="NodeOptionBinding"/>). Every value is text here, parsed later so errors read the same
/// whichever source gave the value.
/// </summary>
internal static class NodeCommandLine
{
    private static readonly Option<string?> Config = new("--config", "-c") { Description = "A JSON config file (schema in docs/running.md); environment variables and options given here override it.", HelpName = "FILE" };
    private static readonly Argument<string[]> PositionalMembers = new("MEMBERS") { Description = "The member list as separate host:port (or id=host:port) arguments, instead of --members.", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Settings resolved by <see cref="NodeSettings"/> itself (compound values, or not a NodeOptions property), by config key.</summary>
    private static readonly (string Key, Option<string?> Option)[] HostOptions =
    [
        (NodeSettings.NodeIdKey, new("--node-id", "-i") { Description = "Which member of the list this node is (0..65534). Inferred from --listen when that matches a member.", HelpName = "ID" }),
        (NodeSettings.MembersKey, new("--members", "-m") { Description = "The member list, the same on every node: \"0=host:port,1=host:port,...\" (or \"host:port,...\", numbered from 0).", HelpName = "LIST" }),
        (NodeSettings.ListenKey, new("--listen", "-l") { Description = "Where to listen, host:port or *:port. [default: this member's address]", HelpName = "HOST:PORT" }),
        (NodeSettings.RespKey, new("--resp") { Description = "Also serve Redis clients (RESP) on this address, host:port or *:port. [default: off]", HelpName = "HOST:PORT" }),
        (NodeSettings.HttpKey, new("--http") { Description = "Serve the status endpoint (Prometheus /metrics, /health, /cluster, a status page; no authentication: docs/monitoring.md) on this address, e.g. 127.0.0.1:9180. [default: off]", HelpName = "HOST:PORT" }),
        (NodeSettings.MaxFrameSizeKey, new("--max-frame-size") { Description = "The largest frame accepted, and so the largest value, 4KiB..1GiB. [default: 64MiB]", HelpName = "SIZE" }),
        (NodeSettings.MaxKeySizeKey, new("--max-key-size") { Description = "The longest key accepted, 1..65535 bytes. [default: 65535]", HelpName = "SIZE" }),
        (SecuritySettings.ClusterSecretFileKey, new("--cluster-secret-file") { Description = "A file holding the secret every node of the cluster shares (16 bytes or more); needed by a cluster of more than one member. [default: FASTDHT_NODE_CLUSTERSECRET, else none]", HelpName = "FILE" }),
        (SecuritySettings.UsersFileKey, new("--users-file") { Description = "A users file (docs/security.md): clients must authenticate as one of its users; ACL SAVE writes it. [default: none]", HelpName = "FILE" }),
        (SecuritySettings.TlsCertFileKey, new("--tls-cert-file") { Description = "This node's TLS certificate (PEM): every listener (native and RESP) and every peer link uses TLS. [default: none, plain TCP]", HelpName = "FILE" }),
        (SecuritySettings.TlsKeyFileKey, new("--tls-key-file") { Description = "The certificate's private key (PEM).", HelpName = "FILE" }),
        (SecuritySettings.TlsCaFileKey, new("--tls-ca-file") { Description = "The authorities (PEM bundle) whose certificates peers and clients may present. [default: the system's]", HelpName = "FILE" }),
        (SecuritySettings.TlsPeerCertificatesKey, new("--tls-peer-certificates") { Description = "Mutual TLS between nodes: a peer must present a trusted certificate. [default: false]", HelpName = "true|false" }),
        // Accepted only to be refused with a clear message: a secret on a command line is visible in the process list.
        (SecuritySettings.ClusterSecretKey, new("--cluster-secret") { Hidden = true }),
        (SecuritySettings.RequirePassKey, new("--require-pass", "--requirepass") { Hidden = true }),
        (NodeSettings.SocketThreadsKey, new("--socket-threads") { Description = "How many socket event threads the .NET runtime runs for this process; they receive, execute and send every request (docs/running.md). A number, or cores for one per core. [default: 1, or DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT when that is set]", HelpName = "N|cores" }),
        (NodeSettings.LogLevelKey, new("--log-level") { Description = "trace, debug, information, warning, error, critical or none. [default: information]", HelpName = "LEVEL" }),
    ];

    /// <summary>One option per bound setting, named after its property.</summary>
    private static readonly (string Key, Option<string?> Option)[] BoundOptions = CreateBoundOptions();

    /// <summary>The config keys the host resolves itself.</summary>
    public static IEnumerable<string> HostKeys
    {
        get
        {
            foreach (var (key, _) in HostOptions)
                yield return key;
        }
    }

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "fastdht-node: runs one node of a FastDht cluster. Every node is given the same member list and its own id; "
            + "SIGINT or SIGTERM drains in-flight requests and stops (a second signal exits at once). "
            + "Every option can also be set in the config file or as an environment variable (docs/running.md). "
            + "Exit codes: 0 stopped, 1 failed, 2 bad configuration.");
        root.Options.Add(Config);
        foreach (var (_, option) in HostOptions)
            root.Options.Add(option);
        foreach (var (_, option) in BoundOptions)
            root.Options.Add(option);
        root.Arguments.Add(PositionalMembers);
        return root;
    }

    /// <summary>The values as typed; options not given are absent.</summary>
    public static NodeArguments Read(ParseResult parse)
    {
        var options = new Dictionary<string, (string Text, string Option)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, option) in HostOptions)
            Add(options, parse, key, option);
        foreach (var (key, option) in BoundOptions)
            Add(options, parse, key, option);
        return new NodeArguments
        {
            ConfigPath = parse.GetValue(Config),
            PositionalMembers = parse.GetValue(PositionalMembers) ?? [],
            Options = options,
        };
    }

    private static void Add(Dictionary<string, (string Text, string Option)> options, ParseResult parse, string key, Option<string?> option)
    {
        if (parse.GetValue(option) is { } text)
            options[key] = (text, option.Name);
    }

    private static (string Key, Option<string?> Option)[] CreateBoundOptions()
    {
        var settings = NodeOptionBinding.Settings;
        var options = new (string Key, Option<string?> Option)[settings.Count];
        for (var i = 0; i < settings.Count; i++)
        {
            var s = settings[i];
            var description = s.Summary is { Length: > 0 } summary ? $"{summary} [default: {s.DefaultText}]" : $"[default: {s.DefaultText}]";
            options[i] = (s.Key, new Option<string?>(s.Flag) { Description = description, HelpName = s.HelpName });
        }
        return options;
    }
}
