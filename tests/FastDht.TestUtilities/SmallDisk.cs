using System.Diagnostics;

namespace FastDht.TestUtilities;

/// <summary>
/// A real, tiny filesystem (a tmpfs of a few hundred KiB, mounted for the test) that can be filled to the last byte
/// and freed again: disk-full behaviour is tested against the kernel's own ENOSPC, not a simulated error.
/// </summary>
/// <remarks>Needs root (tests and CI run as root on this project's machines); unmounted on dispose.</remarks>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why no small disk can be mounted here (not root, no mount in this container), or null when one can: tests skip with it.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public static SmallDisk Mount(int kib)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fastdht-smalldisk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={kib}k", "tmpfs", path);
        return new SmallDisk(path);
    }

    /// <summary>Writes a filler file until the filesystem refuses a byte more.</summary>
    public void Fill()
    {
        using var f = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        var chunk = new byte[4096];
        try
        {
            while (true)
                f.Write(chunk);
        }
        catch (IOException)
        {
            // Full: ENOSPC.
        }
        try
        {
            while (true)
                f.Write(chunk, 0, 1);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Deletes the filler: the space is back.</summary>
    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "a tmpfs can be mounted for the test on Linux only";
        try
        {
            using (Mount(64))
            {
            }
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            return $"cannot mount a small tmpfs here (needs root and mount): {e.Message}";
        }
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(20_000) || process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error}");
    }
}
