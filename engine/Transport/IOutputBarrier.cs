namespace FastDht.Engine.Transport;

/// <summary>Something a connection's output must wait for before it is sent: a position that must be reached (the write-ahead log's durable position).</summary>
internal interface IOutputBarrier
{
    /// <summary>Whether <paramref name="mark"/> is reached: the output may go.</summary>
    bool IsReached(long mark);

    /// <summary>Completes with true once <paramref name="mark"/> is reached, with false if it never will be (the output must then be dropped).</summary>
    /// <param name="mark">The position to wait for.</param>
    /// <param name="giveUpOnFailure">
    /// A client's output: also false as soon as the barrier fails to make progress for a reason that may last (the log
    /// cannot write to disk), so that the client is not left waiting on a disk that may never come back.
    /// </param>
    ValueTask<bool> WaitAsync(long mark, bool giveUpOnFailure);
}
