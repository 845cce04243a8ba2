using System.Globalization;
using System.Text.Json;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.NodeHost;

/// <summary>
/// What the node will run with: the command line laid over the config file laid over the defaults, parsed into
/// <see cref="NodeOptions"/> and a log level.
/// </summary>
internal sealed class NodeSettings
{
    private NodeSettings(NodeOptions options, LogLevel logLevel)
    {
        Options = options;
        LogLevel = logLevel;
    }

    public NodeOptions Options { get; }

    public LogLevel LogLevel { get; }

    /// <summary>Merges and parses; a bad value fails with a one-line message naming the option or the file field.</summary>
    /// <exception cref="ClusterConfigurationException">Some setting is unusable.</exception>
    public static NodeSettings Resolve(NodeArguments args)
    {
        var file = args.ConfigPath is null ? new NodeConfigFile() : NodeConfigLoader.Load(args.ConfigPath);
        var merge = new Merger(args.ConfigPath);

        var members = ResolveMembers(args, file, args.ConfigPath);
        var listenText = merge.Pick(args.Listen, "--listen", file.Listen, "listen");
        var listen = listenText.Value is { } l ? SettingParsers.ListenEndPoint(l, listenText.Source) : null;
        var nodeId = ResolveNodeId(args, file, merge, members, listenText.Value);

        var limits = ProtocolLimits.Default;
        var frame = merge.Pick(args.MaxFrameSize, "--max-frame-size", SizeText(file.MaxFrameSize), "maxFrameSize");
        var key = merge.Pick(args.MaxKeySize, "--max-key-size", SizeText(file.MaxKeySize), "maxKeySize");
        if (frame.Value is not null || key.Value is not null)
        {
            limits = new ProtocolLimits
            {
                MaxFrameSize = frame.Value is { } f ? SettingParsers.MaxFrameSize(f, frame.Source) : ProtocolLimits.DefaultMaxFrameSize,
                MaxKeySize = key.Value is { } k ? SettingParsers.MaxKeySize(k, key.Source) : ProtocolLimits.DefaultMaxKeySize,
            };
        }

        var options = new NodeOptions
        {
            Members = members,
            NodeId = nodeId,
            ListenEndPoint = listen,
            Limits = limits,
        };
        if (merge.Pick(args.Resp, "--resp", file.Resp, "resp") is { Value: { } resp } respText)
            options.Listeners[FastDht.Engine.Plugins.ProtocolNames.Resp] = SettingParsers.ListenEndPoint(resp, respText.Source);
        if (merge.Pick(args.Cluster, "--cluster", file.Cluster, "cluster") is { Value: { } cluster })
            options.ClusterName = cluster;
        if (merge.Pick(args.LockStrategy, "--lock-strategy", file.LockStrategy, "lockStrategy") is { Value: { } strategy } s)
            options.LockStrategy = SettingParsers.LockStrategy(strategy, s.Source);
        options.HeartbeatInterval = merge.Duration(args.HeartbeatInterval, "--heartbeat-interval", file.HeartbeatInterval, "heartbeatInterval", options.HeartbeatInterval);
        options.PeerTimeout = merge.Duration(args.PeerTimeout, "--peer-timeout", file.PeerTimeout, "peerTimeout", options.PeerTimeout);
        options.ConnectTimeout = merge.Duration(args.ConnectTimeout, "--connect-timeout", file.ConnectTimeout, "connectTimeout", options.ConnectTimeout);
        options.ReconnectBaseDelay = merge.Duration(args.ReconnectBaseDelay, "--reconnect-base-delay", file.ReconnectBaseDelay, "reconnectBaseDelay", options.ReconnectBaseDelay);
        options.ReconnectMaxDelay = merge.Duration(args.ReconnectMaxDelay, "--reconnect-max-delay", file.ReconnectMaxDelay, "reconnectMaxDelay", options.ReconnectMaxDelay);
        options.ForwardTimeout = merge.Duration(args.ForwardTimeout, "--forward-timeout", file.ForwardTimeout, "forwardTimeout", options.ForwardTimeout);
        options.DrainTimeout = merge.Duration(args.DrainTimeout, "--drain-timeout", file.DrainTimeout, "drainTimeout", options.DrainTimeout);

        var level = merge.Pick(args.LogLevel, "--log-level", file.LogLevel, "logLevel");
        var logLevel = level.Value is { } lv ? SettingParsers.LogLevel(lv, level.Source) : LogLevel.Information;

        // The engine's own cross-checks (self in the list, timeouts against each other), before anything is bound.
        options.Validate();
        return new NodeSettings(options, logLevel);
    }

    private static MemberList ResolveMembers(NodeArguments args, NodeConfigFile file, string? configPath)
    {
        if (args.Members is not null && args.PositionalMembers.Count > 0)
            throw new ClusterConfigurationException("give the members either with --members or as arguments, not both");
        if (args.Members is not null)
            return SettingParsers.Members(args.Members.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries), "--members");
        if (args.PositionalMembers.Count > 0)
            return SettingParsers.Members(args.PositionalMembers, "members");
        if (file.Members is not null)
            return SettingParsers.Members(file.Members, $"'members' in {configPath}");
        throw new ClusterConfigurationException("no member list: give --members \"0=host:port,1=host:port,...\" (or \"members\" in the config file)");
    }

    /// <summary>
    /// The node id as given; else the member whose address is the listen address; else the only member. Anything
    /// else is ambiguous and an error, because guessing wrong would start a node under another member's identity.
    /// </summary>
    private static ushort ResolveNodeId(NodeArguments args, NodeConfigFile file, Merger merge, MemberList members, string? listen)
    {
        var fileId = file.NodeId?.ToString(CultureInfo.InvariantCulture);
        var id = merge.Pick(args.NodeId, "--node-id", fileId, "nodeId");
        if (id.Value is { } text)
            return SettingParsers.NodeId(text, id.Source);
        if (listen is not null && members.TryFindByAddress(listen.Trim(), out var byAddress))
            return byAddress.NodeId;
        if (members.Count == 1)
            return members[0].NodeId;
        throw new ClusterConfigurationException("which member is this node? give --node-id (or \"nodeId\" in the config file)");
    }

    /// <summary>A size field's text: a JSON number as digits, a JSON string as written.</summary>
    private static string? SizeText(JsonElement? element) => element switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } e => e.GetRawText(),
        { ValueKind: JsonValueKind.String } e => e.GetString(),
        { } e => e.GetRawText(),
    };

    /// <summary>Picks the command-line value over the file's, remembering which it was for error messages.</summary>
    private sealed class Merger(string? configPath)
    {
        public (string? Value, string Source) Pick(string? cliValue, string optionName, string? fileValue, string fieldName)
        {
            if (cliValue is not null)
                return (cliValue, optionName);
            return (fileValue, $"'{fieldName}' in {configPath}");
        }

        public TimeSpan Duration(string? cliValue, string optionName, string? fileValue, string fieldName, TimeSpan defaultValue)
        {
            var (value, source) = Pick(cliValue, optionName, fileValue, fieldName);
            return value is null ? defaultValue : SettingParsers.Duration(value, source);
        }
    }
}
