using System.IO.Pipelines;
using FastDht.Protocol;
using FastDht.Storage.Durability;

namespace FastDht.Engine.Connections;

/// <summary>Snapshot's answer: started (no report yet), or in place with what it holds.</summary>
internal readonly struct SnapshotReply(uint requestId, SnapshotReport? report) : IReply
{
    public void Write(PipeWriter writer)
    {
        if (report is null)
            FrameWriter.WriteSnapshotStartedResponse(writer, requestId);
        else
            FrameWriter.WriteSnapshotResponse(writer, requestId, (ulong)report.Keys, (ulong)report.Bytes, (ulong)report.LogPosition, report.CompletedAt.ToUnixTimeMilliseconds());
    }
}
