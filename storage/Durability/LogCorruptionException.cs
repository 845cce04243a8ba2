namespace FastDht.Storage.Durability;

/// <summary>Recovery found a damaged record that is not the log's torn tail: the message names the file and the offset.</summary>
public sealed class LogCorruptionException : IOException
{
    public LogCorruptionException(string file, long offset, string reason)
        : base($"the write-ahead log {file} is corrupt at offset {offset}: {reason}")
    {
        File = file;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>What is wrong with the record, for people.</summary>
    public string Reason { get; }

    /// <summary>The segment file holding the damaged record.</summary>
    public string File { get; }

    /// <summary>The byte offset of the damaged record in <see cref="File"/>.</summary>
    public long Offset { get; }
}
