using System.CommandLine;

namespace FastDht.NodeHost;

/// <summary>The fastdht-node command line: every option is text here, parsed later so errors read the same as the config file's.</summary>
internal static class NodeCommandLine
{
    private static readonly Option<string?> Config = new("--config", "-c") { Description = "A JSON config file (schema in docs/running.md); options given here override it.", HelpName = "FILE" };
    private static readonly Option<string?> NodeId = new("--node-id", "-i") { Description = "Which member of the list this node is (0..65534). Inferred from --listen when that matches a member.", HelpName = "ID" };
    private static readonly Option<string?> Members = new("--members", "-m") { Description = "The member list, the same on every node: \"0=host:port,1=host:port,...\" (or \"host:port,...\", numbered from 0).", HelpName = "LIST" };
    private static readonly Argument<string[]> PositionalMembers = new("MEMBERS") { Description = "The member list as separate host:port (or id=host:port) arguments, instead of --members.", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<string?> Cluster = new("--cluster") { Description = "The cluster name every member and client presents. [default: fastdht]", HelpName = "NAME" };
    private static readonly Option<string?> Listen = new("--listen", "-l") { Description = "Where to listen, host:port or *:port. [default: this member's address]", HelpName = "HOST:PORT" };
    private static readonly Option<string?> Resp = new("--resp") { Description = "Also serve Redis clients (RESP) on this address, host:port or *:port. [default: off]", HelpName = "HOST:PORT" };
    private static readonly Option<string?> MaxFrameSize = new("--max-frame-size") { Description = "The largest frame accepted, 4KiB..1GiB. [default: 1MiB]", HelpName = "SIZE" };
    private static readonly Option<string?> MaxKeySize = new("--max-key-size") { Description = "The longest key accepted, 1..65535 bytes. [default: 65535]", HelpName = "SIZE" };
    private static readonly Option<string?> LockStrategy = new("--lock-strategy") { Description = "wait-die, wound-wait, no-wait, timeout or ordered; the same on every node. [default: wait-die]", HelpName = "NAME" };
    private static readonly Option<string?> LogLevel = new("--log-level") { Description = "trace, debug, information, warning, error, critical or none. [default: information]", HelpName = "LEVEL" };
    private static readonly Option<string?> HeartbeatInterval = new("--heartbeat-interval") { Description = "How often a peer link is pinged. [default: 1s]", HelpName = "DURATION" };
    private static readonly Option<string?> PeerTimeout = new("--peer-timeout") { Description = "A peer silent this long is declared down. [default: 5s]", HelpName = "DURATION" };
    private static readonly Option<string?> ConnectTimeout = new("--connect-timeout") { Description = "How long dialing a peer may take. [default: 2s]", HelpName = "DURATION" };
    private static readonly Option<string?> ReconnectBaseDelay = new("--reconnect-base-delay") { Description = "First redial delay, doubling per failure. [default: 50ms]", HelpName = "DURATION" };
    private static readonly Option<string?> ReconnectMaxDelay = new("--reconnect-max-delay") { Description = "The cap on the redial delay. [default: 2s]", HelpName = "DURATION" };
    private static readonly Option<string?> ForwardTimeout = new("--forward-timeout") { Description = "How long a forwarded request waits for its owner. [default: 5s]", HelpName = "DURATION" };
    private static readonly Option<string?> DrainTimeout = new("--drain-timeout") { Description = "How long a stop waits for in-flight requests. [default: 5s]", HelpName = "DURATION" };

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "fastdht-node: runs one node of a FastDht cluster. Every node is given the same member list and its own id; "
            + "SIGINT or SIGTERM drains in-flight requests and stops (a second signal exits at once). "
            + "Exit codes: 0 stopped, 1 failed, 2 bad configuration.");
        root.Options.Add(Config);
        root.Options.Add(NodeId);
        root.Options.Add(Members);
        root.Options.Add(Cluster);
        root.Options.Add(Listen);
        root.Options.Add(Resp);
        root.Options.Add(MaxFrameSize);
        root.Options.Add(MaxKeySize);
        root.Options.Add(LockStrategy);
        root.Options.Add(LogLevel);
        root.Options.Add(HeartbeatInterval);
        root.Options.Add(PeerTimeout);
        root.Options.Add(ConnectTimeout);
        root.Options.Add(ReconnectBaseDelay);
        root.Options.Add(ReconnectMaxDelay);
        root.Options.Add(ForwardTimeout);
        root.Options.Add(DrainTimeout);
        root.Arguments.Add(PositionalMembers);
        return root;
    }

    /// <summary>The values as typed; options not given are null.</summary>
    public static NodeArguments Read(ParseResult parse) => new()
    {
        ConfigPath = parse.GetValue(Config),
        NodeId = parse.GetValue(NodeId),
        Members = parse.GetValue(Members),
        PositionalMembers = parse.GetValue(PositionalMembers) ?? [],
        Cluster = parse.GetValue(Cluster),
        Listen = parse.GetValue(Listen),
        Resp = parse.GetValue(Resp),
        MaxFrameSize = parse.GetValue(MaxFrameSize),
        MaxKeySize = parse.GetValue(MaxKeySize),
        LockStrategy = parse.GetValue(LockStrategy),
        LogLevel = parse.GetValue(LogLevel),
        HeartbeatInterval = parse.GetValue(HeartbeatInterval),
        PeerTimeout = parse.GetValue(PeerTimeout),
        ConnectTimeout = parse.GetValue(ConnectTimeout),
        ReconnectBaseDelay = parse.GetValue(ReconnectBaseDelay),
        ReconnectMaxDelay = parse.GetValue(ReconnectMaxDelay),
        ForwardTimeout = parse.GetValue(ForwardTimeout),
        DrainTimeout = parse.GetValue(DrainTimeout),
    };
}
