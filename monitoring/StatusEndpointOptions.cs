using System.Net;

namespace FastDht.Monitoring;

/// <summary>Where a node's HTTP status endpoint listens and how much it lets a client hold.</summary>
/// <remarks>
/// Security: the endpoint answers without authentication (see docs/monitoring.md for what it shows: counters,
/// members, slots; never keys, values or users). It binds to loopback unless told otherwise; expose it only to the
/// network the operators and the scraper are on.
/// </remarks>
public sealed class StatusEndpointOptions
{
    /// <summary>The address to bind.</summary>
    /// <remarks>Defaults to 127.0.0.1 (loopback only): reachable from the node's own machine, a local scraper or an SSH tunnel.</remarks>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 takes any free port (<see cref="StatusEndpoint.EndPoint"/> tells which).</summary>
    /// <remarks>Defaults to 0. The node host has no endpoint unless <c>--http-port</c> is given.</remarks>
    public int Port { get; init; }

    /// <summary>HTTP connections held at once; more are refused until one closes.</summary>
    /// <remarks>
    /// Defaults to 32: a scraper, a few browsers and health checkers. A security matter: it bounds what slow or
    /// idle clients (slowloris) can hold; past it they only keep others off the endpoint, never off the data path.
    /// </remarks>
    public int MaxConnections { get; init; } = 32;

    /// <summary>How long a client may take to send a request's headers before it is cut off.</summary>
    /// <remarks>Defaults to 5 s (a request is one short line and a few headers).</remarks>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an idle kept-alive connection stays open.</summary>
    /// <remarks>Defaults to 15 s: longer than the page's 1 s polling, short enough that idle connections go.</remarks>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The largest request line and headers, in bytes, together; a larger request is refused (431).</summary>
    /// <remarks>Defaults to 8 KiB: what a browser sends, with room for cookies of a shared host name.</remarks>
    public int MaxRequestHeadersTotalSize { get; init; } = 8 * 1024;
}
