using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FastDht.Storage;

/// <summary>
/// A change of a stored value as byte splices: what the write-ahead log and the replication stream carry instead of the
/// whole new value when a command changed a small part of a large one (RPUSH of one element, SETBIT of one bit, APPEND).
/// </summary>
/// <remarks>
/// <para>
/// The delta is computed from the old and the new bytes after the command ran (<see cref="TryPlan"/>), so whoever
/// applies it (recovery, a replica, a slot's new owner) gets exactly the bytes the primary stored, whatever the command
/// and however the collection is encoded: no command runs twice, so nothing can come out differently (a node's
/// encoding thresholds, a float's formatting). Applying it to other bytes than the ones it was computed from gives
/// garbage, so a delta is only ever applied to the value whose version it names (<see cref="EntryMetadata.Version"/>;
/// docs/storage.md, "Change records").
/// </para>
/// <code>
/// delta  = u32 newLength | u8 count | splice*      -- splices in old-value order, not overlapping
/// splice = u32 oldOffset | u32 removeLength | u32 insertLength | inserted bytes
/// </code>
/// <para>
/// The plan: walk both values from the front past their common prefix; where they differ, look for a short edit
/// after which they agree again for 16 bytes (at most 8 bytes on each side: a collection's count at its head changing,
/// one bit set, a count growing by a byte; or up to 256 bytes on one side: an element removed or inserted, a sorted set
/// member moving), splice it and walk on; when none is found (an element appended, a large edit), splice everything up
/// to the common suffix. At most <see cref="MaxSplices"/> splices; a plan whose delta is not at most half the new
/// value is refused (the caller writes the whole value). Cost: a vectorized compare of both values, O(n) like the copy
/// the command already made.
/// </para>
/// </remarks>
public static class ValueDelta
{
    /// <summary>The most splices a delta holds: a collection's count, an edit, a tail, with room to spare.</summary>
    public const int MaxSplices = 8;

    /// <summary>How many equal bytes after a short edit count as "the values agree again".</summary>
    private const int Resync = 16;

    /// <summary>The longest edit the resynchronizing search tries on both sides at once (a count, a score, a bit).</summary>
    private const int MaxEdit = 8;

    /// <summary>The longest edit it tries on one side only: an element removed or inserted (a sorted set member moving).</summary>
    private const int MaxOneSided = 256;

    private const int HeaderSize = 5;
    private const int SpliceHeaderSize = 12;

    /// <summary>
    /// Plans the delta that turns <paramref name="old"/> into <paramref name="next"/>; false when it would not be
    /// smaller than half of <paramref name="next"/> (or has more than <see cref="MaxSplices"/> splices).
    /// </summary>
    public static bool TryPlan(ReadOnlySpan<byte> old, ReadOnlySpan<byte> next, out DeltaPlan plan)
    {
        plan = default;
        var limit = next.Length / 2;
        int o = 0, n = 0, count = 0, size = HeaderSize;
        while (true)
        {
            var common = old[o..].CommonPrefixLength(next[n..]);
            o += common;
            n += common;
            if (o == old.Length && n == next.Length)
                break;
            if (count < MaxSplices - 1 && TryResync(old, o, next, n, out var removed, out var inserted))
            {
                plan.Add(count++, new Splice(o, removed, n, inserted));
                size += SpliceHeaderSize + inserted;
                if (size > limit)
                    return false;
                o += removed;
                n += inserted;
                continue;
            }
            var suffix = CommonSuffixLength(old[o..], next[n..]);
            var tail = new Splice(o, old.Length - suffix - o, n, next.Length - suffix - n);
            plan.Add(count++, tail);
            size += SpliceHeaderSize + tail.InsertLength;
            break;
        }
        plan.Count = count;
        plan.NewLength = next.Length;
        plan.EncodedSize = size;
        return size <= limit;
    }

    /// <summary>Writes the planned delta (<see cref="DeltaPlan.EncodedSize"/> bytes), taking inserted bytes from <paramref name="next"/>.</summary>
    public static void Write(in DeltaPlan plan, ReadOnlySpan<byte> next, Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, plan.NewLength);
        destination[4] = (byte)plan.Count;
        var at = HeaderSize;
        for (var i = 0; i < plan.Count; i++)
        {
            var splice = plan.Get(i);
            BinaryPrimitives.WriteInt32LittleEndian(destination[at..], splice.OldOffset);
            BinaryPrimitives.WriteInt32LittleEndian(destination[(at + 4)..], splice.RemoveLength);
            BinaryPrimitives.WriteInt32LittleEndian(destination[(at + 8)..], splice.InsertLength);
            next.Slice(splice.NewOffset, splice.InsertLength).CopyTo(destination[(at + SpliceHeaderSize)..]);
            at += SpliceHeaderSize + splice.InsertLength;
        }
    }

    /// <summary>The length of the value a well-formed delta produces; false when its header does not parse.</summary>
    public static bool TryGetNewLength(ReadOnlySpan<byte> delta, out int newLength)
    {
        newLength = 0;
        if (delta.Length < HeaderSize)
            return false;
        newLength = BinaryPrimitives.ReadInt32LittleEndian(delta);
        return newLength >= 0 && delta[4] <= MaxSplices;
    }

    /// <summary>Whether <paramref name="delta"/> parses whole (its splices' own lengths), without a value to apply it to.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> delta)
    {
        if (!TryGetNewLength(delta, out _))
            return false;
        var at = HeaderSize;
        for (var i = 0; i < delta[4]; i++)
        {
            if (delta.Length - at < SpliceHeaderSize)
                return false;
            var inserted = BinaryPrimitives.ReadInt32LittleEndian(delta[(at + 8)..]);
            if (inserted < 0 || delta.Length - at - SpliceHeaderSize < inserted)
                return false;
            at += SpliceHeaderSize + inserted;
        }
        return at == delta.Length;
    }

    /// <summary>
    /// Applies <paramref name="delta"/> to <paramref name="old"/> into <paramref name="destination"/> (exactly the new
    /// length, <see cref="TryGetNewLength"/>); false when the delta does not fit <paramref name="old"/> (damage).
    /// </summary>
    public static bool TryApply(ReadOnlySpan<byte> old, ReadOnlySpan<byte> delta, Span<byte> destination)
    {
        if (!IsWellFormed(delta) || !TryGetNewLength(delta, out var newLength) || destination.Length != newLength)
            return false;
        int at = HeaderSize, from = 0, written = 0;
        for (var i = 0; i < delta[4]; i++)
        {
            var offset = BinaryPrimitives.ReadInt32LittleEndian(delta[at..]);
            var removed = BinaryPrimitives.ReadInt32LittleEndian(delta[(at + 4)..]);
            var inserted = BinaryPrimitives.ReadInt32LittleEndian(delta[(at + 8)..]);
            if (offset < from || removed < 0 || removed > old.Length - offset)
                return false;
            var kept = offset - from;
            if (destination.Length - written < kept + inserted)
                return false;
            old[from..offset].CopyTo(destination[written..]);
            written += kept;
            delta.Slice(at + SpliceHeaderSize, inserted).CopyTo(destination[written..]);
            written += inserted;
            from = offset + removed;
            at += SpliceHeaderSize + inserted;
        }
        if (destination.Length - written != old.Length - from)
            return false;
        old[from..].CopyTo(destination[written..]);
        return true;
    }

    /// <summary>The shortest edit (removed from old, inserted from next, at most <see cref="MaxEdit"/> each) after which both agree for <see cref="Resync"/> bytes.</summary>
    private static bool TryResync(ReadOnlySpan<byte> old, int o, ReadOnlySpan<byte> next, int n, out int removed, out int inserted)
    {
        for (var total = 1; total <= 2 * MaxEdit; total++)
        {
            for (removed = Math.Max(0, total - MaxEdit); removed <= Math.Min(total, MaxEdit); removed++)
            {
                inserted = total - removed;
                if (old.Length - o - removed >= Resync && next.Length - n - inserted >= Resync
                    && old.Slice(o + removed, Resync).SequenceEqual(next.Slice(n + inserted, Resync)))
                    return true;
            }
        }
        for (var length = MaxEdit + 1; length <= MaxOneSided; length++)
        {
            if (old.Length - o - length >= Resync && next.Length - n >= Resync && old.Slice(o + length, Resync).SequenceEqual(next.Slice(n, Resync)))
            {
                (removed, inserted) = (length, 0);
                return true;
            }
            if (next.Length - n - length >= Resync && old.Length - o >= Resync && old.Slice(o, Resync).SequenceEqual(next.Slice(n + length, Resync)))
            {
                (removed, inserted) = (0, length);
                return true;
            }
        }
        removed = inserted = 0;
        return false;
    }

    private static int CommonSuffixLength(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        const int Block = 256; // vectorized compares of whole blocks from the end, then byte by byte in the last one
        var most = Math.Min(a.Length, b.Length);
        var length = 0;
        while (length + Block <= most && a.Slice(a.Length - length - Block, Block).SequenceEqual(b.Slice(b.Length - length - Block, Block)))
            length += Block;
        while (length < most && a[a.Length - 1 - length] == b[b.Length - 1 - length])
            length++;
        return length;
    }
}

/// <summary>One splice of a <see cref="DeltaPlan"/>: <see cref="RemoveLength"/> bytes of the old value at <see cref="OldOffset"/> replaced by <see cref="InsertLength"/> bytes of the new one at <see cref="NewOffset"/>.</summary>
public readonly record struct Splice(int OldOffset, int RemoveLength, int NewOffset, int InsertLength);

/// <summary>A planned <see cref="ValueDelta"/>: its splices (no bytes copied yet), the new value's length and the delta's encoded size.</summary>
public struct DeltaPlan
{
    private Splices _splices;

    /// <summary>The number of splices.</summary>
    public int Count { get; internal set; }

    /// <summary>The length of the value the delta produces.</summary>
    public int NewLength { get; internal set; }

    /// <summary>The bytes <see cref="ValueDelta.Write"/> writes.</summary>
    public int EncodedSize { get; internal set; }

    /// <summary>The splice at <paramref name="index"/>.</summary>
    public readonly Splice Get(int index) => _splices[index];

    internal void Add(int index, Splice splice) => _splices[index] = splice;

    [InlineArray(ValueDelta.MaxSplices)]
    private struct Splices
    {
        private Splice _first;
    }
}
