using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Disk operations on a log segment file: reserving its space (with zeros, or allocated only), and syncing its data.
/// </summary>
/// <remarks>
/// Why zeros rather than fallocate under <c>always</c>: a fallocated extent stays "unwritten" until the first write into
/// it converts it, a metadata change each later sync must commit to the journal; blocks written once with zeros are
/// plain data blocks, so a record written over them changes no metadata and its sync flushes the data only (PostgreSQL
/// fills its WAL segments the same way). Measured with benchmarks/wal-fsync-cost.sh (docs/benchmarks.md). Under
/// <c>everysec</c> and <c>no</c> nothing syncs per round, so that conversion is committed at most once a second, while
/// the zeros cost a second write of the whole log: there the space is only allocated (<see cref="Allocate"/>).
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
    public static bool WriteZeros(SafeFileHandle segment, long from, long to, Func<bool>? stop = null)
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
    /// Reserves <paramref name="segment"/> from <paramref name="from"/> up to <paramref name="to"/> (the file grows to it):
    /// with zeros written (<see cref="WriteZeros"/>) when <paramref name="writeZeros"/>, otherwise by allocating the blocks
    /// without writing them (<see cref="Allocate"/>), falling back to zeros where the file system cannot.
    /// </summary>
    /// <returns>False when <paramref name="stop"/> said to give up part way.</returns>
    public static bool Reserve(SafeFileHandle segment, long from, long to, bool writeZeros, Func<bool>? stop = null) =>
        (!writeZeros && Allocate(segment, from, to)) || WriteZeros(segment, from, to, stop);

    /// <summary>
    /// Allocates <paramref name="segment"/>'s blocks from <paramref name="from"/> up to <paramref name="to"/> without
    /// writing them (Linux fallocate, mode 0: the file grows to <paramref name="to"/>, the new range reads as zeros):
    /// a full disk fails here, as with zeros, and a write there later (a copy into a mapping included) finds its block
    /// allocated, but nothing is written to the disk now. False where the file system or system cannot (then write zeros).
    /// </summary>
    /// <exception cref="IOException">The disk is full (ENOSPC) or refused otherwise.</exception>
    public static bool Allocate(SafeFileHandle segment, long from, long to)
    {
        if (!OperatingSystem.IsLinux() || !s_fallocate || to <= from)
            return to <= from;
        try
        {
            while (Fallocate(segment, 0, from, to - from) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                    continue;
                if (errno is Eopnotsupp or Enosys)
                    return false;
                throw new IOException(errno == Enospc
                    ? "No space left on device"
                    : $"fallocate of a log segment failed (errno {errno})");
            }
        }
        catch (EntryPointNotFoundException)
        {
            s_fallocate = false;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Tells the kernel that the mapping of <paramref name="length"/> bytes at <paramref name="view"/>'s start is not read
    /// ahead (madvise MADV_RANDOM), so a fault there brings in one page, not a large folio. Why: in a segment whose
    /// blocks are only allocated (<see cref="Allocate"/>) nothing is in the page cache yet, and Linux (6.18) filled the
    /// first write fault with a folio of up to 2 MiB, all of it dirty: each once-a-second fsync then wrote the whole
    /// folio holding the log's tail again (write_bytes 96 instead of 49 per 49-byte record, docs/benchmarks.md). Best
    /// effort: without it the log is correct, only its writes larger.
    /// </summary>
    public static void AdviseNoReadAhead(SafeHandle view, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
            return;
        var added = false;
        try
        {
            view.DangerousAddRef(ref added);
            _ = Madvise(view.DangerousGetHandle(), (nuint)length, MadvRandom);
        }
        catch (EntryPointNotFoundException)
        {
        }
        finally
        {
            if (added)
                view.DangerousRelease();
        }
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

    private const int MadvRandom = 1;
    private const int Eintr = 4;
    private const int Enospc = 28;
    private const int Enosys = 38;
    private const int Eopnotsupp = 95;
    private static bool s_fallocate = true;

    private const int AtEmptyPath = 0x1000;
    private const uint StatxNlink = 0x4;
    private static bool s_statx = true;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(SafeFileHandle dirfd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    [DllImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static extern int Fallocate(SafeFileHandle fd, int mode, long offset, long length);

    // DllImport rather than LibraryImport: the generator needs unsafe code; a SafeFileHandle marshals as its descriptor.
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int Fdatasync(SafeFileHandle fd);
}
