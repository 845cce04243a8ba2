using System.Runtime.InteropServices;
using System.Text;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// Forces a folder's entries (files created, renamed or deleted in it) onto the disk: on Linux a new file's name is
/// durable only once its directory is fsynced, so a segment or snapshot that was fsynced could still vanish on power
/// loss without this.
/// </summary>
/// <remarks>
/// .NET cannot open a directory as a file (it refuses with "access denied"), hence libc's open/fsync/close. Windows
/// makes a created or renamed file's name durable with the file itself; there this does nothing.
/// </remarks>
internal static class DirectorySync
{
    // O_RDONLY | O_DIRECTORY | O_CLOEXEC on Linux (x86-64 and arm64 share these values).
    private const int OpenFlags = 0x0000 | 0x10000 | 0x80000;

    /// <summary>Fsyncs <paramref name="directory"/>; throws <see cref="IOException"/> when the system refuses.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var path = Encoding.UTF8.GetBytes(Path.GetFullPath(directory) + "\0");
        var fd = Open(path, OpenFlags);
        if (fd < 0)
            throw new IOException($"cannot open the folder {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"cannot flush the folder {directory} to disk (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the generator needs unsafe code, and the arguments are a byte array and ints.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
