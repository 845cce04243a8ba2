using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The answer to TxnWaitsFor: this node's lock table's wait-for edges, in wire form.</summary>
internal readonly struct TxnWaitsForReply(uint requestId, List<Locking.WaitForEdge> edges) : IReply
{
    public void Write(PipeWriter writer)
    {
        var wire = new TxnWaitEdge[edges.Count];
        for (var i = 0; i < wire.Length; i++)
            wire[i] = new TxnWaitEdge(TxnIds.ToWire(edges[i].Waiter), TxnIds.ToWire(edges[i].Blocker));
        FrameWriter.WriteTxnWaitsForResponse(writer, requestId, wire);
    }
}
