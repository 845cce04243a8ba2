using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>Calls, time, refusals and failures per command kind (INFO commandstats) of one connection.</summary>
/// <remarks>
/// Calls, time and refusals are written by the connection's read loop only; failures also by the threads that complete
/// its late replies (an owner's answer, a transaction), so they are added atomically (errors are rare). Readers (INFO on
/// another connection) read the counters without a lock: a 64-bit read is atomic, and a figure a command behind is what
/// Redis's own INFO gives a moment later.
/// </remarks>
internal sealed class CommandStats
{
    // Every kind RespCommandKind defines, with room for kinds added later without resizing per call.
    private static readonly int Size = Enum.GetValues<RespCommandKind>().Length;

    private readonly long[] _calls = new long[Size];
    private readonly long[] _ticks = new long[Size];
    private readonly long[] _rejected = new long[Size];
    private readonly long[] _failed = new long[Size];

    public long Calls(RespCommandKind kind) => Volatile.Read(ref _calls[(int)kind]);

    public long Ticks(RespCommandKind kind) => Volatile.Read(ref _ticks[(int)kind]);

    public long Rejected(RespCommandKind kind) => Volatile.Read(ref _rejected[(int)kind]);

    public long Failed(RespCommandKind kind) => Volatile.Read(ref _failed[(int)kind]);

    /// <summary>The command ran and answered an error (Redis's failed_calls); any thread.</summary>
    public void Fail(RespCommandKind kind) => Interlocked.Increment(ref _failed[(int)kind]);

    public void Count(RespCommandKind kind, long ticks)
    {
        _calls[(int)kind]++;
        _ticks[(int)kind] += ticks;
    }

    public void Reject(RespCommandKind kind) => _rejected[(int)kind]++;

    public void Add(CommandStats other)
    {
        for (var i = 0; i < Size; i++)
        {
            _calls[i] += Volatile.Read(ref other._calls[i]);
            _ticks[i] += Volatile.Read(ref other._ticks[i]);
            _rejected[i] += Volatile.Read(ref other._rejected[i]);
            _failed[i] += Volatile.Read(ref other._failed[i]);
        }
    }

    public void Clear()
    {
        Array.Clear(_calls);
        Array.Clear(_ticks);
        Array.Clear(_rejected);
        Array.Clear(_failed);
    }
}
