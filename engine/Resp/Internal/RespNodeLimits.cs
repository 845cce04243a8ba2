using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>The RESP parser's limits on a node, for client sessions and for the RESP commands peers forward alike.</summary>
/// <remarks>
/// A bulk argument is no larger than a frame: it travels to its key's owner inside one. The argument count is bounded
/// by memory, not by Redis 6's 1,048,576 (Redis 7 accepts up to 2^31 - 1, within its query buffer and maxmemory): a
/// connection's input pauses at twice the frame size (<c>DhtNode.CreateConnectionOptions</c>), so no command longer
/// than that is ever parsed whole, and one command's argument tables (<see cref="RespCommand.BytesPerArgument"/> bytes
/// an argument) are held to the same size: 2 × 64 MiB / 33 = 4,067,203 arguments at the default frame size, never
/// fewer than Redis 6's 1,048,576. A command past it is refused from its header (<c>-ERR Protocol error: invalid
/// multibulk length</c>), as before. What the tables hold counts in the client memory budget with the input.
/// </remarks>
internal static class RespNodeLimits
{
    /// <summary>Redis 6's limit, kept as the floor for nodes with small frames.</summary>
    private const int MinArguments = 1024 * 1024;

    public static RespLimits For(int maxFrameSize) => new() { MaxBulkLength = maxFrameSize, MaxArguments = MaxArgumentsFor(maxFrameSize) };

    public static int MaxArgumentsFor(int maxFrameSize) =>
        (int)Math.Min(int.MaxValue, Math.Max(MinArguments, 2L * maxFrameSize / RespCommand.BytesPerArgument));
}
