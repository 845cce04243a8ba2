namespace FastDht.Engine.Transport;

/// <summary>Something a connection's output must wait for before it is sent: a position that must be reached (the write-ahead log's durable position).</summary>
internal interface IOutputBarrier
{
    /// <summary>Whether <paramref name="mark"/> is reached: the output may go.</summary>
    bool IsReached(long mark);

    /// <summary>Completes with true once <paramref name="mark"/> is reached, with false if it never will be (the output must then be dropped).</summary>
    ValueTask<bool> WaitAsync(long mark);
}
