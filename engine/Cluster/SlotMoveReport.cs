namespace FastDht.Engine.Cluster;

/// <summary>What one slot move did: which slots went where, how many keys, and how long writes to them were paused.</summary>
/// <param name="FirstSlot">The first slot moved.</param>
/// <param name="LastSlot">The last slot moved (inclusive).</param>
/// <param name="From">The node that owned them.</param>
/// <param name="To">The node that owns them now.</param>
/// <param name="KeysCopied">Keys sent by the background copy.</param>
/// <param name="CapturedBytes">Bytes of changes made during the copy and shipped after it.</param>
/// <param name="KeysRemoved">Keys the old owner dropped after the handover.</param>
/// <param name="CopyTime">From the start to the end of the background copy.</param>
/// <param name="PausedTime">How long writes to the slots were refused (Moving, retried by clients): the handover.</param>
/// <param name="TotalTime">From the start to the end of the move.</param>
/// <param name="HandoverStart">From the start of the move to the start of the handover (its pause lasts
/// <paramref name="PausedTime"/>; after it the old owner drops its copies); zero when not known (a report read from a
/// MoveSlots answer, which does not carry it).</param>
public sealed record SlotMoveReport(int FirstSlot, int LastSlot, ushort From, ushort To, long KeysCopied, long CapturedBytes, long KeysRemoved, TimeSpan CopyTime, TimeSpan PausedTime, TimeSpan TotalTime, TimeSpan HandoverStart = default);
