using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FastDht.Engine.Cluster;
using FastDht.Locking;
using FastDht.Protocol;
using Microsoft.Extensions.Logging;

namespace FastDht.NodeHost;

/// <summary>
/// Parses one setting's text (from the command line or the config file) into its value; every failure is a
/// <see cref="ClusterConfigurationException"/> whose one-line message names where the bad value came from.
/// </summary>
internal static class SettingParsers
{
    private static readonly string[] LogLevelNames = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    /// <summary>A node id: 0..65534 (65535 is the id every client presents).</summary>
    public static ushort NodeId(string text, string source)
    {
        if (!ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == ClusterMember.ClientNodeId)
            throw new ClusterConfigurationException($"{source}: '{text}' is not a node id (0..65534)");
        return id;
    }

    /// <summary>A size in bytes: a plain number, or a number with a binary unit (K, KB, KiB = 1024; M, MB, MiB; G, GB, GiB).</summary>
    public static long Size(string text, string source)
    {
        var s = text.Trim();
        var digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
            digits++;
        var unit = s[digits..].Trim().ToUpperInvariant();
        long multiplier = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => 0,
        };
        if (digits == 0 || multiplier == 0 || !long.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > (long.MaxValue >> 30))
            throw new ClusterConfigurationException($"{source}: '{text}' is not a size (bytes, or a number with a unit: 64KiB, 4MiB)");
        return n * multiplier;
    }

    /// <summary>A size, or a percentage ("10%") of the memory the process may use (the container's limit or the machine's memory), as bytes.</summary>
    public static long SizeOrPercentOfMemory(string text, string source)
    {
        var s = text.Trim();
        if (!s.EndsWith('%'))
            return Size(text, source);
        if (!int.TryParse(s.AsSpan(0, s.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent is < 1 or > 100)
            throw new ClusterConfigurationException($"{source}: '{text}' is not a size or a percentage of the memory (1% to 100%)");
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 100 * percent;
    }

    /// <summary>The frame-size limit, checked against the protocol's bounds here so the message can say what is allowed.</summary>
    public static int MaxFrameSize(string text, string source)
    {
        var size = Size(text, source);
        if (size < ProtocolLimits.MinFrameSize || size > ProtocolLimits.MaxFrameSizeCap)
            throw new ClusterConfigurationException($"{source}: {text} is out of range: the maximum frame size must be between 4KiB and 1GiB");
        return (int)size;
    }

    /// <summary>The key-size limit: 1..65535 bytes, a key's length being a u16 on the wire.</summary>
    public static int MaxKeySize(string text, string source)
    {
        var size = Size(text, source);
        if (size < 1 || size > ProtocolLimits.DefaultMaxKeySize)
            throw new ClusterConfigurationException($"{source}: {text} is out of range: the maximum key size must be between 1 and 65535 bytes");
        return (int)size;
    }

    /// <summary>A duration: a non-negative number with a unit, ms, s, m or h ("250ms", "1.5s", "2m").</summary>
    public static TimeSpan Duration(string text, string source) =>
        // 24 h: far beyond any sensible timeout, and well inside what a TimeSpan or a millisecond int holds.
        Engine.Node.DurationText.TryParse(text, TimeSpan.FromHours(24), out var value, out var problem)
            ? value
            : throw new ClusterConfigurationException($"{source}: {problem}");

    /// <summary>The most socket event threads accepted: far beyond any core count that pays, and a bound on a typo's threads.</summary>
    public const int MaxSocketThreads = 1024;

    /// <summary>A socket event thread count: 1..<see cref="MaxSocketThreads"/>, or "cores" for one per core (this process's processor count).</summary>
    public static int SocketThreads(string text, string source)
    {
        var s = text.Trim();
        if (string.Equals(s, "cores", StringComparison.OrdinalIgnoreCase))
            return Environment.ProcessorCount;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > MaxSocketThreads)
            throw new ClusterConfigurationException($"{source}: '{text}' is not a socket thread count (1..{MaxSocketThreads}, or cores)");
        return n;
    }

    /// <summary>A log level by name (case-insensitive; "info" and "warn" are accepted too).</summary>
    public static LogLevel LogLevel(string text, string source) => text.Trim().ToLowerInvariant() switch
    {
        "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "information" or "info" => Microsoft.Extensions.Logging.LogLevel.Information,
        "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
        "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
        "none" => Microsoft.Extensions.Logging.LogLevel.None,
        _ => throw new ClusterConfigurationException($"{source}: unknown log level '{text}' (known: {string.Join(", ", LogLevelNames)})"),
    };

    /// <summary>
    /// A lock strategy among those this build knows, returned in its registered spelling: peers compare names exactly
    /// in their handshake, so "Wait-Die" on one node and "wait-die" on another must not keep them apart.
    /// </summary>
    public static string LockStrategy(string text, string source)
    {
        var names = LockStrategyRegistry.CreateDefault().Names;
        foreach (var name in names)
        {
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase))
                return name;
        }
        throw new ClusterConfigurationException($"{source}: unknown lock strategy '{text}' (known: {string.Join(", ", names)})");
    }

    /// <summary>
    /// A listen address "host:port": an IP literal, "*" for every interface, or a host name resolved now (its first
    /// IPv4 address, else its first address).
    /// </summary>
    public static IPEndPoint ListenEndPoint(string text, string source)
    {
        var s = text.Trim();
        if (s.StartsWith("*:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var anyPort) && anyPort is >= 1 and <= 65535)
            return new IPEndPoint(IPAddress.Any, anyPort);
        if (!ClusterMember.TrySplitHostPort(s, out var host, out var port))
            throw new ClusterConfigurationException($"{source}: '{text}' is not host:port (for example 0.0.0.0:7000)");
        if (IPAddress.TryParse(host, out var ip))
            return new IPEndPoint(ip, port);
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new ClusterConfigurationException($"{source}: cannot resolve host '{host}': {e.Message}", e);
        }
        foreach (var a in addresses)
        {
            if (a.AddressFamily == AddressFamily.InterNetwork)
                return new IPEndPoint(a, port);
        }
        if (addresses.Length == 0)
            throw new ClusterConfigurationException($"{source}: host '{host}' has no address");
        return new IPEndPoint(addresses[0], port);
    }

    /// <summary>The member list from its entries; an entry that looks like an option is reported as one.</summary>
    public static MemberList Members(IReadOnlyList<string> entries, string source)
    {
        if (entries.Count == 0)
            throw new ClusterConfigurationException($"{source}: the member list is empty");
        foreach (var entry in entries)
        {
            if (entry.StartsWith('-'))
                throw new ClusterConfigurationException($"unknown option '{entry}' (see fastdht-node --help)");
        }
        try
        {
            return MemberList.Parse(entries);
        }
        catch (ClusterConfigurationException e)
        {
            throw new ClusterConfigurationException($"{source}: {e.Message}", e);
        }
    }
}
