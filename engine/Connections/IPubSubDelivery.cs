namespace FastDht.Engine.Connections;

/// <summary>What a peer link needs of the node's pub/sub: delivering a message published at another node to this node's subscribers.</summary>
internal interface IPubSubDelivery
{
    /// <summary>Delivers <paramref name="message"/> on <paramref name="channel"/> to this node's channel and pattern subscribers (copied: the spans point into a receive pipe).</summary>
    void DeliverFromPeer(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message);
}
