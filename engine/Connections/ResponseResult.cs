using System.Buffers;
using System.Text;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>What a request came back with, copied out of the receive pipe: a status and the part of the body the caller asked for.</summary>
internal readonly struct ResponseResult
{
    public ResponseResult(StatusCode status, byte[]? payload, string? errorMessage, ulong epoch = 0, uint attempts = 0)
    {
        Status = status;
        Payload = payload;
        ErrorMessage = errorMessage;
        Epoch = epoch;
        Attempts = attempts;
    }

    public StatusCode Status { get; }

    /// <summary>The value (for <see cref="ResponseShape.Value"/>) or the whole body (for <see cref="ResponseShape.Body"/>).</summary>
    public byte[]? Payload { get; }

    /// <summary>The error body's message, for an error status.</summary>
    public string? ErrorMessage { get; }

    /// <summary>For WrongNode: the answering node's cluster state epoch (0 when it did not say).</summary>
    public ulong Epoch { get; }

    /// <summary>For a MultiPut's or MultiGet's error: the attempts the coordinator made, all aborted or failed (0 when it did not say).</summary>
    public uint Attempts { get; }

    public bool IsError => (ushort)Status >= 0x100;

    /// <summary>Copies what <paramref name="shape"/> asks for out of a response still in the receive pipe.</summary>
    public static ResponseResult From(in FrameHeader header, in ReadOnlySequence<byte> body, ResponseShape shape)
    {
        if (header.Status == StatusCode.WrongNode)
            return DecodeWrongNode(body);
        if (header.IsError)
        {
            return header.Opcode is Opcode.MultiPut or Opcode.MultiGet
                ? DecodeTxnError(header.Status, body)
                : new ResponseResult(header.Status, null, DecodeError(body));
        }
        if (shape == ResponseShape.Value && header.Status == StatusCode.Ok)
        {
            var value = DecodeValue(body);
            return value is null
                ? new ResponseResult(StatusCode.BadRequest, null, "malformed value response")
                : new ResponseResult(StatusCode.Ok, value, null);
        }
        return new ResponseResult(header.Status, shape == ResponseShape.Body ? body.ToArray() : null, null);
    }

    private static byte[]? DecodeValue(in ReadOnlySequence<byte> body)
    {
        // u32 length + bytes: copy just the value, straight from the pipe.
        var reader = new SequenceReader<byte>(body);
        if (!reader.TryReadLittleEndian(out int length) || length < 0 || length != reader.Remaining)
            return null;
        var value = GC.AllocateUninitializedArray<byte>(length);
        reader.UnreadSequence.CopyTo(value);
        return value;
    }

    private static ResponseResult DecodeWrongNode(in ReadOnlySequence<byte> body)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        return ResponseDecoder.TryReadWrongNode(bytes, out var message, out var epoch, out _, out _)
            ? new ResponseResult(StatusCode.WrongNode, null, Encoding.UTF8.GetString(message), epoch)
            : new ResponseResult(StatusCode.WrongNode, null, "(malformed error body)");
    }

    private static ResponseResult DecodeTxnError(StatusCode status, in ReadOnlySequence<byte> body)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        return ResponseDecoder.TryReadTxnError(bytes, out var message, out var attempts, out _)
            ? new ResponseResult(status, null, Encoding.UTF8.GetString(message), attempts: attempts)
            : new ResponseResult(status, null, "(malformed error body)");
    }

    private static string DecodeError(in ReadOnlySequence<byte> body)
    {
        var bytes = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        return ResponseDecoder.TryReadError(bytes, out var message, out _)
            ? Encoding.UTF8.GetString(message)
            : "(malformed error body)";
    }
}
