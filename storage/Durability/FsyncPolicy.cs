namespace FastDht.Storage.Durability;

/// <summary>When the write-ahead log forces what it wrote onto the disk; the names and meanings are Redis's <c>appendfsync</c>.</summary>
public enum FsyncPolicy
{
    /// <summary>
    /// Every acknowledged write is on disk (fsync) before its reply leaves; one fsync covers every record written
    /// meanwhile (group commit). Nothing acknowledged is lost, even on power loss.
    /// </summary>
    Always,

    /// <summary>
    /// A reply waits until its record is written to the operating system; the log is fsynced once a second in the
    /// background. A killed process loses nothing acknowledged; a power loss or kernel crash loses about the last second.
    /// </summary>
    EverySec,

    /// <summary>
    /// A reply waits until its record is written to the operating system, which flushes to disk when it likes
    /// (Linux: within about 30 s). A killed process loses nothing acknowledged; a power loss may lose more than a second.
    /// </summary>
    No,
}
