using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Disk operations on a log segment file: reserving its space with zeros, and syncing its data.
/// </summary>
/// <remarks>
/// Why zeros rather than fallocate: a fallocated extent stays "unwritten" until the first write into it converts it, a
/// metadata change each later sync must commit to the journal; blocks written once with zeros are plain data blocks,
/// so a record written over them changes no metadata and its sync flushes the data only (PostgreSQL fills its WAL
/// segments the same way). Measured with benchmarks/wal-fsync-cost.sh (docs/benchmarks.md).
/// </remarks>
internal static class SegmentFile
{
    // 1 MiB of zeros a write: large sequential writes, a small buffer shared by every log in the process (read only).
    private static readonly byte[] Zeros = new byte[1 << 20];

    /// <summary>
    /// Writes zeros into <paramref name="segment"/> from <paramref name="from"/> up to <paramref name="to"/> (the file
    /// grows to it): the blocks are then the file's own, so a full disk fails here and never in a later write there.
    /// </summary>
    /// <returns>False when <paramref name="stop"/> said to give up part way.</returns>
    public static bool Reserve(SafeFileHandle segment, long from, long to, Func<bool>? stop = null)
    {
        for (var at = from; at < to; at += Zeros.Length)
        {
            if (stop is not null && stop())
                return false;
            RandomAccess.Write(segment, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, to - at)), at);
        }
        return true;
    }

    /// <summary>
    /// Forces <paramref name="segment"/>'s data to disk: fdatasync on Linux (fsync elsewhere). It flushes the metadata a
    /// later read needs too (the file's size when it grew), and skips only what it does not (times), so it is as safe
    /// as fsync for the log; in a reserved segment, where records overwrite zeros, nothing but the data is flushed.
    /// </summary>
    public static void SyncData(SafeFileHandle segment)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(segment);
            return;
        }
        if (Fdatasync(segment) != 0)
            throw new IOException($"fdatasync of a log segment failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>True when every byte from the stream's position to its end is zero (the stream is read to its end).</summary>
    public static bool RestIsZero(Stream stream, byte[] scratch)
    {
        int read;
        while ((read = stream.Read(scratch)) > 0)
        {
            if (scratch.AsSpan(0, read).ContainsAnyExcept((byte)0))
                return false;
        }
        return true;
    }

    // DllImport rather than LibraryImport: the generator needs unsafe code; a SafeFileHandle marshals as its descriptor.
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int Fdatasync(SafeFileHandle fd);
}
