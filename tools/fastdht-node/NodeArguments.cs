namespace FastDht.NodeHost;

/// <summary>The command line's values as typed, before they are laid over the environment and the config file.</summary>
internal sealed class NodeArguments
{
    public string? ConfigPath { get; init; }

    /// <summary>Members given as separate arguments instead of --members.</summary>
    public IReadOnlyList<string> PositionalMembers { get; init; } = [];

    /// <summary>Every option given, by config key ("peerTimeout"), with the option's name for messages ("--peer-timeout").</summary>
    public IReadOnlyDictionary<string, (string Text, string Option)> Options { get; init; } =
        new Dictionary<string, (string Text, string Option)>();

    /// <summary>Environment variables with <see cref="NodeConfiguration.EnvironmentPrefix"/> removed; null reads the process environment.</summary>
    /// <remarks>Tests pass their own, since the process environment is shared by tests running in parallel.</remarks>
    public IEnumerable<KeyValuePair<string, string?>>? Environment { get; init; }
}
