namespace FastDht.NodeHost;

/// <summary>How a bound setting's text is read, decided by its property's type (and, for integers, its name).</summary>
internal enum SettingKind
{
    /// <summary>A <see cref="TimeSpan"/>: a number with a unit, "500ms", "5s", "1m".</summary>
    Duration,

    /// <summary>An integer byte count (a property named …Size, …Threshold, …OutputLimit, or naming Memory): bytes, or a number with a unit, "4MiB".</summary>
    Size,

    /// <summary>Any other integer.</summary>
    Count,

    /// <summary>A bool: true or false.</summary>
    Switch,

    /// <summary>An enum, by member name, case-insensitive.</summary>
    Choice,

    /// <summary>A string.</summary>
    Name,
}
