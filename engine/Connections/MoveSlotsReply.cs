using System.IO.Pipelines;
using FastDht.Engine.Cluster;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>MoveSlots' answer once the target owns the slots: what the move did (protocol.md §5.17).</summary>
internal readonly struct MoveSlotsReply(uint requestId, SlotMoveReport report) : IReply
{
    public void Write(PipeWriter writer) =>
        FrameWriter.WriteMoveSlotsResponse(writer, requestId, (ulong)report.KeysCopied, (ulong)report.KeysRemoved,
            (uint)Math.Min(uint.MaxValue, report.CopyTime.TotalMilliseconds), (uint)Math.Min(uint.MaxValue, report.TotalTime.TotalMilliseconds), (uint)Math.Min(uint.MaxValue, report.PausedTime.TotalMilliseconds));
}
