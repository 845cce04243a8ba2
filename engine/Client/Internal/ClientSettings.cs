using FastDht.Engine.Transport;
using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>A validated, frozen copy of <see cref="DhtClientOptions"/>, so a caller changing the options later changes nothing.</summary>
internal sealed class ClientSettings
{
    public ClientSettings(DhtClientOptions options)
    {
        options.Validate();
        Seeds = [.. options.Seeds];
        ClusterName = options.ClusterName;
        User = options.User;
        Password = options.Password;
        RequestTimeout = options.RequestTimeout;
        ConnectTimeout = options.ConnectTimeout;
        InlineContinuations = options.InlineContinuations;
        SweepInterval = options.SweepInterval;
        KeepAliveInterval = options.KeepAliveInterval;
        ReceiveLimits = new ProtocolLimits { MaxFrameSize = options.MaxFrameSize };
        // The input pipe must hold one whole maximum frame, or a frame larger than the pause threshold would stall
        // the receive loop waiting for the parser and the parser waiting for the rest of the frame. Twice the frame
        // size leaves room for the next frame to arrive while one is parsed.
        Connection = new ConnectionOptions
        {
            InputPauseThreshold = 2L * options.MaxFrameSize,
            InputResumeThreshold = options.MaxFrameSize,
            TlsClient = options.Tls,
            DialsOnEpoll = options.SocketEngine == SocketEngineKind.Epoll,
        };
    }

    public string[] Seeds { get; }

    public string ClusterName { get; }

    public string? User { get; }

    public string? Password { get; }

    public TimeSpan RequestTimeout { get; }

    public TimeSpan ConnectTimeout { get; }

    public bool InlineContinuations { get; }

    public TimeSpan SweepInterval { get; }

    public TimeSpan KeepAliveInterval { get; }

    public ProtocolLimits ReceiveLimits { get; }

    public ConnectionOptions Connection { get; }

    /// <summary>
    /// The failure message of a request the sweeper times out: one instance, so <see cref="ClientErrors"/> knows it by
    /// reference and says "did not answer within N ms" once, not twice.
    /// </summary>
    public static readonly string TimeoutMessage = new("no answer within the request timeout");
}
