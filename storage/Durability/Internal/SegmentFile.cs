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
    // One page of zeros a write, never more: Linux (6.x) gives a file's page cache folios as large as the write that
    // made them, and a record later written into a 1 MiB folio dirties all of it, so each sync wrote 1 MiB to disk
    // (measured: /proc write_bytes 1,048,576 per fdatasync of a 2,450-byte round after 1 MiB zero writes, 6,540 after
    // 4 KiB ones, kernel 6.18). Evicting the zeros instead would make each first write into a page read it from disk.
    private static readonly byte[] Zeros = new byte[Math.Max(4096, Environment.SystemPageSize)];

    /// <summary>
    /// Writes zeros into <paramref name="segment"/> from <paramref name="from"/> up to <paramref name="to"/> (the file
    /// grows to it), a page a write: the blocks are then the file's own, so a full disk fails here and never in a later
    /// write there, and the pages stay in the cache as small ones (see <see cref="Zeros"/>).
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

    /// <summary>
    /// False when <paramref name="segment"/>'s file has no name left (its link count is 0: it, or its whole folder, was
    /// deleted while open); true when it has, or when the system cannot tell (statx is Linux's; elsewhere an open file
    /// cannot be deleted, or the check is skipped).
    /// </summary>
    /// <remarks>statx rather than fstat: its layout is the same on every architecture (stx_nlink, a u32 at offset 16).</remarks>
    public static bool IsLinked(SafeFileHandle segment, byte[] buffer)
    {
        if (!OperatingSystem.IsLinux() || !s_statx)
            return true;
        try
        {
            if (Statx(segment, "", AtEmptyPath, StatxNlink, buffer) != 0)
                return true; // an error of the check itself: the write round's own errors report a failing disk
        }
        catch (EntryPointNotFoundException)
        {
            s_statx = false; // a C library without statx (glibc before 2.28)
            return true;
        }
        return BitConverter.ToUInt32(buffer, 16) != 0;
    }

    /// <summary>The size of the buffer <see cref="IsLinked"/> needs (struct statx).</summary>
    public const int StatxSize = 256;

    private const int AtEmptyPath = 0x1000;
    private const uint StatxNlink = 0x4;
    private static bool s_statx = true;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(SafeFileHandle dirfd, string path, int flags, uint mask, byte[] buffer);

    // DllImport rather than LibraryImport: the generator needs unsafe code; a SafeFileHandle marshals as its descriptor.
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int Fdatasync(SafeFileHandle fd);
}
