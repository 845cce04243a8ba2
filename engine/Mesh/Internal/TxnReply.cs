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
internal readonly struct TxnReply(uint requestId, Opcode opcode, TxnResult result, ulong incarnation = 0) : IReply
{
    public void Write(PipeWriter writer)
    {
        var step = result.Step;
        if (!step.IsOk)
        {
            FrameWriter.WriteErrorResponse(writer, requestId, opcode, step.Status, step.Message ?? step.Status.ToString());
            return;
        }
        switch (opcode)
        {
            case Opcode.MultiPut:
                FrameWriter.WriteMultiPutResponse(writer, requestId, result.Attempts);
                break;
            case Opcode.MultiGet:
                FrameWriter.WriteMultiGetResponse(writer, requestId, result.Values);
                break;
            case Opcode.TxnRead:
                FrameWriter.WriteTxnReadResponse(writer, requestId, result.Values);
                break;
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
