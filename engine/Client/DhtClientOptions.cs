using FastDht.Protocol;
using FastDht.Engine.Transport;

namespace FastDht.Engine.Client;

/// <summary>How a <see cref="DhtClient"/> finds the cluster and how long it waits for it.</summary>
public sealed class DhtClientOptions
{
    /// <summary>Addresses of nodes to learn the cluster from, each "host:port" ("[::1]:7000" for IPv6).</summary>
    /// <remarks>
    /// No default: at least one is required. The client tries them in order until one answers; after that it
    /// learns every member from the cluster itself, so one reachable seed is enough.
    /// </remarks>
    public IList<string> Seeds { get; } = new List<string>();

    /// <summary>The cluster's name, presented in every handshake; a node of another cluster refuses the client.</summary>
    /// <remarks>Defaults to "fastdht", the node's default.</remarks>
    public string ClusterName { get; set; } = "fastdht";

    /// <summary>The user every connection authenticates as (with <see cref="Password"/>).</summary>
    /// <remarks>Defaults to null: the node's "default" user.</remarks>
    public string? User { get; set; }

    /// <summary>The password each connection sends right after its Hello (docs/security.md); null sends none.</summary>
    /// <remarks>
    /// Defaults to null, for nodes without users. A security setting: without TLS the password crosses the network in
    /// clear, as with Redis's AUTH.
    /// </remarks>
    public string? Password { get; set; }

    /// <summary>TLS for every connection to the nodes (their native port must have TLS on, docs/security.md); null: plain TCP.</summary>
    /// <remarks>
    /// Defaults to null. <c>TargetHost</c> may stay empty: each connection fills in the node's host. Set
    /// <c>RemoteCertificateValidationCallback</c> to trust a private authority.
    /// </remarks>
    public System.Net.Security.SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>How long one request may wait for its answer before it fails with <see cref="DhtTimeoutException"/>.</summary>
    /// <remarks>
    /// Defaults to 5 s. It also bounds how long a call can take when its node dies mid-request: a closed connection
    /// fails its requests at once, a silent one fails them when this runs out.
    /// </remarks>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening a TCP connection to a node may take.</summary>
    /// <remarks>Defaults to 2 s: far above a LAN round trip, short enough that a dead host is reported promptly.</remarks>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest frame the client accepts from a node (the frame's length field), announced in Hello.</summary>
    /// <remarks>
    /// Defaults to 64 MiB (<see cref="ProtocolLimits.DefaultMaxFrameSize"/>), the node's default; settable from 4 KiB
    /// to 1 GiB. It bounds the largest value a Get can return. It is also a memory bound: the client buffers at most
    /// about twice this much per connection, so raise it only as far as the largest value you store.
    /// </remarks>
    public int MaxFrameSize { get; set; } = ProtocolLimits.DefaultMaxFrameSize;

    /// <summary>Whether the code after an awaited call runs directly on the connection's read loop.</summary>
    /// <remarks>
    /// Defaults to false: continuations go to the thread pool, so application code never runs on (and never
    /// stalls) the loop that reads every other response of that connection. True saves one thread-pool hop per
    /// request; use it only when the code after each await is short and never blocks, as in a load generator that
    /// immediately issues the next request.
    /// </remarks>
    public bool InlineContinuations { get; set; }

    /// <summary>Which engine moves the bytes of the client's connections: the .NET runtime's, or FastDht's own epoll event thread.</summary>
    /// <remarks>
    /// Defaults to <see cref="SocketEngineKind.Runtime"/>. <see cref="SocketEngineKind.Epoll"/> applies on Linux to plain
    /// TCP connections to nodes addressed by IP (with <see cref="Tls"/>, a host name, or elsewhere the runtime's engine
    /// serves): the process's epoll event thread (<see cref="EpollSocketEngine"/>, shared with a node in the same process)
    /// calls recv once per arrival, where the runtime's engine makes two (a receive that finds the socket empty, then one
    /// after the wait), and hands the bytes to the connection's read loop without a thread-pool work item of its own. It
    /// pays off with many connections each carrying a few requests (fastdht-loadgen at three nodes, docs/benchmarks.md);
    /// a request's continuation still runs where <see cref="InlineContinuations"/> says.
    /// </remarks>
    public SocketEngineKind SocketEngine { get; set; }

    /// <summary>How long a connection may carry no traffic before the client pings the node on it, so it is never closed for idling.</summary>
    /// <remarks>
    /// Defaults to 60 s: well under a node's idle timeout (<c>NodeOptions.ClientIdleTimeout</c>, 5 minutes by default),
    /// which closes a client connection that sends nothing. A ping costs one small frame per idle connection per
    /// interval. <see cref="TimeSpan.Zero"/> turns it off (then a node may close an idle connection, and a request sent
    /// just as it does fails with DhtNodeUnavailableException; the next one redials).
    /// </remarks>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the client looks for requests that have outlived <see cref="RequestTimeout"/>.</summary>
    /// <remarks>
    /// Defaults to 100 ms: a timed-out request fails at most this much after its deadline, and a sweep that finds
    /// nothing costs one short lock per open connection.
    /// </remarks>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Checks the options, with a message naming the setting at fault.</summary>
    /// <exception cref="ArgumentException">A setting cannot work.</exception>
    public void Validate()
    {
        if (Seeds.Count == 0)
            throw new ArgumentException("at least one seed address (host:port) is required", nameof(Seeds));
        foreach (var seed in Seeds)
        {
            if (seed is null || !Cluster.ClusterMember.TrySplitHostPort(seed.Trim(), out _, out _))
                throw new ArgumentException($"seed '{seed}' is not host:port (for example 127.0.0.1:7000)", nameof(Seeds));
        }
        if (string.IsNullOrWhiteSpace(ClusterName))
            throw new ArgumentException("the cluster name is empty", nameof(ClusterName));
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromDays(1))
            throw new ArgumentException($"RequestTimeout {RequestTimeout} must be positive and at most a day", nameof(RequestTimeout));
        if (KeepAliveInterval < TimeSpan.Zero)
            throw new ArgumentException($"KeepAliveInterval {KeepAliveInterval} must be zero (off) or positive", nameof(KeepAliveInterval));
        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromDays(1))
            throw new ArgumentException($"ConnectTimeout {ConnectTimeout} must be positive and at most a day", nameof(ConnectTimeout));
        if (MaxFrameSize < ProtocolLimits.MinFrameSize || MaxFrameSize > ProtocolLimits.MaxFrameSizeCap)
            throw new ArgumentException($"MaxFrameSize {MaxFrameSize} must be between 4 KiB and 1 GiB", nameof(MaxFrameSize));
        if (SweepInterval <= TimeSpan.Zero || SweepInterval > RequestTimeout)
            throw new ArgumentException($"SweepInterval {SweepInterval} must be positive and at most RequestTimeout", nameof(SweepInterval));
    }
}
