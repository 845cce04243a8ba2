using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.NodeHost;

/// <summary>
/// What the node will run with: the command line laid over the environment laid over the config file laid over the
/// defaults, parsed into <see cref="NodeOptions"/> and a log level.
/// </summary>
/// <remarks>
/// Most settings are bound from their <see cref="NodeOptions"/> property by <see cref="NodeOptionBinding"/>; this
/// type resolves the few that are not one typed value: the member list, the node id (which may be inferred), the
/// listen addresses, the frame limits and the log level.
/// </remarks>
internal sealed class NodeSettings
{
    public const string MembersKey = "members";
    public const string NodeIdKey = "nodeId";
    public const string ListenKey = "listen";
    public const string RespKey = "resp";
    public const string HttpKey = "http";
    public const string MaxFrameSizeKey = "maxFrameSize";
    public const string MaxKeySizeKey = "maxKeySize";
    public const string LogLevelKey = "logLevel";
    public const string SocketThreadsKey = "socketThreads";

    private NodeSettings(NodeOptions options, LogLevel logLevel, System.Net.IPEndPoint? http, SocketThreadCount? socketThreads)
    {
        Options = options;
        LogLevel = logLevel;
        Http = http;
        SocketThreads = socketThreads;
    }

    public NodeOptions Options { get; }

    /// <summary>Where the status endpoint listens; null when it is off.</summary>
    public System.Net.IPEndPoint? Http { get; }

    public LogLevel LogLevel { get; }

    /// <summary>The socket event threads asked for with where the value came from; null when no source names them.</summary>
    public SocketThreadCount? SocketThreads { get; }

    /// <summary>Every config key, the host's first, for the unknown-field error and the docs check.</summary>
    public static IReadOnlyList<string> KnownKeys { get; } = ListKnownKeys();

    /// <summary>Merges and parses; a bad value fails with a one-line message naming the option, variable or file field.</summary>
    /// <exception cref="ClusterConfigurationException">Some setting is unusable.</exception>
    public static NodeSettings Resolve(NodeArguments args)
    {
        // The parser hands an option it does not know to the positional member list: name it for what it is.
        foreach (var positional in args.PositionalMembers)
        {
            if (positional.StartsWith('-'))
                throw new ClusterConfigurationException($"unknown option '{positional}' (see fastdht-node --help)");
        }
        if (args.Options.ContainsKey(MembersKey) && args.PositionalMembers.Count > 0)
            throw new ClusterConfigurationException("give the members either with --members or as arguments, not both");
        var config = NodeConfiguration.Build(args);
        config.RefuseUnknownKeys(KnownKeys, args.ConfigPath);

        var members = config.FindList(MembersKey) is var (entries, source)
            ? SettingParsers.Members(entries, source)
            : throw new ClusterConfigurationException("no member list: give --members \"0=host:port,1=host:port,...\" (or \"members\" in the config file)");
        var listenText = config.Find(ListenKey);
        var listen = listenText is var (l, ls) ? SettingParsers.ListenEndPoint(l, ls) : null;

        var options = new NodeOptions
        {
            Members = members,
            NodeId = ResolveNodeId(config, members, listenText?.Value),
            ListenEndPoint = listen,
            Limits = ResolveLimits(config),
            ClusterSecret = SecuritySettings.ResolveClusterSecret(config, args),
            Users = SecuritySettings.ResolveUsers(config, args),
            Tls = SecuritySettings.ResolveTls(config),
        };
        if (config.Find(RespKey) is var (resp, respSource))
            options.Listeners[Engine.Plugins.ProtocolNames.Resp] = SettingParsers.ListenEndPoint(resp, respSource);
        var http = config.Find(HttpKey) is var (httpText, httpSource) ? SettingParsers.ListenEndPoint(httpText, httpSource) : null;
        NodeOptionBinding.Bind(options, config);

        var logLevel = config.Find(LogLevelKey) is var (level, levelSource) ? SettingParsers.LogLevel(level, levelSource) : LogLevel.Information;
        var socketThreads = config.Find(SocketThreadsKey) is var (threads, threadsSource)
            ? new SocketThreadCount(SettingParsers.SocketThreads(threads, threadsSource), threadsSource)
            : (SocketThreadCount?)null;

        // The engine's own cross-checks (self in the list, timeouts against each other), before anything is bound.
        options.Validate();
        return new NodeSettings(options, logLevel, http, socketThreads);
    }

    /// <summary>
    /// The node id as given; else the member whose address is the listen address; else the only member. Anything
    /// else is ambiguous and an error, because guessing wrong would start a node under another member's identity.
    /// </summary>
    private static ushort ResolveNodeId(NodeConfiguration config, MemberList members, string? listen)
    {
        if (config.Find(NodeIdKey) is var (text, source))
            return SettingParsers.NodeId(text.Trim(), source);
        if (listen is not null && members.TryFindByAddress(listen.Trim(), out var byAddress))
            return byAddress.NodeId;
        if (members.Count == 1)
            return members[0].NodeId;
        throw new ClusterConfigurationException("which member is this node? give --node-id (or \"nodeId\" in the config file)");
    }

    /// <summary>The shared default limits unless a limit is given; then a new instance with the rest at their defaults.</summary>
    private static ProtocolLimits ResolveLimits(NodeConfiguration config)
    {
        var frame = config.Find(MaxFrameSizeKey);
        var key = config.Find(MaxKeySizeKey);
        if (frame is null && key is null)
            return ProtocolLimits.Default;
        return new ProtocolLimits
        {
            MaxFrameSize = frame is var (f, fs) ? SettingParsers.MaxFrameSize(f, fs) : ProtocolLimits.DefaultMaxFrameSize,
            MaxKeySize = key is var (k, ks) ? SettingParsers.MaxKeySize(k, ks) : ProtocolLimits.DefaultMaxKeySize,
        };
    }

    private static List<string> ListKnownKeys()
    {
        var keys = new List<string>(NodeCommandLine.HostKeys);
        foreach (var setting in NodeOptionBinding.Settings)
            keys.Add(setting.Key);
        return keys;
    }
}
