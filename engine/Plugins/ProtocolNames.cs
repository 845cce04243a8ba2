namespace FastDht.Engine.Plugins;

/// <summary>The names of the built-in plugins.</summary>
public static class ProtocolNames
{
    /// <summary>The native binary protocol (docs/protocol.md); always enabled, on the member-list address.</summary>
    public const string Native = "native";

    /// <summary>Redis's RESP2/RESP3 (docs/resp-server.md).</summary>
    public const string Resp = "resp";

    /// <summary>The built-in concurrent store.</summary>
    public const string ShardedStore = "sharded";
}
