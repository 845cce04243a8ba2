using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The failure a command that spans nodes answers when one of its parts fails (DEL/EXISTS of keys on several nodes,
/// FLUSHALL, KEYS, DBSIZE, SCAN, RANDOMKEY, WATCH): the worst part's, so the error code says what the client may do.
/// </summary>
/// <remarks>
/// The rule is the one single-key forwards follow (docs/resp-server.md, "Unreachable owner"): a part sent whose answer
/// was lost (the link closed, or its time ran out: <see cref="StatusCode.Timeout"/>, the parts being sent with
/// <c>inDoubtIfLost</c>) may have run at its owner and answers <c>-TIMEOUT</c>, which cluster clients do not retry; a
/// part never sent (no live link, <see cref="StatusCode.NodeUnavailable"/>) ran nowhere and answers <c>-CLUSTERDOWN</c>,
/// which they retry; a part refused for a slot move answers <c>-TRYAGAIN</c>. An in-doubt part outranks an unsent one,
/// which outranks any other error: one doubtful part makes the whole answer doubtful. Not thread-safe: one command's
/// parts are gathered by one flow.
/// </remarks>
internal sealed class PartFailure
{
    public StatusCode Status { get; private set; }

    /// <summary>The worst part's message, naming its node; null while no part failed.</summary>
    public string? Message { get; private set; }

    public bool Failed => Message is not null;

    /// <summary>Keeps <paramref name="message"/> unless a part as bad or worse failed first.</summary>
    public void Add(StatusCode status, string message)
    {
        if (Message is null || Rank(status) > Rank(Status))
        {
            Status = status;
            Message = message;
        }
    }

    /// <summary>A part's failed call to <paramref name="node"/> (an in-doubt loss's message names the node already).</summary>
    public void AddCall(ushort node, in ResponseResult result) =>
        Add(result.Status, result.Status == StatusCode.Timeout ? result.ErrorMessage ?? $"node {node} did not answer" : $"node {node}: {result.ErrorMessage}");

    /// <summary>A part that could not be sent: no live link to its owner.</summary>
    public void AddUnsent(string message) => Add(StatusCode.NodeUnavailable, message);

    /// <summary>The error code of the worst part; <paramref name="otherwise"/> for errors of no kind above (a locked key, a malformed reply).</summary>
    public ReadOnlySpan<byte> Code(ReadOnlySpan<byte> otherwise) => CodeOf(Status, otherwise);

    /// <summary>The error code for a part that failed with <paramref name="status"/>, by the rule above.</summary>
    public static ReadOnlySpan<byte> CodeOf(StatusCode status, ReadOnlySpan<byte> otherwise) =>
        status == StatusCode.Timeout ? "TIMEOUT"u8
        : status is StatusCode.NodeUnavailable or StatusCode.ShuttingDown ? "CLUSTERDOWN"u8
        : status is StatusCode.WrongNode or StatusCode.Moving ? "TRYAGAIN"u8
        : otherwise;

    /// <summary>Whether the worst part was sent and its answer lost: the command may have run there.</summary>
    public bool InDoubt => Status == StatusCode.Timeout;

    private static int Rank(StatusCode status) =>
        status == StatusCode.Timeout ? 2 : status is StatusCode.NodeUnavailable or StatusCode.ShuttingDown ? 1 : 0;
}
