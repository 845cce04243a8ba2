namespace FastDht.Engine.Connections;

/// <summary>The native client sessions open at this node, for the RESP server's CLIENT LIST and CLIENT KILL.</summary>
internal interface IClientDirectory
{
    /// <summary>Every open native client session (not peer links).</summary>
    IEnumerable<FrameSession> OpenClients { get; }
}
