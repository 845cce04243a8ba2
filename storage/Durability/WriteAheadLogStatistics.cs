namespace FastDht.Storage.Durability;

/// <summary>
/// Counts of what a <see cref="WriteAheadLog"/> did since it opened: how well group commit groups (records per fsync) and
/// how many replies had to wait for the disk, counted rather than timed so they mean something on a loaded machine.
/// </summary>
/// <param name="Records">Records appended.</param>
/// <param name="WriteRounds">Positional writes of the log buffer to the segment file (each carries every record appended since the previous one).</param>
/// <param name="Fsyncs">fsyncs of a segment (group commits under <c>always</c>; the once-a-second one under <c>everysec</c>; rotations; snapshots' requests).</param>
/// <param name="Waits">Waits for durability that could not be answered at once (a reply, or a pipelined batch's replies, held until its fsync).</param>
/// <param name="WakeBatches">Times the flush thread handed finished waits to be resumed: one per fsync that finished any; <see cref="Waits"/> divided by this is how many connections one fsync answered.</param>
/// <param name="Holds">Group commits (<c>always</c>) that waited for the other writers in flight before their fsync (<see cref="WriteAheadLogOptions.GroupCommitDelay"/>).</param>
/// <param name="HeldMicroseconds">The time those holds took, in all.</param>
public readonly record struct WriteAheadLogStatistics(long Records, long WriteRounds, long Fsyncs, long Waits, long WakeBatches, long Holds, long HeldMicroseconds);
