using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using FastDht.Engine.Node;

namespace FastDht.NodeHost;

/// <summary>
/// Binds <see cref="NodeOptions"/> from configuration once: every public settable property holding a single value a
/// user can type (a duration, an integer, a bool, an enum or a string) becomes a config key, an environment variable
/// and a command-line option, named after the property. A new option needs only its property (and its line in
/// docs/running.md): nothing here names it.
/// </summary>
/// <remarks>
/// The stock <c>ConfigurationBinder</c> is not used for the values because it reads a <see cref="TimeSpan"/> as
/// "00:00:05" and an integer without units, while this tool's files and scripts say "5s" and "4MiB"; and because a
/// bad value must be reported in one line naming the option, variable or file field it came from. The properties
/// that are not single values (the member list, the node id with its inference, the listen addresses, the frame
/// limits, the log level) are resolved by <see cref="NodeSettings"/> itself.
/// </remarks>
internal static class NodeOptionBinding
{
    /// <summary>Keys that predate the binding, kept so existing config files and scripts still work.</summary>
    private static readonly Dictionary<string, string> KeptKeys = new(StringComparer.Ordinal)
    {
        [nameof(NodeOptions.ClusterName)] = "cluster",
    };

    /// <summary>Values that need more than their type's parse: a lock strategy is returned in its registered spelling, a client memory budget may be a percentage.</summary>
    private static readonly Dictionary<string, Func<string, string, object>> Parsers = new(StringComparer.Ordinal)
    {
        [nameof(NodeOptions.LockStrategy)] = static (text, source) => SettingParsers.LockStrategy(text, source),
        [nameof(NodeOptions.MaxMemoryClients)] = static (text, source) => SettingParsers.SizeOrPercentOfMemory(text, source),
    };

    /// <summary>Every bound setting, in the order the properties are declared.</summary>
    public static IReadOnlyList<BoundSetting> Settings { get; } = Discover();

    /// <summary>Sets every property the configuration names; the others keep their defaults.</summary>
    /// <exception cref="Engine.Cluster.ClusterConfigurationException">A value is unusable.</exception>
    public static void Bind(NodeOptions options, NodeConfiguration configuration)
    {
        foreach (var setting in Settings)
        {
            if (configuration.Find(setting.Key) is { } found)
                setting.Apply(options, found.Value, found.Source);
        }
    }

    private static List<BoundSetting> Discover()
    {
        // Required members (the member list, the node id) have no default to fall back on: NodeSettings resolves them.
        var defaults = new NodeOptions { Members = null!, NodeId = 0 };
        var docs = LoadDocs();
        var properties = typeof(NodeOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        Array.Sort(properties, static (a, b) => a.MetadataToken.CompareTo(b.MetadataToken)); // declaration order, for --help
        var settings = new List<BoundSetting>();
        foreach (var property in properties)
        {
            if (property.SetMethod is not { IsPublic: true } || property.GetCustomAttribute<RequiredMemberAttribute>() is not null)
                continue;
            if (BoundSetting.KindOf(property) is not { } kind)
                continue;
            var key = KeptKeys.TryGetValue(property.Name, out var kept) ? kept : char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
            docs.TryGetValue(property.Name, out var summary);
            settings.Add(new BoundSetting(property, key, kind, property.GetValue(defaults), summary, Parsers.GetValueOrDefault(property.Name)));
        }
        return settings;
    }

    /// <summary>
    /// The properties' summaries from the engine's XML documentation (copied next to the engine), for --help; empty
    /// when the file is absent, which only makes the help terser.
    /// </summary>
    private static Dictionary<string, string> LoadDocs()
    {
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        var assembly = typeof(NodeOptions).Assembly.Location;
        var path = string.IsNullOrEmpty(assembly) ? null : Path.ChangeExtension(assembly, ".xml");
        if (path is null || !File.Exists(path))
            return summaries;
        var prefix = "P:" + typeof(NodeOptions).FullName + ".";
        try
        {
            foreach (var member in XDocument.Load(path).Descendants("member"))
            {
                var name = (string?)member.Attribute("name");
                if (name is null || !name.StartsWith(prefix, StringComparison.Ordinal) || member.Element("summary") is not { } summary)
                    continue;
                summaries[name[prefix.Length..]] = Text(summary);
            }
        }
        catch (System.Xml.XmlException)
        {
            summaries.Clear();
        }
        return summaries;
    }

    /// <summary>A summary as plain text: a cref becomes its last name, white space collapses.</summary>
    private static string Text(XElement summary)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var node in summary.Nodes())
        {
            if (node is XText text)
                builder.Append(text.Value);
            else if (node is XElement element)
            {
                var cref = (string?)element.Attribute("cref");
                if (cref is null)
                {
                    builder.Append(element.Value);
                    continue;
                }
                var end = cref.IndexOf('(', StringComparison.Ordinal) is >= 0 and var paren ? paren : cref.Length;
                builder.Append(cref[(cref.LastIndexOf('.', end - 1) + 1)..end]);
            }
        }
        return string.Join(' ', builder.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
