namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// Lets a snapshot wait until every multi-write change that was being applied when it finished reading the store has
/// been appended to the log: a transaction's commit applies its writes one key at a time and logs them afterwards as
/// one record, and a snapshot must never hold part of such a change that the log does not have.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: entering and leaving cost a committer two interlocked operations and never wait; the snapshot's wait
/// ends even while new commits keep starting (they do not hold it up), and it never blocks a committer.
/// </para>
/// <para>
/// Design: two counters and an epoch bit (the grace periods of read-copy-update). A committer increments the counter
/// of the current epoch and decrements that same counter when done. <see cref="WaitForCommitsInProgress"/> flips the
/// epoch, so new committers count on the other side, and waits until the old side drains to zero: every commit that
/// had entered before the flip has left, and with it appended its record. A committer that read the old epoch just as
/// it flipped re-checks after incrementing and moves to the new side, so the waiter never counts on someone who
/// entered after it started waiting. One waiter at a time (the snapshot thread).
/// </para>
/// </remarks>
internal sealed class CommitBarrier
{
    private readonly int[] _inProgress = new int[2];
    private int _epoch;

    /// <summary>Marks a commit as being applied; pass the result to <see cref="Exit"/> once its record is appended.</summary>
    public int Enter()
    {
        while (true)
        {
            var epoch = Volatile.Read(ref _epoch);
            Interlocked.Increment(ref _inProgress[epoch]);
            if (Volatile.Read(ref _epoch) == epoch)
                return epoch;
            Interlocked.Decrement(ref _inProgress[epoch]);
        }
    }

    /// <summary>The commit entered in <paramref name="epoch"/> has appended its record (or gave up).</summary>
    public void Exit(int epoch) => Interlocked.Decrement(ref _inProgress[epoch]);

    /// <summary>Returns once every commit that entered before this call has exited. On the snapshot thread; blocks it only.</summary>
    public void WaitForCommitsInProgress()
    {
        var old = Volatile.Read(ref _epoch);
        Interlocked.Exchange(ref _epoch, old ^ 1);
        var spin = new SpinWait();
        // A commit applies a handful of writes and appends one record: microseconds, so spinning (then yielding) is right.
        while (Volatile.Read(ref _inProgress[old]) != 0)
            spin.SpinOnce(sleep1Threshold: 20);
    }
}
