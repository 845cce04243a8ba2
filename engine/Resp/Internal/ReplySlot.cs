using System.Buffers;
using System.Text;
using FastDht.Engine.Connections;
using FastDht.Protocol;
using FastDht.Protocol.Resp;
using Microsoft.Extensions.ObjectPool;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// One reply's place in a RESP connection's ordered reply queue: filled at once for a local command queued behind a
/// remote one, or later by the owner's answer to a RespExecute. Pooled, with its buffer kept across uses.
/// </summary>
/// <remarks>
/// As a <see cref="PendingRequest"/> it is completed exactly once by the peer link (answer, timeout or link loss);
/// it then hands itself to its session, which writes completed slots out in order and returns them to the pool.
/// </remarks>
internal sealed class ReplySlot : PendingRequest, IBufferWriter<byte>
{
    // 4096: the RESP connections' outstanding remote replies on a busy node; beyond that the pool allocates.
    private static readonly ObjectPool<ReplySlot> Pool =
        new DefaultObjectPool<ReplySlot>(new DefaultPooledObjectPolicy<ReplySlot>(), 4096);

    // 256 bytes: a GET reply of a small value or an integer fits without growing; 64 KiB: keep a slot that once
    // carried a large value from pinning that memory in the pool.
    private const int InitialSize = 256;
    private const int RetainLimit = 64 * 1024;

    private byte[] _buffer = [];
    private int _written;
    private RespSession? _session;

    /// <summary>Whether the reply bytes are final (set under the session's queue lock).</summary>
    public bool Completed { get; set; }

    /// <summary>The bytes this late reply counts in its session's held replies while it waits in the queue (under the queue lock; 0 for a local one).</summary>
    public int HeldCount { get; set; }

    /// <summary>The reply of a command sent under CLIENT REPLY OFF or SKIP: it keeps its place in the queue and is never written.</summary>
    public bool Silent { get; set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _written);

    /// <summary>The command of a late reply: an error it completes with counts as that command's failure (INFO errorstats).</summary>
    public RespCommandKind Kind { get; set; }

    /// <summary>Whether completing the slot still has to count an error reply (false once the transaction that filled it counted its own).</summary>
    public bool CountsErrors { get; set; }

    public static ReplySlot Rent(RespSession session)
    {
        var slot = Pool.Get();
        slot._session = session;
        slot.Completed = false;
        slot.HeldCount = 0;
        slot.Silent = false;
        slot.Kind = RespCommandKind.Unknown;
        slot.CountsErrors = false;
        slot._written = 0;
        slot.Refused = null;
        return slot;
    }

    public void Return()
    {
        _session = null;
        Refused = null;
        if (_buffer.Length > RetainLimit)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        Pool.Return(this);
    }

    /// <summary>The RespExecute body (RESP version, then the command) its owner refused for a slot move and returned, while it waits to be sent again (RespSession.Reroute.cs).</summary>
    public byte[]? Refused { get; set; }

    public override void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body)
    {
        // The owner ran nothing (it no longer owns the slot, or is handing it over) and returned the command: send it
        // again once the handover is over, rather than answer TRYAGAIN to a client that keeps no slot table.
        if (header.Status is StatusCode.WrongNode or StatusCode.Moving && TryTakeReturned(header.Status, body) && _session!.TryReroute(this))
            return;
        if (header.IsError)
        {
            WriteFailure(header.Status, DecodeError(body));
        }
        else
        {
            var length = (int)body.Length;
            body.CopyTo(GetSpan(length));
            Advance(length);
        }
        _session!.OnSlotCompleted(this);
    }

    /// <summary>Copies the command a refusal returned into <see cref="Refused"/> (a refusal is rare: a slot's handover).</summary>
    private bool TryTakeReturned(StatusCode status, in ReadOnlySequence<byte> body)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        if (!ResponseDecoder.TryReadReturnedRequest(status, bytes, out var returned))
            return false;
        Refused = returned.ToArray();
        return true;
    }

    public override void OnFailure(StatusCode status, string message)
    {
        WriteFailure(status, message);
        _session!.OnSlotCompleted(this);
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
            return;
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(InitialSize, _buffer.Length * 2)));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    /// <summary>Turns a failed remote call into the error reply the client sees.</summary>
    public void WriteFailure(StatusCode status, string message)
    {
        _written = 0;
        // A node being unreachable is what Redis Cluster calls CLUSTERDOWN; a forward that met a slot move (the node
        // asked no longer owns the key, or is handing it over: it ran nothing) is TRYAGAIN, which clients retry, as at
        // a handed-away slot here; anything else is a plain error.
        var code = status is StatusCode.NodeUnavailable or StatusCode.ShuttingDown ? "CLUSTERDOWN"u8
            : status is StatusCode.WrongNode or StatusCode.Moving ? "TRYAGAIN"u8
            : status == StatusCode.Timeout ? "TIMEOUT"u8
            : status == StatusCode.Loading ? "LOADING"u8
            : status == StatusCode.LogUnavailable ? "MISCONF"u8
            : "ERR"u8;
        var bytes = Encoding.UTF8.GetBytes(message);
        RespWriter.WriteError(this, code, bytes);
    }

    private static string DecodeError(in ReadOnlySequence<byte> body)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        return ResponseDecoder.TryReadError(bytes, out var message, out _) ? Encoding.UTF8.GetString(message) : "the owner failed the command";
    }
}
