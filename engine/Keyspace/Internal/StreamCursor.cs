namespace FastDht.Engine.Keyspace.Internal;

/// <summary>One sender's place in a <see cref="ReplicationStream"/>: the records from <see cref="Position"/> on are kept until it reads them.</summary>
internal sealed class StreamCursor
{
    internal StreamCursor(ReplicationStream stream, long position, SenderWakeup? wakeup)
    {
        Stream = stream;
        Position = position;
        Wakeup = wakeup;
    }

    public ReplicationStream Stream { get; }

    /// <summary>Set after every append (and when the stream stops), so the cursor's sender wakes when it has something to read.</summary>
    public SenderWakeup? Wakeup { get; }

    /// <summary>The stream position of the next record to read (changed under the stream's lock).</summary>
    public long Position { get; internal set; }

    /// <summary>The cursor fell too far behind and its records were dropped: its replica must be resynchronized.</summary>
    public bool Overrun { get; internal set; }
}
