namespace FastDht.Storage.Durability;

/// <summary>What opening a <see cref="WriteAheadLog"/> found, loaded and replayed.</summary>
/// <param name="Records">Log records replayed into the store (after the snapshot, when one was loaded).</param>
/// <param name="Segments">Segment files read.</param>
/// <param name="Bytes">Record bytes replayed.</param>
/// <param name="TornTailBytes">Bytes of an incomplete last record that were cut off (a crash mid-write); 0 when none.</param>
/// <param name="TruncatedAt">Where a corrupt record was cut because truncation was allowed ("file at offset"); null when none.</param>
/// <param name="Elapsed">How long recovery took (snapshot and log).</param>
public sealed record LogRecoveryReport(long Records, int Segments, long Bytes, long TornTailBytes, string? TruncatedAt, TimeSpan Elapsed)
{
    /// <summary>The snapshot loaded before the log was replayed; null when recovery read the log only.</summary>
    public string? Snapshot { get; init; }

    /// <summary>Keys loaded from <see cref="Snapshot"/>.</summary>
    public long SnapshotKeys { get; init; }

    /// <summary>
    /// A newer snapshot that was damaged and set aside (renamed to <c>*.snap.damaged</c>) while recovery fell back on an
    /// older snapshot or the whole log: "file at offset: reason". Null when none.
    /// </summary>
    public string? DamagedSnapshot { get; init; }

    /// <summary>The highest entry version the snapshot and the log stored: the engine hands out only higher ones afterwards.</summary>
    public ulong HighestVersion { get; init; }

    /// <summary>
    /// Change records skipped because the key did not hold their base version: changes the snapshot already held (it is
    /// read while writes go on). Applying them again would have applied them twice.
    /// </summary>
    public long SkippedChanges { get; init; }
}
