using System.Text.Json;
using FastDht.Engine.Cluster;

namespace FastDht.NodeHost;

/// <summary>Reads the JSON config file's bytes, turning every way it can be unusable into a one-line configuration error.</summary>
internal static class NodeConfigLoader
{
    /// <exception cref="ClusterConfigurationException">The file is missing, a directory, or unreadable.</exception>
    public static byte[] Read(string path)
    {
        if (Directory.Exists(path))
            throw new ClusterConfigurationException($"cannot read config file {path}: it is a directory");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ClusterConfigurationException($"cannot read config file {path}: no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ClusterConfigurationException($"cannot read config file {path}: permission denied", e);
        }
        catch (IOException e)
        {
            throw new ClusterConfigurationException($"cannot read config file {path}: {OneLine(e.Message)}", e);
        }
    }

    /// <summary>The parser's message without its trailing "Path: ... | LineNumber: ..." detail, which is restated readably.</summary>
    public static string Describe(JsonException e)
    {
        var line = e.LineNumber is { } n ? $" at line {n + 1}" : "";
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0)
            cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (cut >= 0)
            message = message[..cut];
        return $"malformed JSON{line}: {OneLine(message)}";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
