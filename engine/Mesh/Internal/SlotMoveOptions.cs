namespace FastDht.Engine.Mesh.Internal;

/// <summary>How a slot move sends its keys (docs/elasticity.md, "Throttling").</summary>
/// <param name="BatchBytes">Record bytes per MigrateKeys frame. 64 KiB: about 1400 keys of 16 B/16 B, which the receiver
/// applies in well under a millisecond on its link's read loop, the longest a request behind it on that link waits.</param>
/// <param name="Window">Frames in flight before the sender waits for the oldest answer (4: 256 KiB, enough to keep a
/// loopback or LAN link busy).</param>
/// <param name="MaxBytesPerSecond">The average rate the move never exceeds, 0 for none. 16 MiB/s: 1 M keys of
/// 16 B/16 B (47 MB of records) in about 3 s, while the copy keeps well under one core of the sender and receiver.</param>
/// <param name="BatchTimeout">How long the receiver may take to answer a batch before the move is undone.</param>
/// <param name="LockDrainTimeout">How long the handover waits for locks held on the slots' keys before the move is undone.</param>
/// <param name="ThrottledBatchBytes">Record bytes per frame while the throttle applies (the background copy of a throttled
/// move). 16 KiB: about 350 keys of 16 B/16 B, applied at the receiver in a few tens of microseconds; at 16 MiB/s one
/// frame a millisecond, so the copy's work comes in slices far shorter than a request's p99 instead of 64 KiB bursts.</param>
/// <param name="ThrottledWindow">Frames in flight while the throttle applies. 1: each batch's scan and round trip is the
/// copy's measured work (<see cref="CopyPacing"/>); a receiver slowed by its own load answers later, and the copy rests longer.</param>
/// <param name="DutyCycle">The share of the time a throttled copy works (scans a batch and waits for its answer); it rests
/// the remainder. 0.2: unthrottled, the two-core machine moves about 22 MB of records a second with both cores, so the
/// byte rate alone (16 MiB/s) let a copy take most of the CPU and the foreground's p99 rose 5x while slots moved
/// (docs/benchmarks.md); at a fifth the requests keep most of it. 0 or 1: no duty cycle, the byte rate alone.</param>
internal sealed record SlotMoveOptions(int BatchBytes, int Window, long MaxBytesPerSecond, TimeSpan BatchTimeout, TimeSpan LockDrainTimeout, int ThrottledBatchBytes, int ThrottledWindow, double DutyCycle)
{
    public static SlotMoveOptions Default { get; } = new(64 * 1024, 4, 16L << 20, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), 16 * 1024, 1, 0.2);

    /// <summary>The throttled copy's rests.</summary>
    public CopyPacing Pacing => new(DutyCycle, MaxBytesPerSecond);
}
