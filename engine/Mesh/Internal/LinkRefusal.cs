using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>A link refused or failed: its kind for the code, its message for the logs and the other side.</summary>
internal readonly record struct LinkRefusal(LinkRefusalKind Kind, string Message)
{
    /// <summary>The status that carries this refusal to the dialing peer: its kind, not its text, tells the peer what happened.</summary>
    public StatusCode WireStatus => Kind switch
    {
        LinkRefusalKind.DuplicateLink => StatusCode.DuplicateLink,
        LinkRefusalKind.Stopping => StatusCode.ShuttingDown,
        _ => StatusCode.HandshakeRefused,
    };

    /// <summary>The kind a dialer reads from the status of the peer's answer to its Hello.</summary>
    public static LinkRefusalKind KindOf(StatusCode status) => status switch
    {
        StatusCode.DuplicateLink => LinkRefusalKind.DuplicateLink,
        StatusCode.ShuttingDown => LinkRefusalKind.Stopping,
        StatusCode.NodeUnavailable or StatusCode.Timeout => LinkRefusalKind.Unreachable,
        _ => LinkRefusalKind.Refused,
    };

    public override string ToString() => Message;
}
