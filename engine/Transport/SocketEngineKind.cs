namespace FastDht.Engine.Transport;

/// <summary>Which code waits for socket readiness and moves a served connection's bytes: the .NET runtime's engine or FastDht's own epoll loop.</summary>
public enum SocketEngineKind
{
    /// <summary>The runtime's Socket async operations (every platform; TLS connections always use it, dialed ones unless <see cref="ConnectionOptions.DialsOnEpoll"/>).</summary>
    Runtime,

    /// <summary>FastDht's own epoll event threads (Linux; <see cref="EpollSocketEngine"/>); elsewhere the runtime's.</summary>
    Epoll,
}
