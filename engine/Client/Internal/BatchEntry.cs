using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>One request of a <see cref="DhtBatch"/>: registered with its connection like any call, completing into the batch instead of a ValueTask of its own.</summary>
/// <remarks>Kept by the batch between runs, so running a batch again allocates no entries.</remarks>
internal sealed class BatchEntry : PendingRequest
{
    private DhtBatch? _batch;
    private ResponseShape _shape;

    public Opcode Opcode { get; private set; }

    public ReadOnlyMemory<byte> Key { get; private set; }

    public ReadOnlyMemory<byte> Value { get; private set; }

    /// <summary>The connection this run sends it on (set while routing, cleared when the run ends).</summary>
    public ClientConnection? Connection { get; set; }

    /// <summary>The route's epoch it was sent by, to tell a WrongNode worth one retry from one that is not.</summary>
    public ulong RoutedEpoch { get; set; }

    public ResponseResult Result { get; private set; }

    /// <summary>Whether this round of the run sends it (every entry in the first round, WrongNode retries in the second).</summary>
    public bool Selected { get; set; }

    /// <summary>Whether this round has written it (or completed it without writing).</summary>
    public bool Sent { get; set; }

    public void Set(DhtBatch batch, Opcode opcode, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value)
    {
        _batch = batch;
        Opcode = opcode;
        _shape = opcode == Opcode.Get ? ResponseShape.Value : ResponseShape.Status;
        Key = key;
        Value = value;
        Result = default;
        Connection = null;
    }

    /// <summary>Marks the entry unanswered at the start of a run: what it reads as if the run is cancelled before it is sent.</summary>
    public void BeginRun() => Result = new ResponseResult(StatusCode.Timeout, null, CancelRequest.CanceledMessage);

    /// <summary>Forgets the key, value and result (the batch was cleared).</summary>
    public void Clear()
    {
        Key = default;
        Value = default;
        Result = default;
        Connection = null;
    }

    public override void OnResponse(in FrameHeader header, in ReadOnlySequence<byte> body) =>
        Complete(ResponseResult.From(header, body, _shape));

    public override void OnFailure(StatusCode status, string message) => Complete(new ResponseResult(status, null, message));

    /// <summary>Records the outcome and counts the entry done; the batch's last entry wakes its caller.</summary>
    public void Complete(in ResponseResult result)
    {
        Result = result;
        _batch!.OnEntryCompleted();
    }
}
