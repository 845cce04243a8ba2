using System.Globalization;
using System.Text.Json;
using FastDht.Engine.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace FastDht.NodeHost;

/// <summary>
/// The node's configuration sources, lowest precedence first: the JSON config file, environment variables
/// (<see cref="EnvironmentPrefix"/> and the key), the command line. A value is looked up by its config key and
/// comes back with the name of the source that gave it, so every error can say where the bad value came from.
/// </summary>
internal sealed class NodeConfiguration
{
    /// <summary>"FASTDHT_NODE_" and a config key, any case: FASTDHT_NODE_PEERTIMEOUT=5s. (FASTDHT_ alone is used by other tools.)</summary>
    public const string EnvironmentPrefix = "FASTDHT_NODE_";

    private readonly Layer[] _layers;

    private NodeConfiguration(Layer[] layers) => _layers = layers;

    /// <summary>Reads the config file (if any) and the environment, and lays the command line over them.</summary>
    /// <exception cref="ClusterConfigurationException">The file cannot be read or is not a JSON object.</exception>
    public static NodeConfiguration Build(NodeArguments args)
    {
        var builder = new ConfigurationBuilder();
        var describers = new List<Func<string, string>>();

        if (args.ConfigPath is { } path)
        {
            // The bytes are read here, not by the JSON provider, so that a missing or unreadable file gets its own message.
            builder.Add(new JsonStreamConfigurationSource { Stream = new MemoryStream(NodeConfigLoader.Read(path)) });
            describers.Add(key => $"'{key}' in {path}");
        }

        if (args.Environment is { } environment)
            builder.AddInMemoryCollection(environment);
        else
            builder.Add(new EnvironmentVariablesConfigurationSource { Prefix = EnvironmentPrefix });
        describers.Add(static key => $"{EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant()}");

        var commandLine = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var optionNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in args.Options)
        {
            commandLine[key] = value.Text;
            optionNames[key] = value.Option;
        }
        for (var i = 0; i < args.PositionalMembers.Count; i++)
            commandLine[string.Create(CultureInfo.InvariantCulture, $"{NodeSettings.MembersKey}:{i}")] = args.PositionalMembers[i];
        builder.AddInMemoryCollection(commandLine);
        describers.Add(key => optionNames.TryGetValue(key, out var option) ? option : key);

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (JsonException e)
        {
            throw new ClusterConfigurationException($"config file {args.ConfigPath}: {NodeConfigLoader.Describe(e)}", e);
        }
        catch (FormatException e)
        {
            // Not an object at the top, or a key given twice: the provider's message says which.
            throw new ClusterConfigurationException($"config file {args.ConfigPath}: {e.Message.ReplaceLineEndings(" ").Trim()}", e);
        }

        var providers = root.Providers.ToArray();
        var layers = new Layer[providers.Length];
        for (var i = 0; i < providers.Length; i++)
            layers[i] = new Layer(providers[i], describers[i], IsFile: args.ConfigPath is not null && i == 0, IsEnvironment: i == providers.Length - 2);
        return new NodeConfiguration(layers);
    }

    /// <summary>The value of a single-valued setting from the highest source that has it, or null when none does.</summary>
    /// <exception cref="ClusterConfigurationException">The highest source gives a list or an object instead.</exception>
    public (string Value, string Source)? Find(string key)
    {
        for (var i = _layers.Length - 1; i >= 0; i--)
        {
            var layer = _layers[i];
            var hasValue = layer.Provider.TryGet(key, out var value);
            if (HasChildren(layer.Provider, key))
                throw new ClusterConfigurationException($"{layer.Describe(key)}: expected a single value, not a list or an object");
            if (hasValue && value is not null)
                return (value, layer.Describe(key));
        }
        return null;
    }

    /// <summary>A list setting from the highest source that has it: a JSON array, or one text of entries separated by commas or white space.</summary>
    public (IReadOnlyList<string> Items, string Source)? FindList(string key)
    {
        for (var i = _layers.Length - 1; i >= 0; i--)
        {
            var layer = _layers[i];
            var section = new List<(int Index, string Value)>();
            foreach (var child in layer.Provider.GetChildKeys([], key).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var childKey = key + ":" + child;
                if (!int.TryParse(child, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || HasChildren(layer.Provider, childKey)
                    || !layer.Provider.TryGet(childKey, out var item) || item is null)
                    throw new ClusterConfigurationException($"{layer.Describe(key)}: expected a list of texts");
                section.Add((index, item));
            }
            if (section.Count > 0)
            {
                section.Sort(static (a, b) => a.Index.CompareTo(b.Index));
                return (section.ConvertAll(static s => s.Value), layer.Describe(key));
            }
            if (layer.Provider.TryGet(key, out var text) && text is not null)
                return (text.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries), layer.Describe(key));
        }
        return null;
    }

    /// <summary>Refuses a file field or an environment variable that names no setting, so a typo cannot silently leave a default in place.</summary>
    /// <exception cref="ClusterConfigurationException">Some key is unknown.</exception>
    public void RefuseUnknownKeys(IReadOnlyList<string> known, string? configPath)
    {
        var set = new HashSet<string>(known, StringComparer.OrdinalIgnoreCase);
        foreach (var layer in _layers)
        {
            if (!layer.IsFile && !layer.IsEnvironment)
                continue;
            foreach (var key in layer.Provider.GetChildKeys([], null))
            {
                if (set.Contains(key))
                    continue;
                if (layer.IsFile)
                    throw new ClusterConfigurationException($"config file {configPath}: unknown field '{key}' (known fields: {string.Join(", ", known)})");
                throw new ClusterConfigurationException($"{layer.Describe(key)}: unknown setting (known after {EnvironmentPrefix}: {string.Join(", ", known)})");
            }
        }
    }

    private static bool HasChildren(IConfigurationProvider provider, string key)
    {
        using var children = provider.GetChildKeys([], key).GetEnumerator();
        return children.MoveNext();
    }

    private sealed record Layer(IConfigurationProvider Provider, Func<string, string> Describe, bool IsFile, bool IsEnvironment);
}
