using System.Text.Json;
using FastDht.Engine.Cluster;

namespace FastDht.NodeHost;

/// <summary>Reads the JSON config file, turning every way it can be unusable into a one-line configuration error.</summary>
internal static class NodeConfigLoader
{
    public static NodeConfigFile Load(string path)
    {
        if (Directory.Exists(path))
            throw new ClusterConfigurationException($"cannot read config file {path}: it is a directory");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
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

        NodeConfigFile? file;
        try
        {
            file = JsonSerializer.Deserialize(bytes, NodeConfigJsonContext.Default.NodeConfigFile);
        }
        catch (JsonException e)
        {
            throw new ClusterConfigurationException($"config file {path}: {Describe(e)}", e);
        }
        if (file is null)
            throw new ClusterConfigurationException($"config file {path}: expected a JSON object, found null");
        if (file.UnknownFields is { Count: > 0 } unknown)
            throw new ClusterConfigurationException($"config file {path}: unknown field '{unknown.Keys.First()}' (known fields: {NodeConfigFile.KnownFields})");
        return file;
    }

    /// <summary>
    /// The parser's message without its trailing "Path: ... | LineNumber: ..." detail, which is restated readably;
    /// a type mismatch names the field instead of the .NET type it failed to become.
    /// </summary>
    private static string Describe(JsonException e)
    {
        var line = e.LineNumber is { } n ? $" at line {n + 1}" : "";
        var field = e.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        var message = e.Message;
        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && field is not null)
            return $"field '{field}'{line} has the wrong type (see docs/running.md for the schema)";
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut >= 0)
            message = message[..cut];
        return $"malformed JSON{line}: {OneLine(message)}";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
