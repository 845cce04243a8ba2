using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability.Internal;

/// <summary>A segment file filled with zeros under its temporary name, ready to become the log's next segment.</summary>
internal readonly record struct PreparedSegment(SafeFileHandle Handle, string Path);
