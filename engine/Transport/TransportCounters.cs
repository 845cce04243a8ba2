namespace FastDht.Engine.Transport;

/// <summary>Connection counts for leak checks and metrics: how many are open now, and how many ever were.</summary>
public sealed class TransportCounters
{
    private long _live;
    private long _opened;

    /// <summary>The counters every connection uses unless its options name others.</summary>
    public static TransportCounters Global { get; } = new();

    /// <summary>Connections started and not yet disposed.</summary>
    public long LiveConnections => Interlocked.Read(ref _live);

    /// <summary>Connections ever started.</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    internal void OnOpened()
    {
        Interlocked.Increment(ref _opened);
        Interlocked.Increment(ref _live);
    }

    internal void OnDisposed() => Interlocked.Decrement(ref _live);
}
