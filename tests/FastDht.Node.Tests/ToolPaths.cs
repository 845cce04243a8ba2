using System.Reflection;

namespace FastDht.Node.Tests;

/// <summary>Where the built executables are: each tool's own output folder, so it runs with its own deps and runtimeconfig.</summary>
internal static class ToolPaths
{
    public static string NodeDll => Find("NodeToolDirectory", "fastdht-node.dll");

    public static string ShellDll => Find("ShellToolDirectory", "fastdht.dll");

    private static string Find(string metadataKey, string fileName)
    {
        foreach (var a in typeof(ToolPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        {
            if (a.Key == metadataKey && a.Value is { } dir && File.Exists(Path.Combine(dir, fileName)))
                return Path.GetFullPath(Path.Combine(dir, fileName));
        }
        // The reference copies the tool next to the tests too; good enough when the tool's folder moved.
        var local = Path.Combine(AppContext.BaseDirectory, fileName);
        return File.Exists(local) ? local : throw new FileNotFoundException($"{fileName} not built (looked in the tool's output and {AppContext.BaseDirectory})");
    }
}
