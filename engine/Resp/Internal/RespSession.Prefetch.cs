using System.Buffers;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Warming the cache for a pipelined read: its commands' keys are looked up in the store together before they run one by one.</summary>
/// <remarks>
/// Why: at depth 16 a GET's two cache misses (table slot, then entry) were a fifth of the node's CPU samples
/// (docs/profiling.md, section 5); taken one after the other they add up, started together they overlap. The read
/// loop scans the next commands' first arguments (<see cref="RespKeyPeek"/>) whenever the ones scanned before have
/// run, and hands them to <see cref="Keyspace.LocalKeyspace.Prefetch"/>. A single command (depth 1) costs one length
/// check: a lone lookup has nothing to overlap with.
/// </remarks>
internal sealed partial class RespSession
{
    /// <summary>Commands scanned per round: as many as the store overlaps in one go.</summary>
    private const int PrefetchCommands = 16;

    /// <summary>Below this many buffered bytes there is at most one short command: no scan.</summary>
    private const int PrefetchMinBytes = 64;

    // Commands of the last scan still to run; the next scan starts when it reaches 0.
    private int _prefetchLeft;
    // Where the prefetch's result goes, so its loads are not optimised away (per connection: no shared cache line).
    private int _prefetchSink;

    private void PrefetchKeys(ReadOnlySequence<byte> buffer)
    {
        var span = buffer.FirstSpan;
        if (span.Length < PrefetchMinBytes)
        {
            _prefetchLeft = 1;
            return;
        }
        Span<Range> keys = stackalloc Range[PrefetchCommands];
        var scanned = RespKeyPeek.Scan(span, keys);
        _prefetchLeft = Math.Max(scanned, 1);
        if (scanned > 1)
            _prefetchSink += _host.Keyspace.Prefetch(span, keys[..scanned]);
    }
}
