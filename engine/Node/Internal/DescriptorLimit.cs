using System.Globalization;

namespace FastDht.Engine.Node.Internal;

/// <summary>How many client connections a node keeps when <see cref="NodeOptions.MaxClients"/> is 0: what its file descriptor limit leaves.</summary>
/// <remarks>
/// The process's soft limit on open files (Linux: /proc/self/limits, the limit .NET raised to the hard one at start),
/// less the descriptors already open, less a reserve for what the node opens later without a client asking: threads
/// the thread pool adds (each takes a pipe while it starts), assemblies loaded on first use, log segments and
/// snapshots, peer links and their redials. 256 covers a node of a few dozen members with room to spare; the
/// process aborted when a flood of connections took the last descriptor while the pool started a thread.
/// </remarks>
internal static class DescriptorLimit
{
    /// <summary>Descriptors left for the node's own needs.</summary>
    public const int Reserve = 256;

    /// <summary>The derived bound, or null where the limit cannot be read (not Linux): then connections are not bounded.</summary>
    public static int? DerivedMaxClients()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            if (ReadOpenFilesLimit(File.ReadAllLines("/proc/self/limits")) is not { } limit)
                return null;
            var open = Directory.GetFileSystemEntries("/proc/self/fd").Length;
            return FromLimit(limit, open);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The bound for a limit of <paramref name="limit"/> descriptors with <paramref name="open"/> open: the rest less the reserve, never below a quarter of the limit.</summary>
    public static int FromLimit(long limit, int open)
    {
        var left = limit - open - Reserve;
        var floor = Math.Max(1, limit / 4);
        return (int)Math.Min(int.MaxValue, Math.Max(left, floor));
    }

    /// <summary>The soft limit of the "Max open files" line; null when there is none or it is unlimited.</summary>
    public static long? ReadOpenFilesLimit(string[] lines)
    {
        foreach (var line in lines)
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                continue;
            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }
        return null;
    }
}
