namespace FastDht.TestUtilities.Jepsen;

/// <summary>One operation of a register history: a write of a key's <paramref name="Value"/>-th value, or a read that returned it (0: the key was absent).</summary>
/// <param name="Key">The register.</param>
/// <param name="IsWrite">A write (else a read).</param>
/// <param name="Value">The write's sequence number for its key (1, 2, ...), or what the read found (0 for nothing).</param>
/// <param name="Invoked">When the call was made (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
/// <param name="Completed">When its answer arrived, or the call gave up.</param>
/// <param name="Acknowledged">A write the cluster acknowledged (false: in doubt, it may or may not have happened). Reads are recorded only when answered.</param>
public readonly record struct RegisterOperation(string Key, bool IsWrite, long Value, long Invoked, long Completed, bool Acknowledged);
