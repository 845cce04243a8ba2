namespace FastDht.Engine.Transport;

/// <summary>Connection counts for leak checks and metrics: how many are open now, how many ever were, and the bytes they moved.</summary>
/// <remarks>Bytes are added once per socket send or receive (a batch of frames), not per request.</remarks>
public sealed class TransportCounters
{
    private readonly Diagnostics.StripedCounters _bytes = new(2);
    private long _live;
    private long _opened;
    private long _outputLimitClosed;

    /// <summary>The counters every connection uses unless its options name others.</summary>
    public static TransportCounters Global { get; } = new();

    /// <summary>Connections started and not yet disposed.</summary>
    public long LiveConnections => Interlocked.Read(ref _live);

    /// <summary>Connections ever started.</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    /// <summary>Bytes received from sockets (after TLS decryption on a TLS connection: what the protocol read).</summary>
    public long BytesReceived => _bytes.Sum(0);

    /// <summary>Bytes sent to sockets (before TLS encryption on a TLS connection: what the protocol wrote).</summary>
    public long BytesSent => _bytes.Sum(1);

    /// <summary>Client connections closed for leaving more unsent output than their <see cref="OutputLimit"/> allows.</summary>
    public long OutputLimitDisconnections => Interlocked.Read(ref _outputLimitClosed);

    internal void OnOutputLimitReached() => Interlocked.Increment(ref _outputLimitClosed);

    internal void OnOpened()
    {
        Interlocked.Increment(ref _opened);
        Interlocked.Increment(ref _live);
    }

    internal void OnDisposed() => Interlocked.Decrement(ref _live);

    internal void OnReceived(long count) => _bytes.Add(0, count);

    internal void OnSent(long count) => _bytes.Add(1, count);
}
