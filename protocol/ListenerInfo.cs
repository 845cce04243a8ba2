namespace FastDht.Protocol;

/// <summary>One protocol listener a node has enabled: the plugin's name ("native", "resp", ...) and its "host:port".</summary>
public readonly record struct ListenerInfo(string Protocol, string Address);
