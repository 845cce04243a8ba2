namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// Hands out entry versions (<see cref="Storage.EntryMetadata.Version"/>), never the same one twice on this node, and
/// never one it has seen stored: WATCH's versions (even) and the versions of logged values that change records name as
/// their base (odd).
/// </summary>
/// <remarks>
/// <para>
/// Requirements: a change record (docs/storage.md, "Change records") is applied at recovery, on a replica or at a
/// slot's new owner only to the value whose version it names, so a version must name one value of one key in that
/// key's whole history, across restarts and failovers. One counter for the node gives that on this node; it starts at
/// the clock's microseconds and is raised past every version that recovery, a replica's stream or a slot move stored
/// here (<see cref="Observe"/>), so a restarted node or a promoted replica never hands out a version its data holds.
/// </para>
/// <para>
/// Parity tells the two uses apart: WATCH gives a version to an entry without logging anything, so a change record may
/// name as its base only a version that a logged record stored (odd); a value whose version is even or absent is
/// logged whole once (with an odd version), and its later changes as deltas.
/// </para>
/// </remarks>
internal sealed class VersionClock
{
    private long _counter = DateTime.UtcNow.Ticks / 10;

    /// <summary>A version for WATCH (even).</summary>
    public ulong NextWatchVersion() => (ulong)Interlocked.Increment(ref _counter) << 1;

    /// <summary>A version for a logged value (odd): what a later change record names as its base.</summary>
    public ulong NextLoggedVersion() => ((ulong)Interlocked.Increment(ref _counter) << 1) | 1;

    /// <summary>Whether <paramref name="version"/> was stored by a logged record (a change record may name it as its base).</summary>
    public static bool IsLogged(ulong version) => (version & 1) != 0;

    /// <summary>Makes every later version higher than <paramref name="version"/>, which was stored here from elsewhere.</summary>
    public void Observe(ulong version)
    {
        var floor = (long)(version >> 1);
        var current = Volatile.Read(ref _counter);
        while (current < floor)
        {
            var seen = Interlocked.CompareExchange(ref _counter, floor, current);
            if (seen == current)
                return;
            current = seen;
        }
    }
}
