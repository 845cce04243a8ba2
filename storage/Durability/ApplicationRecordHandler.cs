namespace FastDht.Storage.Durability;

/// <summary>Takes one application record (see <see cref="WriteAheadLog.AppendApplication"/>) during recovery; false when it does not parse.</summary>
public delegate bool ApplicationRecordHandler(ReadOnlySpan<byte> body);
