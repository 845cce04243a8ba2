using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FastDht.Engine.Cluster;

/// <summary>One node of the cluster as every member's configuration names it: a node id and the address it listens on.</summary>
/// <remarks>
/// Every node is given the same member list, so a node id means the same host everywhere. Ids are small integers
/// (0..65534) because they travel in every transaction id and in the slot table; 65535 is reserved for clients.
/// </remarks>
public sealed class ClusterMember : IEquatable<ClusterMember>
{
    /// <summary>The node id a client uses in its handshake: no member may have it.</summary>
    public const ushort ClientNodeId = 0xFFFF;

    public ClusterMember(ushort nodeId, string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (nodeId == ClientNodeId)
            throw new ArgumentOutOfRangeException(nameof(nodeId), $"node id {ClientNodeId} is reserved for clients");
        if (port is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(port), $"port {port} is not in 1..65535");
        NodeId = nodeId;
        Host = host;
        Port = port;
    }

    public ushort NodeId { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>The address as "host:port", the form used in the member list and in cluster info.</summary>
    public string Address => FormatAddress(Host, Port);

    /// <summary>Resolves the host to an endpoint (an IP literal needs no lookup).</summary>
    public async ValueTask<IPEndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Host, out var ip))
            return new IPEndPoint(ip, Port);
        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        foreach (var a in addresses)
        {
            if (a.AddressFamily == AddressFamily.InterNetwork)
                return new IPEndPoint(a, Port);
        }
        if (addresses.Length > 0)
            return new IPEndPoint(addresses[0], Port);
        throw new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// Parses one member: "id=host:port" (an explicit id) or "host:port" (the id is then the member's position in the list).
    /// IPv6 literals go in brackets: "[::1]:7000".
    /// </summary>
    public static ClusterMember Parse(string text, ushort defaultNodeId)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        var nodeId = defaultNodeId;
        var eq = s.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0)
        {
            var idText = s[..eq].Trim();
            if (!ushort.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out nodeId) || nodeId == ClientNodeId)
                throw new FormatException($"member '{text}': node id '{idText}' is not a number in 0..65534");
            s = s[(eq + 1)..].Trim();
        }
        if (!TrySplitHostPort(s, out var host, out var port))
            throw new FormatException($"member '{text}': expected host:port (for example 127.0.0.1:7001)");
        return new ClusterMember(nodeId, host, port);
    }

    /// <summary>Splits "host:port" or "[v6]:port" into its parts.</summary>
    public static bool TrySplitHostPort(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
                return false;
            host = text[1..close];
            colon = close + 1;
        }
        else
        {
            colon = text.LastIndexOf(':');
            if (colon <= 0)
                return false;
            host = text[..colon];
            if (host.Contains(':', StringComparison.Ordinal))
                return false; // an unbracketed IPv6 literal is ambiguous
        }
        return int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535
            && host.Length > 0;
    }

    public static string FormatAddress(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    public bool Equals(ClusterMember? other) =>
        other is not null && other.NodeId == NodeId && other.Port == Port
        && string.Equals(other.Host, Host, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as ClusterMember);

    public override int GetHashCode() => HashCode.Combine(NodeId, Port, StringComparer.OrdinalIgnoreCase.GetHashCode(Host));

    public override string ToString() => $"{NodeId}={Address}";
}
