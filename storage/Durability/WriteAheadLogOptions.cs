namespace FastDht.Storage.Durability;

/// <summary>Settings for a <see cref="WriteAheadLog"/>.</summary>
public sealed class WriteAheadLogOptions
{
    /// <summary>The largest segment size accepted: 1 GiB keeps offsets and recovery reads comfortably small.</summary>
    public const long MaxSegmentSize = 1L << 30;

    /// <summary>The folder holding the log's segment files (created if missing).</summary>
    public required string Directory { get; init; }

    /// <summary>When written records are forced to disk.</summary>
    /// <remarks>Defaults to <see cref="FsyncPolicy.Always"/>: no acknowledged write is ever lost.</remarks>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Always;

    /// <summary>A segment file is closed and a new one begun once it holds this many bytes.</summary>
    /// <remarks>
    /// Defaults to 64 MiB: large enough that rotation (one extra fsync and a file creation) is rare, small enough that
    /// a snapshot can drop the log before it in pieces. A single record larger than this still fits, in a segment of its own.
    /// </remarks>
    public long SegmentSize { get; init; } = 64L << 20;

    /// <summary>
    /// Under <see cref="FsyncPolicy.Always"/>: how long a group commit may wait for the other writers in flight before it
    /// fsyncs (PostgreSQL's <c>commit_delay</c>, with the wait cut short as soon as they are in); zero never waits.
    /// </summary>
    /// <remarks>
    /// Defaults to 200 µs. A round waits only when the previous fsync answered several writers and fewer of them have
    /// appended again: a lone writer is never held. docs/storage.md, "Group commit", has the rule and the measurements.
    /// </remarks>
    public TimeSpan GroupCommitDelay { get; init; } = TimeSpan.FromMicroseconds(200);

    /// <summary>
    /// Tests only: whether more work is queued that may append soon (defaults to the thread pool's queue holding work).
    /// Under <c>everysec</c> and <c>no</c> a reply's write is then left to one write after that work (<see cref="WriteAheadLog.TryMakeDurable"/>).
    /// </summary>
    internal Func<bool>? WorkQueued { get; init; }

    /// <summary>
    /// Tests only: whether the open segment is mapped under <c>everysec</c> and <c>no</c> (defaults to true); false
    /// writes every round with a positional write, as a segment that could not be mapped is written.
    /// </summary>
    internal bool MapSegments { get; init; } = true;

    /// <summary>On recovery, cut the log at a corrupt record in the middle (losing the records after it) instead of refusing to start.</summary>
    /// <remarks>Defaults to false: a corrupt record stops recovery with a message naming the file and offset, and an operator decides.</remarks>
    public bool TruncateAtCorruption { get; init; }

    /// <summary>How long the log waits before retrying a failed write or fsync (disk full, I/O error).</summary>
    /// <remarks>Defaults to 1 s.</remarks>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Receives, during recovery, each record appended with <see cref="WriteAheadLog.AppendApplication"/>, in log order; returns false when it does not parse (corruption).</summary>
    /// <remarks>Defaults to null: such records are checked and skipped.</remarks>
    public ApplicationRecordHandler? ApplicationRecord { get; init; }

    /// <summary>
    /// Called when the log starts refusing writes (with the reason: a failed write or fsync, or no room for the next
    /// segment), when the reason changes, and when it accepts writes again (with null); on the thread that met it (the
    /// flush thread, a pool thread for the next segment's reservation, or under everysec and no a caller of <see cref="WriteAheadLog.TryMakeDurable"/>
    /// or the write round it queued), never twice at once.
    /// </summary>
    public Action<Exception?>? HealthChanged { get; init; }

    /// <summary>A snapshot starts by itself once the log has grown by this many bytes since the last one began; 0 never.</summary>
    /// <remarks>
    /// Defaults to 0: snapshots only on demand (<see cref="WriteAheadLog.TryStartSnapshot"/>). The node sets its own
    /// default (NodeOptions.SnapshotLogSize).
    /// </remarks>
    public long SnapshotLogSize { get; init; }

    /// <summary>
    /// Called on the snapshot thread when a snapshot begins: the records of the log's user (see
    /// <see cref="WriteAheadLog.AppendApplication"/>) that must outlive the log being dropped, such as transaction
    /// decisions still needed. They are written into the snapshot and handed back to <see cref="ApplicationRecord"/>
    /// when it is loaded, before the log after it is replayed (which may hand some of them back a second time).
    /// </summary>
    /// <remarks>Defaults to null: a snapshot carries no such records.</remarks>
    public Func<IReadOnlyList<byte[]>>? SnapshotApplicationState { get; init; }

    /// <summary>
    /// Called on the snapshot thread after the store was read: returns once every change the read may have seen has
    /// been appended to the log. A user that applies several changes before logging them as one record (a
    /// transaction's commit) waits here for those in progress, so a snapshot never holds half of one that the log lacks.
    /// </summary>
    /// <remarks>Defaults to null: every change is logged right after it is applied, under the key's gate.</remarks>
    public Action? SnapshotBarrier { get; init; }

    /// <summary>Called on the snapshot thread when a snapshot is in place (with its report) or failed (with the error).</summary>
    public Action<SnapshotReport?, Exception?>? SnapshotFinished { get; init; }
}
