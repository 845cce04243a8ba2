namespace FastDht.TestUtilities;

/// <summary>Which way through a <see cref="LoopbackProxy"/> a fault applies.</summary>
public enum ProxyDirection
{
    /// <summary>Bytes the connecting client sends towards the target.</summary>
    ClientToServer,

    /// <summary>Bytes the target sends back towards the client.</summary>
    ServerToClient,

    /// <summary>Both of the above.</summary>
    Both,
}
