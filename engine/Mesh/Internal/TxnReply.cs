using System.IO.Pipelines;
using System.Runtime.InteropServices;
using FastDht.Engine.Connections;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The answer to a transaction request (client or participant side): its error, or the opcode's Ok body.</summary>
/// <param name="requestId">The request's id, echoed.</param>
/// <param name="opcode">The request's opcode, echoed; decides the Ok body.</param>
/// <param name="result">What the transaction step came to.</param>
/// <param name="incarnation">This node's incarnation, which a TxnStatus answer carries (0 for every other opcode).</param>
/// <param name="frameLimit">The largest frame the receiver accepts (and this node sends): a MultiGet or TxnRead answer
/// above it is answered FrameTooLarge instead, so no read can make the node build a frame its peer must refuse.</param>
internal readonly struct TxnReply(uint requestId, Opcode opcode, TxnResult result, ulong incarnation = 0, int frameLimit = ProtocolLimits.DefaultMaxFrameSize) : IReply
{
    public void Write(PipeWriter writer)
    {
        var step = result.Step;
        if (!step.IsOk)
        {
            // A MultiPut's or MultiGet's error says how many attempts it made, so a client can count every aborted
            // attempt, those of a transaction that gave up included (protocol.md section 5.5).
            if (opcode is Opcode.MultiPut or Opcode.MultiGet && result.Attempts > 0)
                FrameWriter.WriteTxnErrorResponse(writer, requestId, opcode, step.Status, step.Message ?? step.Status.ToString(), result.Attempts);
            else
                FrameWriter.WriteErrorResponse(writer, requestId, opcode, step.Status, step.Message ?? step.Status.ToString());
            return;
        }
        switch (opcode)
        {
            case Opcode.MultiPut:
                FrameWriter.WriteMultiPutResponse(writer, requestId, result.Attempts);
                break;
            case Opcode.MultiGet:
            case Opcode.TxnRead:
            {
                var length = opcode == Opcode.TxnRead ? FrameWriter.TxnReadResponseFrameLength(result.Values) : FrameWriter.LookupResponseFrameLength(result.Values);
                if (length - 4 > frameLimit)
                {
                    FrameWriter.WriteErrorResponse(writer, requestId, opcode, StatusCode.FrameTooLarge,
                        $"the answer ({length} bytes) is larger than the receiver's frame limit ({frameLimit} bytes): read fewer or smaller keys per {opcode}; nothing was sent");
                    break;
                }
                if (opcode == Opcode.MultiGet)
                    FrameWriter.WriteMultiGetResponse(writer, requestId, result.Values);
                else
                    FrameWriter.WriteTxnReadResponse(writer, requestId, result.Values);
                break;
            }
            case Opcode.TxnStatus:
                FrameWriter.WriteTxnStatusResponse(writer, requestId, result.Outcome, incarnation);
                break;
            case Opcode.Lock:
            case Opcode.TxnLock:
                FrameWriter.WriteTokensResponse(writer, requestId, opcode, MemoryMarshal.Cast<long, ulong>(result.Tokens.AsSpan()));
                break;
            default:
                FrameWriter.WriteStatusResponse(writer, requestId, opcode, StatusCode.Ok);
                break;
        }
    }
}
