namespace FastDht.Storage.Durability;

/// <summary>What opening a <see cref="WriteAheadLog"/> found and replayed.</summary>
/// <param name="Records">Records replayed into the store.</param>
/// <param name="Segments">Segment files read.</param>
/// <param name="Bytes">Record bytes replayed.</param>
/// <param name="TornTailBytes">Bytes of an incomplete last record that were cut off (a crash mid-write); 0 when none.</param>
/// <param name="TruncatedAt">Where a corrupt record was cut because truncation was allowed ("file at offset"); null when none.</param>
/// <param name="Elapsed">How long recovery took.</param>
public sealed record LogRecoveryReport(long Records, int Segments, long Bytes, long TornTailBytes, string? TruncatedAt, TimeSpan Elapsed);
