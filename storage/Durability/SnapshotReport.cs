namespace FastDht.Storage.Durability;

/// <summary>One snapshot written: where, from which log position replay starts, what it holds, how long it took.</summary>
/// <param name="File">The snapshot file.</param>
/// <param name="LogPosition">Where replay of the log begins after loading it; the log before this was dropped (or will be, by the next snapshot).</param>
/// <param name="Keys">Keys written.</param>
/// <param name="Bytes">The file's size.</param>
/// <param name="Elapsed">From the start until the file was in place.</param>
/// <param name="CompletedAt">When the file was in place.</param>
public sealed record SnapshotReport(string File, long LogPosition, long Keys, long Bytes, TimeSpan Elapsed, DateTimeOffset CompletedAt);
