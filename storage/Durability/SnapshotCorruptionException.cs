namespace FastDht.Storage.Durability;

/// <summary>Recovery found the newest snapshot damaged and nothing older to fall back on: the message names the file and offset.</summary>
public sealed class SnapshotCorruptionException : IOException
{
    public SnapshotCorruptionException(string file, long offset, string reason)
        : base($"the snapshot {file} is damaged at offset {offset}: {reason}; no older snapshot with the log after it is there to fall back on")
    {
        File = file;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>What is wrong with the file, for people.</summary>
    public string Reason { get; }

    /// <summary>The damaged snapshot file.</summary>
    public string File { get; }

    /// <summary>The byte offset of the damage in <see cref="File"/>.</summary>
    public long Offset { get; }
}
