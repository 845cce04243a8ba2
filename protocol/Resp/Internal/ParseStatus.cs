namespace FastDht.Protocol.Resp.Internal;

/// <summary>The outcome of one attempt to parse a command from the buffered bytes.</summary>
internal enum ParseStatus
{
    Complete,
    NeedMore,
    Error,
}
