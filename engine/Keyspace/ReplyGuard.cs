using FastDht.Engine.Transport;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// The one helper every session calls so that a reply acknowledging a write leaves only once the write is durable
/// (<see cref="Node.NodeOptions.Fsync"/> decides what durable means). Exists only when the node has a data directory.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: under <c>always</c> a reply waits for its record to be on disk; the reading thread never blocks on
/// the disk; pipelined replies keep their order; nothing is allocated per request.
/// </para>
/// <para>
/// Design: replies are written into the connection's output unflushed, as without a log. Right after a command runs
/// (on the thread that ran it, so the log's per-thread mark names exactly the records it appended), the session calls
/// <see cref="HoldThisThreadsWrites"/>: the connection's output barrier rises to that position, and every later flush
/// of the connection, whoever does it, waits asynchronously (holding the writer lock) until the log is durable that
/// far. The read loop's flush once per batch is the usual one, so one wait covers a whole pipelined batch, and the
/// log's group commit covers many connections' batches with one fsync. A reply computed off the read loop
/// (transactions) uses <see cref="HoldAllAppended"/>: it waits for everything appended before it, which includes its
/// own records. Reads append nothing and do not wait, unless they share a flush with a write.
/// </para>
/// </remarks>
internal sealed class ReplyGuard : IOutputBarrier
{
    private readonly WriteAheadLog _log;

    public ReplyGuard(WriteAheadLog log) => _log = log;

    public WriteAheadLog Log => _log;

    /// <summary>Holds the connection's next flush until what this thread appended since its last take is durable.</summary>
    public void HoldThisThreadsWrites(SocketConnection connection)
    {
        var mark = _log.TakeThreadMark();
        if (mark != 0)
            connection.HoldOutputUntil(this, mark);
    }

    /// <summary>Holds the connection's next flush until everything appended so far is durable.</summary>
    public void HoldAllAppended(SocketConnection connection) => connection.HoldOutputUntil(this, _log.AppendedPosition);

    /// <summary>Waits (without blocking) until what this thread appended since its last take is durable; false if the log closed first.</summary>
    public ValueTask<bool> WhenThisThreadsWritesDurableAsync()
    {
        var mark = _log.TakeThreadMark();
        return mark == 0 ? new ValueTask<bool>(true) : _log.WhenDurableAsync(mark);
    }

    /// <summary>Waits (without blocking) until everything appended so far is durable; false if the log closed first.</summary>
    public ValueTask<bool> WhenAllAppendedDurableAsync() => _log.WhenDurableAsync(_log.AppendedPosition);

    bool IOutputBarrier.IsReached(long mark) => _log.IsDurable(mark);

    ValueTask<bool> IOutputBarrier.WaitAsync(long mark) => _log.WhenDurableAsync(mark);
}
