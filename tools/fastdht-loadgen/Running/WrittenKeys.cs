namespace FastDht.LoadGen.Running;

/// <summary>
/// Which keys of the key range are known to hold a value (a write of them was acknowledged, or a read found them): a
/// read that starts after its key is known and finds nothing lost an acknowledged write, which the rebalance run counts
/// as a failed operation (<see cref="ErrorKinds.LostWrite"/>), not as a miss. Valid because no workload deletes or
/// expires a key. One bit per key; a bit is only ever set.
/// </summary>
internal sealed class WrittenKeys(long keyCount)
{
    private readonly long[] _bits = new long[(keyCount + 63) / 64];
    private long _checked;

    /// <summary>Reads made of keys already known to hold a value: how much the check covered.</summary>
    public long CheckedReads => Interlocked.Read(ref _checked);

    /// <summary>Whether <paramref name="key"/> is known to hold a value; counts the read that asks.</summary>
    public bool CheckRead(long key)
    {
        if ((ulong)key >= (ulong)keyCount || (Volatile.Read(ref _bits[key >> 6]) & (1L << (int)(key & 63))) == 0)
            return false;
        Interlocked.Increment(ref _checked);
        return true;
    }

    /// <summary>Notes that <paramref name="key"/> holds a value from now on.</summary>
    public void Add(long key)
    {
        if ((ulong)key >= (ulong)keyCount)
            return;
        var bit = 1L << (int)(key & 63);
        ref var word = ref _bits[key >> 6];
        // Read first: most keys are known already, and an interlocked write would bounce the line between workers.
        if ((Volatile.Read(ref word) & bit) == 0)
            Interlocked.Or(ref word, bit);
    }
}
