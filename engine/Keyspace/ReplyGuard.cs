using FastDht.Engine.Keyspace.Internal;
using FastDht.Engine.Transport;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// The one helper every session calls so that a reply acknowledging a write leaves only once the write is durable
/// (<see cref="Node.NodeOptions.Fsync"/> decides what durable means) and, with replicas, once every in-sync replica has
/// it. Exists only when the node has a data directory or replicas.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: under <c>always</c> a reply waits for its record to be on disk; with replicas it also waits for every
/// in-sync replica's acknowledgement; the reading thread never blocks on either; pipelined replies keep their order;
/// nothing is allocated per request.
/// </para>
/// <para>
/// Design: replies are written into the connection's output unflushed, as without a log. Right after a command runs
/// (on the thread that ran it, so the log's and the stream's per-thread marks name exactly the records it appended),
/// the session calls <see cref="HoldThisThreadsWrites"/>: the connection's output barriers rise to those positions, and
/// every later flush of the connection, whoever does it, waits asynchronously (holding the writer lock) until the log
/// is durable and the replicas have acknowledged that far. The read loop's flush once per batch is the usual one, so
/// one wait covers a whole pipelined batch, and the log's group commit and the stream's batches cover many
/// connections' batches at once. A reply computed off the read loop (transactions) uses <see cref="HoldAllAppended"/>:
/// it waits for everything appended before it, which includes its own records. Reads append nothing and do not wait,
/// unless they share a flush with a write.
/// </para>
/// </remarks>
internal sealed class ReplyGuard : IOutputBarrier
{
    private readonly WriteAheadLog? _log;
    private readonly ReplicationStream? _stream;

    public ReplyGuard(WriteAheadLog? log, ReplicationStream? stream)
    {
        _log = log;
        _stream = stream;
    }

    /// <summary>Holds the connection's next flush until what this thread appended since its last take is durable (and replicated).</summary>
    public void HoldThisThreadsWrites(SocketConnection connection)
    {
        if (_log is not null)
        {
            var mark = _log.TakeThreadMark();
            if (mark != 0)
                connection.HoldOutputUntil(this, mark);
        }
        if (_stream is not null)
        {
            var mark = _stream.TakeThreadMark();
            if (mark != 0)
                connection.HoldOutputUntil(_stream, mark);
        }
    }

    /// <summary>Holds the connection's next flush until everything appended so far is durable (and replicated).</summary>
    public void HoldAllAppended(SocketConnection connection)
    {
        if (_log is not null)
            connection.HoldOutputUntil(this, _log.AppendedPosition);
        if (_stream is not null)
            connection.HoldOutputUntil(_stream, _stream.AppendedPosition);
    }

    /// <summary>Waits (without blocking) until what this thread appended since its last take is durable (and replicated); false if the log or the stream closed first.</summary>
    public ValueTask<bool> WhenThisThreadsWritesDurableAsync()
    {
        var logMark = _log?.TakeThreadMark() ?? 0;
        var streamMark = _stream?.TakeThreadMark() ?? 0;
        return WhenReachedAsync(logMark, streamMark);
    }

    /// <summary>Waits (without blocking) until everything appended so far is durable (and replicated); false if the log or the stream closed first.</summary>
    public ValueTask<bool> WhenAllAppendedDurableAsync() =>
        WhenReachedAsync(_log?.AppendedPosition ?? 0, _stream?.AppendedPosition ?? 0);

    // Under everysec and no this writes the pending records to the operating system on the flushing thread (no fsync).
    bool IOutputBarrier.IsReached(long mark) => _log is null || _log.TryMakeDurable(mark);

    // The continuation is the connection's held flush: under always the log's flush thread runs it right after the fsync.
    // A client's flush gives up when the log fails to write (its connection is then closed: outcome unknown), a peer
    // link's waits for the disk (the peer's own forward timeout answers its client).
    ValueTask<bool> IOutputBarrier.WaitAsync(long mark, bool giveUpOnFailure) =>
        _log is null ? new ValueTask<bool>(true) : _log.WhenDurableForSendAsync(mark, giveUpOnFailure);

    private ValueTask<bool> WhenReachedAsync(long logMark, long streamMark)
    {
        if (streamMark == 0 || _stream is null)
            return logMark == 0 || _log is null ? new ValueTask<bool>(true) : _log.WhenDurableAsync(logMark);
        if (logMark == 0 || _log is null)
            return _stream.WaitAsync(streamMark);
        return BothAsync(_log.WhenDurableAsync(logMark), _stream, streamMark);
    }

    private static async ValueTask<bool> BothAsync(ValueTask<bool> durable, ReplicationStream stream, long streamMark) =>
        await durable.ConfigureAwait(false) && await stream.WaitAsync(streamMark).ConfigureAwait(false);
}
