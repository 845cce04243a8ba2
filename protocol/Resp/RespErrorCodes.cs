namespace FastDht.Protocol.Resp;

/// <summary>The error codes Redis puts first in an error reply; clients branch on them (MOVED and ASK redirect).</summary>
public static class RespErrorCodes
{
    /// <summary>The generic error.</summary>
    public static ReadOnlySpan<byte> Err => "ERR"u8;

    /// <summary>An operation against a key of another type.</summary>
    public static ReadOnlySpan<byte> WrongType => "WRONGTYPE"u8;

    /// <summary>The key's slot lives on another node: <c>-MOVED slot host:port</c>.</summary>
    public static ReadOnlySpan<byte> Moved => "MOVED"u8;

    /// <summary>The key's slot is migrating: <c>-ASK slot host:port</c>.</summary>
    public static ReadOnlySpan<byte> Ask => "ASK"u8;

    /// <summary>A multi-key command over several slots.</summary>
    public static ReadOnlySpan<byte> CrossSlot => "CROSSSLOT"u8;

    /// <summary>The keys' slot is being resharded; retry.</summary>
    public static ReadOnlySpan<byte> TryAgain => "TRYAGAIN"u8;

    /// <summary>The cluster cannot serve the slot.</summary>
    public static ReadOnlySpan<byte> ClusterDown => "CLUSTERDOWN"u8;

    /// <summary>Authentication is required.</summary>
    public static ReadOnlySpan<byte> NoAuth => "NOAUTH"u8;

    /// <summary>HELLO asked for a protocol version the server does not speak.</summary>
    public static ReadOnlySpan<byte> NoProto => "NOPROTO"u8;

    /// <summary>A write sent to a read-only replica.</summary>
    public static ReadOnlySpan<byte> ReadOnly => "READONLY"u8;

    /// <summary>A command this server is not executing (transaction aborted).</summary>
    public static ReadOnlySpan<byte> ExecAbort => "EXECABORT"u8;
}
