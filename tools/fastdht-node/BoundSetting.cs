using System.Globalization;
using System.Reflection;
using FastDht.Engine.Cluster;
using FastDht.Engine.Node;

namespace FastDht.NodeHost;

/// <summary>
/// One <see cref="NodeOptions"/> property reachable by name: a config-file key, an environment variable and a
/// command-line option, all derived from the property, with its value parsed by its type.
/// </summary>
internal sealed class BoundSetting
{
    private readonly Func<string, string, object>? _parser;

    public BoundSetting(PropertyInfo property, string key, SettingKind kind, object? defaultValue, string? summary, Func<string, string, object>? parser)
    {
        Property = property;
        Key = key;
        Flag = "--" + Kebab(key);
        Kind = kind;
        DefaultText = Format(defaultValue);
        Summary = summary;
        _parser = parser;
    }

    public PropertyInfo Property { get; }

    /// <summary>The config-file key, camelCase ("txnTimeout"); the environment variable is the prefix and this key.</summary>
    public string Key { get; }

    /// <summary>The command-line option, kebab-case ("--txn-timeout").</summary>
    public string Flag { get; }

    public SettingKind Kind { get; }

    /// <summary>The default as a user would write it ("10s", "50").</summary>
    public string DefaultText { get; }

    /// <summary>The property's documentation summary, when the engine's XML docs are at hand.</summary>
    public string? Summary { get; }

    /// <summary>The placeholder shown in --help.</summary>
    public string HelpName => Kind switch
    {
        SettingKind.Duration => "DURATION",
        SettingKind.Size => "SIZE",
        SettingKind.Count => "N",
        SettingKind.Switch => "true|false",
        SettingKind.Choice => string.Join('|', Enum.GetNames(Property.PropertyType)).ToLowerInvariant(),
        _ => "NAME",
    };

    /// <summary>Parses <paramref name="text"/> and sets the property; a bad value fails with one line naming <paramref name="source"/>.</summary>
    /// <exception cref="ClusterConfigurationException">The value is unusable.</exception>
    public void Apply(NodeOptions options, string text, string source) => Property.SetValue(options, Parse(text, source));

    /// <summary>The kind a property's type binds as, or null when it is not a single value a user can type.</summary>
    public static SettingKind? KindOf(PropertyInfo property)
    {
        var type = property.PropertyType;
        if (type == typeof(TimeSpan))
            return SettingKind.Duration;
        if (type == typeof(int) || type == typeof(long))
        {
            // A byte count reads better with a unit ("4MiB"); the name says which integers count bytes.
            return property.Name.EndsWith("Size", StringComparison.Ordinal) || property.Name.EndsWith("Threshold", StringComparison.Ordinal) ||
                   property.Name.Contains("Memory", StringComparison.Ordinal) || property.Name.EndsWith("OutputLimit", StringComparison.Ordinal)
                ? SettingKind.Size
                : SettingKind.Count;
        }
        if (type == typeof(bool) || type == typeof(bool?))
            return SettingKind.Switch;
        if (type.IsEnum)
            return SettingKind.Choice;
        if (type == typeof(string))
            return SettingKind.Name;
        return null;
    }

    private object Parse(string text, string source)
    {
        if (_parser is not null)
            return _parser(text, source);
        var type = Property.PropertyType;
        switch (Kind)
        {
            case SettingKind.Duration:
                return SettingParsers.Duration(text, source);
            case SettingKind.Size:
                var size = SettingParsers.Size(text, source);
                return type == typeof(int) ? ToInt(size, text, source) : (object)size;
            case SettingKind.Count:
                if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count))
                    throw new ClusterConfigurationException($"{source}: '{text}' is not a whole number");
                return type == typeof(int) ? ToInt(count, text, source) : (object)count;
            case SettingKind.Switch:
                return bool.TryParse(text.Trim(), out var on) ? on : throw new ClusterConfigurationException($"{source}: '{text}' is not true or false");
            case SettingKind.Choice:
                if (Enum.TryParse(type, text.Trim(), ignoreCase: true, out var choice) && Enum.IsDefined(type, choice!))
                    return choice!;
                throw new ClusterConfigurationException($"{source}: unknown value '{text}' (known: {HelpName.Replace('|', ',')})");
            default:
                return text.Trim();
        }
    }

    private static object ToInt(long value, string text, string source) =>
        value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new ClusterConfigurationException($"{source}: '{text}' is too large");

    private static string Format(object? value) => value switch
    {
        null => "none",
        TimeSpan t => FormatDuration(t),
        bool b => b ? "true" : "false",
        Enum e => e.ToString().ToLowerInvariant(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "none",
    };

    /// <summary>A duration in the largest whole unit, as the parser reads it back ("5s", "100ms", "2m").</summary>
    public static string FormatDuration(TimeSpan t)
    {
        if (t == TimeSpan.Zero)
            return "0s";
        if (t.Ticks % TimeSpan.TicksPerHour == 0)
            return FormattableString.Invariant($"{t.Ticks / TimeSpan.TicksPerHour}h");
        if (t.Ticks % TimeSpan.TicksPerMinute == 0)
            return FormattableString.Invariant($"{t.Ticks / TimeSpan.TicksPerMinute}m");
        if (t.Ticks % TimeSpan.TicksPerSecond == 0)
            return FormattableString.Invariant($"{t.Ticks / TimeSpan.TicksPerSecond}s");
        return FormattableString.Invariant($"{t.TotalMilliseconds}ms");
    }

    /// <summary>"txnLockLease" → "txn-lock-lease".</summary>
    private static string Kebab(string camel)
    {
        var builder = new System.Text.StringBuilder(camel.Length + 4);
        foreach (var c in camel)
        {
            if (char.IsAsciiLetterUpper(c))
                builder.Append('-').Append(char.ToLowerInvariant(c));
            else
                builder.Append(c);
        }
        return builder.ToString();
    }
}
